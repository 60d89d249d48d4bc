// Control frames a client may send, and the ids the broker's answers carry
// (docs/protocol.md 4, 5 and 8.1).
#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>

#include "broker_process.hpp"
#include "raw_peer.hpp"

using namespace enlace;
using namespace enlace::test;
using raw::Frame;

namespace {

struct Fixture {
  TestCoalition coalition;
  std::unique_ptr<BrokerProcess> broker;
  std::unique_ptr<raw::RawClient> raw;
  Fixture() {
    coalition.add("col-raw", "COL", "command_post");
    broker = std::make_unique<BrokerProcess>(coalition);
    raw = std::make_unique<raw::RawClient>(*broker, coalition["col-raw"]);
  }

  /// The broker's count of refusals with `code`, from its metrics file, once it is at
  /// least `at_least` (the file is rewritten every second).
  bool refusals_reach(Errc code, int at_least) const {
    const auto path = broker->directory() / "metrics.json";
    const std::string key = "\"" + std::string(to_string(code)) + "\":";
    return eventually([&] {
      std::ifstream in(path);
      const std::string text((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
      const auto at = text.find(key);
      return at != std::string::npos && std::stoi(text.substr(at + key.size())) >= at_least;
    });
  }
};

Frame ack_body() {
  return raw::control(wire::Control::Ack, [](flatbuffers::FlatBufferBuilder& fbb) {
    return wire::CreateAck(fbb, 5).Union();
  });
}

Frame error_body() {
  return raw::control(wire::Control::Error, [](flatbuffers::FlatBufferBuilder& fbb) {
    return wire::CreateErrorDirect(fbb, static_cast<std::uint16_t>(Errc::internal_error),
                                   "a client's complaint")
        .Union();
  });
}

}  // namespace

TEST_CASE("hello_required answers a publish with its message_id",
          "[integration][ingest][control]") {
  Fixture f;
  wire::Uuid id;
  SECTION("a publish frame") {
    f.raw->send(raw::publish(raw::EnvelopeSpec("col-raw", "text.COL.early"),
                             wire::flag::ack_requested, &id));
  }
  SECTION("a publish inside a batch") {
    const Frame publish = raw::publish(raw::EnvelopeSpec("col-raw", "text.COL.early-batched"),
                                       wire::flag::ack_requested, &id);
    f.raw->send(raw::with_header(wire::Command::batch, raw::batch_body({publish})));
  }
  const auto error = f.raw->next_error();
  REQUIRE(error);
  CHECK(error->code == Errc::hello_required);
  REQUIRE(error->message_id);
  CHECK(raw::same_id(*error->message_id, id));
  CHECK(error->request_id == 0);
}

TEST_CASE("hello_required answers a Subscribe and an Unsubscribe with their request_id",
          "[integration][ingest][control]") {
  Fixture f;
  f.raw->send(raw::subscribe(41, "text.>"));
  auto error = f.raw->next_error();
  REQUIRE(error);
  CHECK(error->code == Errc::hello_required);
  CHECK(error->request_id == 41);
  CHECK_FALSE(error->message_id);

  f.raw->send(raw::unsubscribe(42, "text.>"));
  error = f.raw->next_error();
  REQUIRE(error);
  CHECK(error->code == Errc::hello_required);
  CHECK(error->request_id == 42);

  // With a session, the same request is acknowledged under its id.
  f.raw->hello();
  f.raw->send(raw::subscribe(43, "text.>"));
  CHECK_FALSE(f.raw->until_ack(43).empty());
}

TEST_CASE("Welcome, Ack and EndOfSnapshot from a client are refused with unknown_command",
          "[integration][ingest][control]") {
  Fixture f;
  f.raw->hello();
  const Frame welcome =
      raw::control(wire::Control::Welcome, [](flatbuffers::FlatBufferBuilder& fbb) {
        return wire::CreateWelcomeDirect(fbb, 1, "b", "COL", "col-raw", "command_post").Union();
      });
  const Frame end =
      raw::control(wire::Control::EndOfSnapshot, [](flatbuffers::FlatBufferBuilder& fbb) {
        return wire::CreateEndOfSnapshot(fbb, 1, 0).Union();
      });
  for (const Frame& frame : {welcome, ack_body(), end}) {
    f.raw->send(frame);
    const auto answers = f.raw->until_pong();
    REQUIRE(answers.size() == 2);
    CHECK(answers.front().code == Errc::unknown_command);
    CHECK_THAT(answers.front().reason, Catch::Contains("brokers only"));
  }
}

TEST_CASE("an Error from a client is counted and never answered",
          "[integration][ingest][control]") {
  Fixture f;
  SECTION("within a session") {
    f.raw->hello();
    f.raw->send(error_body());
    const auto answers = f.raw->until_pong();
    REQUIRE_FALSE(answers.empty());
    CHECK(answers.size() == 1);  // the Pong alone
  }
  SECTION("without a session") {
    f.raw->send(error_body());
    f.raw->hello();  // the Welcome is the first answer: nothing answered the Error
    f.raw->send(raw::subscribe(7, "text.>"));
    CHECK(f.raw->until_ack(7).size() == 1);
  }
  CHECK(f.refusals_reach(Errc::unknown_command, 1));
}

TEST_CASE("a control body of a type this broker does not know is refused with unknown_command",
          "[integration][ingest][control]") {
  Fixture f;
  f.raw->hello();
  for (const auto type : {static_cast<wire::Control>(42), wire::Control::NONE}) {
    f.raw->send(raw::control(type, [](flatbuffers::FlatBufferBuilder& fbb) {
      return wire::CreatePing(fbb, 1, 0).Union();
    }));
    const auto answers = f.raw->until_pong();
    REQUIRE(answers.size() == 2);
    CHECK(answers.front().code == Errc::unknown_command);
    CHECK_THAT(answers.front().reason, Catch::Contains("does not know"));
  }
}
