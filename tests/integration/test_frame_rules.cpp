// Framing rules a client written from docs/protocol.md alone relies on (sections 3 and 4):
// each refusal carries the code the text names, and the broker keeps serving the session.
#include <catch2/catch.hpp>

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
    REQUIRE(raw->hello());
  }
};

Frame text_publish(const std::string& topic, std::uint8_t flags = wire::flag::ack_requested) {
  return publish_frame(EnvelopeSpec("col-raw", topic), flags);
}

/// A record header claiming `length` bytes, followed by `length` bytes and padding.
Frame record_of_length(std::uint32_t length) {
  Frame body(wire::record_size(length), 0);
  body[0] = static_cast<std::uint8_t>(length);
  for (std::uint32_t i = 0; i < length; ++i) body[wire::kRecordHeaderSize + i] = 0x01;
  return body;
}

bool acked(const std::vector<Received>& answers) {
  for (const auto& a : answers) {
    if (a.control_type() == wire::Control::Ack && a.request_id() == 0 && a.message_id())
      return true;
  }
  return false;
}

}  // namespace

TEST_CASE("an empty batch is refused with bad_batch", "[integration][ingest][frames]") {
  Fixture f;
  SECTION("refused") {
    f.raw->send(with_header(wire::Command::batch, {}));
    CHECK(has_error(f.raw->until_pong(), Errc::bad_batch));
  }
  SECTION("a batch of one record is accepted") {
    f.raw->send(
        with_header(wire::Command::batch, batch_body({text_publish("text.COL.one-record")})));
    const auto answers = f.raw->until_pong();
    CHECK(acked(answers));
    CHECK_FALSE(has_error(answers, Errc::bad_batch));
  }
}

TEST_CASE("a batch record too short to hold a frame header is refused with bad_batch",
          "[integration][ingest][frames]") {
  Fixture f;
  SECTION("length 0") {
    f.raw->send(with_header(wire::Command::batch, record_of_length(0)));
    const auto answers = f.raw->until_pong();
    CHECK(has_error(answers, Errc::bad_batch));
    CHECK_FALSE(has_error(answers, Errc::malformed_frame));
  }
  SECTION("length 7") {
    f.raw->send(with_header(wire::Command::batch, record_of_length(7)));
    const auto answers = f.raw->until_pong();
    CHECK(has_error(answers, Errc::bad_batch));
    CHECK_FALSE(has_error(answers, Errc::malformed_frame));
  }
  SECTION("records before the bad one stay processed") {
    Frame body = batch_body({text_publish("text.COL.before-bad")});
    const Frame bad = record_of_length(0);
    body.insert(body.end(), bad.begin(), bad.end());
    f.raw->send(with_header(wire::Command::batch, body));
    const auto answers = f.raw->until_pong();
    CHECK(acked(answers));
    CHECK(has_error(answers, Errc::bad_batch));
  }
}

TEST_CASE("a body too short to hold a file identifier is refused with wrong_identifier",
          "[integration][ingest][frames]") {
  Fixture f;
  SECTION("no body at all") {
    f.raw->send(with_header(wire::Command::publish, {}, wire::flag::ack_requested));
    CHECK(f.raw->next_error().error_code() == Errc::wrong_identifier);
  }
  SECTION("a root offset and three bytes of an identifier") {
    const Frame body = {8, 0, 0, 0, 'E', 'N', 'V'};
    f.raw->send(with_header(wire::Command::publish, body, wire::flag::ack_requested));
    CHECK(f.raw->next_error().error_code() == Errc::wrong_identifier);
  }
  SECTION("a control frame without a body") {
    f.raw->send(with_header(wire::Command::control, {}));
    CHECK(f.raw->next_error().error_code() == Errc::wrong_identifier);
  }
  SECTION("a whole envelope is accepted") {
    f.raw->send(text_publish("text.COL.whole"));
    CHECK(acked(f.raw->until_pong()));
  }
}

TEST_CASE("ack_requested on a frame other than a publish is refused with malformed_frame",
          "[integration][ingest][frames]") {
  Fixture f;
  SECTION("on a Subscribe") {
    f.raw->send(subscribe_frame(1, "text.>", wire::Conflation::None, wire::flag::ack_requested));
    f.raw->send(subscribe_frame(2, "alert.>"));
    // The marker's Ack comes after any answer to the first Subscribe.
    const auto answers = f.raw->until_ack(2);
    REQUIRE_FALSE(answers.empty());
    CHECK(has_error(answers, Errc::malformed_frame));
    for (const auto& a : answers)
      CHECK_FALSE((a.control_type() == wire::Control::Ack && a.request_id() == 1));
  }
  SECTION("on a batch header") {
    f.raw->send(with_header(wire::Command::batch,
                            batch_body({text_publish("text.COL.flagged-batch")}),
                            wire::flag::ack_requested));
    const auto answers = f.raw->until_pong();
    CHECK(has_error(answers, Errc::malformed_frame));
    CHECK_FALSE(acked(answers));
  }
  SECTION("on a publish it asks for the Ack") {
    f.raw->send(subscribe_frame(3, "text.>"));
    f.raw->send(text_publish("text.COL.flagged"));
    const auto answers = f.raw->until_pong();
    CHECK(acked(answers));
    CHECK_FALSE(has_error(answers, Errc::malformed_frame));
  }
}
