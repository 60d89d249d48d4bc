// Control frames a client may send, and the ids the broker's answers carry
// (docs/protocol.md 4, 5 and 8.1).
#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>

#include "broker_process.hpp"
#include "raw_client.hpp"

using namespace enlace;
using namespace enlace::test;

namespace {

struct Fixture {
  TestCoalition coalition;
  std::unique_ptr<BrokerProcess> broker;
  std::unique_ptr<RawClient> raw;
  Fixture() {
    coalition.add("col-raw", "COL", "command_post");
    broker = std::make_unique<BrokerProcess>(coalition);
    raw = std::make_unique<RawClient>(*broker, coalition["col-raw"]);
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
  return control_frame(wire::Control::Ack, [](flatbuffers::FlatBufferBuilder& fbb) {
    return wire::CreateAck(fbb, 5).Union();
  });
}

Frame error_body() {
  return control_frame(wire::Control::Error, [](flatbuffers::FlatBufferBuilder& fbb) {
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
    f.raw->send(
        publish_frame(EnvelopeSpec("col-raw", "text.COL.early"), wire::flag::ack_requested, &id));
  }
  SECTION("a publish inside a batch") {
    const Frame publish = publish_frame(EnvelopeSpec("col-raw", "text.COL.early-batched"),
                                        wire::flag::ack_requested, &id);
    f.raw->send(with_header(wire::Command::batch, batch_body({publish})));
  }
  const Received error = f.raw->next_error();
  REQUIRE(error.control_type() == wire::Control::Error);
  CHECK(error.error_code() == Errc::hello_required);
  REQUIRE(error.message_id());
  CHECK(same_id(*error.message_id(), id));
  CHECK(error.request_id() == 0);
}

TEST_CASE("hello_required answers a Subscribe and an Unsubscribe with their request_id",
          "[integration][ingest][control]") {
  Fixture f;
  f.raw->send(subscribe_frame(41, "text.>"));
  auto error = f.raw->next_error();
  REQUIRE(error.control_type() == wire::Control::Error);
  CHECK(error.error_code() == Errc::hello_required);
  CHECK(error.request_id() == 41);
  CHECK_FALSE(error.message_id());

  f.raw->send(unsubscribe_frame(42, "text.>"));
  error = f.raw->next_error();
  REQUIRE(error.control_type() == wire::Control::Error);
  CHECK(error.error_code() == Errc::hello_required);
  CHECK(error.request_id() == 42);

  // With a session, the same request is acknowledged under its id.
  REQUIRE(f.raw->hello());
  f.raw->send(subscribe_frame(43, "text.>"));
  CHECK_FALSE(f.raw->until_ack(43).empty());
}

TEST_CASE("Welcome, Ack and EndOfSnapshot from a client are refused with unknown_command",
          "[integration][ingest][control]") {
  Fixture f;
  REQUIRE(f.raw->hello());
  const Frame welcome =
      control_frame(wire::Control::Welcome, [](flatbuffers::FlatBufferBuilder& fbb) {
        return wire::CreateWelcomeDirect(fbb, 1, "b", "COL", "col-raw", "command_post").Union();
      });
  const Frame end =
      control_frame(wire::Control::EndOfSnapshot, [](flatbuffers::FlatBufferBuilder& fbb) {
        return wire::CreateEndOfSnapshot(fbb, 1, 0).Union();
      });
  for (const Frame& frame : {welcome, ack_body(), end}) {
    f.raw->send(frame);
    const auto answers = f.raw->until_pong();
    REQUIRE(answers.size() == 2);
    CHECK(answers.front().error_code() == Errc::unknown_command);
    CHECK_THAT(answers.front().reason(), Catch::Contains("brokers only"));
  }
}

TEST_CASE("an Error from a client is counted and never answered",
          "[integration][ingest][control]") {
  Fixture f;
  SECTION("within a session") {
    REQUIRE(f.raw->hello());
    f.raw->send(error_body());
    const auto answers = f.raw->until_pong();
    REQUIRE_FALSE(answers.empty());
    CHECK(answers.size() == 1);  // the Pong alone
  }
  SECTION("without a session") {
    f.raw->send(error_body());
    f.raw->send(hello_frame());
    const auto first = f.raw->next();  // nothing answered the Error: the Welcome comes first
    REQUIRE(first);
    CHECK(first->control_type() == wire::Control::Welcome);
    f.raw->send(subscribe_frame(7, "text.>"));
    CHECK(f.raw->until_ack(7).size() == 1);
  }
  CHECK(f.refusals_reach(Errc::unknown_command, 1));
}

TEST_CASE("a control body of a type this broker does not know is refused with unknown_command",
          "[integration][ingest][control]") {
  Fixture f;
  REQUIRE(f.raw->hello());
  for (const auto type : {static_cast<wire::Control>(42), wire::Control::NONE}) {
    f.raw->send(control_frame(type, [](flatbuffers::FlatBufferBuilder& fbb) {
      return wire::CreatePing(fbb, 1, 0).Union();
    }));
    const auto answers = f.raw->until_pong();
    REQUIRE(answers.size() == 2);
    CHECK(answers.front().error_code() == Errc::unknown_command);
    CHECK_THAT(answers.front().reason(), Catch::Contains("does not know"));
  }
}
