// Black-box: raw, hostile frames sent over an authenticated CURVE connection. Each gets
// its specific error, and the broker keeps serving everyone else.
#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>

#include "broker_process.hpp"
#include "raw_client.hpp"

using namespace enlace;
using namespace enlace::test;

namespace {

Frame text_envelope(const std::string& topic, std::size_t body_bytes = 10) {
  EnvelopeSpec spec("col-raw", topic);
  spec.text.assign(body_bytes, 'x');
  return envelope_bytes(spec);
}

struct Fixture {
  TestCoalition coalition;
  std::unique_ptr<BrokerProcess> broker;
  std::unique_ptr<Client> bystander_pub, bystander_sub;
  Inbox inbox;
  Fixture() {
    coalition.add("col-raw", "COL", "command_post");
    coalition.add("col-cp", "COL", "command_post");
    coalition.add("ecu-cp", "ECU", "command_post");
    broker = std::make_unique<BrokerProcess>(coalition);
    bystander_pub = std::make_unique<Client>(broker->options_for(coalition["col-cp"]));
    bystander_sub = std::make_unique<Client>(broker->options_for(coalition["ecu-cp"]));
    REQUIRE(bystander_pub->wait_connected(10s).ok());
    REQUIRE(bystander_sub->wait_connected(10s).ok());
    REQUIRE(bystander_sub->subscribe("text.>", inbox.handler()).ok());
  }
  /// Everyone else is still served: a message from one client reaches another.
  void check_others_served(const std::string& topic) {
    REQUIRE(publish_text(*bystander_pub, topic, "still here", {"ECU"}).ok());
    CHECK(inbox.wait_for_topic(topic));
  }
};

}  // namespace

TEST_CASE("a frame shorter than the header is refused with malformed_frame",
          "[integration][hostile]") {
  Fixture f;
  RawClient raw(*f.broker, f.coalition["col-raw"]);
  raw.send({0x01, 0x02});
  CHECK(raw.next_error().error_code() == Errc::malformed_frame);
  f.check_others_served("text.COL.after-short");
}

TEST_CASE("an unknown protocol version is refused with unsupported_version",
          "[integration][hostile]") {
  Fixture f;
  RawClient raw(*f.broker, f.coalition["col-raw"]);
  Frame frame = hello_frame();
  frame[0] = 9;
  raw.send(frame);
  CHECK(raw.next_error().error_code() == Errc::unsupported_version);
  f.check_others_served("text.COL.after-version");
}

TEST_CASE("an unknown command byte is refused with unknown_command", "[integration][hostile]") {
  Fixture f;
  RawClient raw(*f.broker, f.coalition["col-raw"]);
  Frame frame = hello_frame();
  frame[1] = 0x7f;
  raw.send(frame);
  CHECK(raw.next_error().error_code() == Errc::unknown_command);
}

TEST_CASE("a publish before Hello is refused with hello_required", "[integration][hostile]") {
  Fixture f;
  RawClient raw(*f.broker, f.coalition["col-raw"]);
  raw.send(with_header(wire::Command::publish, text_envelope("text.COL.x")));
  CHECK(raw.next_error().error_code() == Errc::hello_required);
}

TEST_CASE("a body with the wrong file identifier is refused with wrong_identifier",
          "[integration][hostile]") {
  Fixture f;
  RawClient raw(*f.broker, f.coalition["col-raw"]);
  REQUIRE(raw.hello());
  // A control frame body sent as a publish.
  const Frame hello = hello_frame();
  raw.send(with_header(wire::Command::publish, wire::Bytes(hello).subspan(wire::kHeaderSize)));
  CHECK(raw.next_error().error_code() == Errc::wrong_identifier);
  f.check_others_served("text.COL.after-identifier");
}

TEST_CASE("a truncated envelope is refused with verification_failed", "[integration][hostile]") {
  Fixture f;
  RawClient raw(*f.broker, f.coalition["col-raw"]);
  REQUIRE(raw.hello());
  Frame envelope = text_envelope("text.COL.truncated", 200);
  envelope.resize(envelope.size() / 2);
  raw.send(with_header(wire::Command::publish, envelope));
  CHECK(raw.next_error().error_code() == Errc::verification_failed);
  f.check_others_served("text.COL.after-truncated");
}

TEST_CASE("an envelope with corrupted offsets is refused with verification_failed",
          "[integration][hostile]") {
  Fixture f;
  RawClient raw(*f.broker, f.coalition["col-raw"]);
  REQUIRE(raw.hello());
  Frame envelope = text_envelope("text.COL.corrupt", 64);
  // Point the root table offset far outside the buffer.
  envelope[0] = 0xff;
  envelope[1] = 0xff;
  envelope[2] = 0xff;
  envelope[3] = 0x7f;
  raw.send(with_header(wire::Command::publish, envelope));
  CHECK(raw.next_error().error_code() == Errc::verification_failed);
}

TEST_CASE("an oversized message is refused with message_too_large", "[integration][hostile]") {
  Fixture f;
  RawClient raw(*f.broker, f.coalition["col-raw"]);
  REQUIRE(raw.hello());
  raw.send(with_header(wire::Command::publish, text_envelope("text.COL.big", 70000)));
  CHECK(raw.next_error().error_code() == Errc::message_too_large);
  f.check_others_served("text.COL.after-big");
}

TEST_CASE("a multipart message is refused with malformed_frame", "[integration][hostile]") {
  Fixture f;
  RawClient raw(*f.broker, f.coalition["col-raw"]);
  REQUIRE(raw.hello());
  const Frame publish = with_header(wire::Command::publish, text_envelope("text.COL.mp"));
  raw.send_multipart(publish, publish);
  CHECK(raw.next_error().error_code() == Errc::malformed_frame);
  f.check_others_served("text.COL.after-multipart");
}

TEST_CASE("a batch whose length runs past its end is refused with bad_batch",
          "[integration][hostile]") {
  Fixture f;
  RawClient raw(*f.broker, f.coalition["col-raw"]);
  REQUIRE(raw.hello());
  const Frame publish = with_header(wire::Command::publish, text_envelope("text.COL.b"));
  Frame body(wire::record_size(publish.size()));
  wire::write_record(body.data(), publish);
  body[0] = 0xff;  // length now exceeds the body
  body[1] = 0xff;
  raw.send(with_header(wire::Command::batch, body));
  CHECK(raw.next_error().error_code() == Errc::bad_batch);
  f.check_others_served("text.COL.after-batch");
}

TEST_CASE("a well-formed batch is accepted message by message", "[integration][hostile]") {
  Fixture f;
  RawClient raw(*f.broker, f.coalition["col-raw"]);
  REQUIRE(raw.hello());
  const TestSystem& self = f.coalition["col-raw"];
  raw.send(batch_frame({publish_frame(self, "text.COL.batch1", 0, 10, nullptr, {"ECU"}),
                        publish_frame(self, "text.COL.batch2", 0, 10, nullptr, {"ECU"})}));
  CHECK(f.inbox.wait_for_topic("text.COL.batch1"));
  CHECK(f.inbox.wait_for_topic("text.COL.batch2"));
}

TEST_CASE("a flood of bad frames gets a bounded number of answers", "[integration][hostile]") {
  Fixture f;
  RawClient raw(*f.broker, f.coalition["col-raw"]);
  REQUIRE(raw.hello());
  for (int i = 0; i < 2000; ++i) raw.send({0x01});
  // The broker answers some, counts all, and keeps serving.
  CHECK(raw.next_error().error_code() == Errc::malformed_frame);
  f.check_others_served("text.COL.after-flood");
  const auto metrics = f.broker->directory() / "metrics.json";
  CHECK(eventually([&] {
    std::ifstream in(metrics);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto at = text.find("\"errors_suppressed\":");
    return at != std::string::npos && text.compare(at + 20, 2, "0,") != 0;
  }));
}
