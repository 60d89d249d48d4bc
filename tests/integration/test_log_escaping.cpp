// The broker's log cannot be forged by a peer: whatever bytes a client puts into the
// fields the broker logs, each event stays one line (docs/protocol.md, 5.1 and 8.4).
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "broker_process.hpp"
#include "raw_client.hpp"

using namespace enlace;
using namespace enlace::test;

namespace {

std::vector<std::string> log_lines(const BrokerProcess& broker) {
  std::ifstream in(broker.directory() / "broker.log");
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> lines_containing(const BrokerProcess& broker, const std::string& text) {
  std::vector<std::string> found;
  for (const auto& line : log_lines(broker)) {
    if (line.find(text) != std::string::npos) found.push_back(line);
  }
  return found;
}

struct Fixture {
  TestCoalition coalition;
  std::unique_ptr<BrokerProcess> broker;
  Fixture() {
    coalition.add("col-raw", "COL", "command_post");
    broker = std::make_unique<BrokerProcess>(coalition);
  }
};

}  // namespace

// The broker writes a session's log line before it sends the Welcome (stderr is not
// buffered), so once hello() has its Welcome the line is in the file: no waiting.
TEST_CASE("a client_name holding a line break is logged as one escaped line",
          "[integration][ingest][log]") {
  Fixture f;
  RawClient raw(*f.broker, f.coalition["col-raw"]);
  SECTION("a forged line stays inside the session's line") {
    const std::string forged = "x\n2026-01-01T00:00:00.000Z INFO auth accepted: system 'evil'";
    REQUIRE(raw.hello({.client_name = forged}).has_value());
    for (const auto& line : log_lines(*f.broker)) {
      INFO(line);
      CHECK(line.rfind("2026-01-01T00:00:00.000Z", 0) == std::string::npos);
    }
    const auto lines = lines_containing(*f.broker, "INFO auth accepted: system \\x27evil\\x27");
    REQUIRE(lines.size() == 1);
    CHECK_THAT(lines.front(), Catch::Contains("session 1 opened: system 'col-raw'"));
    CHECK_THAT(lines.front(), Catch::Contains("client 'x\\x0a2026-01-01T00:00:00.000Z INFO"));
  }
  SECTION("escape sequences and other control bytes are written as \\xHH") {
    REQUIRE(raw.hello({.client_name = "acme\x1b[2J\r\x7f\\"}).has_value());
    const auto lines = lines_containing(*f.broker, "session 1 opened");
    REQUIRE(lines.size() == 1);
    CHECK_THAT(lines.front(), Catch::EndsWith("client 'acme\\x1b[2J\\x0d\\x7f\\x5c'"));
  }
  SECTION("an ordinary name is logged as it is") {
    REQUIRE(raw.hello({.client_name = "acme-radar/2.3 (build 7)"}).has_value());
    const auto lines = lines_containing(*f.broker, "session 1 opened");
    REQUIRE(lines.size() == 1);
    CHECK_THAT(lines.front(), Catch::EndsWith("client 'acme-radar/2.3 (build 7)'"));
  }
}

TEST_CASE("a client_name longer than 128 bytes is logged cut to 128 bytes",
          "[integration][ingest][log]") {
  Fixture f;
  RawClient raw(*f.broker, f.coalition["col-raw"]);
  REQUIRE(raw.hello({.client_name = std::string(128, 'a') + std::string(172, 'b')}).has_value());
  const auto lines = lines_containing(*f.broker, "session 1 opened");
  REQUIRE(lines.size() == 1);
  CHECK_THAT(lines.front(),
             Catch::EndsWith("client '" + std::string(128, 'a') + "...(300 bytes)'"));
  // The session is open all the same: the name is informative.
  CHECK(raw.until_pong().size() == 1);
}

// Every refusal is logged before it is answered (at most 10 lines a second, bursts of 20:
// one refusal per section stays within them), so once the answer is in, so is the line.
TEST_CASE("peer text quoted in a refusal is escaped in its reason and in the log line",
          "[integration][ingest][log]") {
  Fixture f;
  const TestSystem& system = f.coalition["col-raw"];
  RawClient raw(*f.broker, system);
  REQUIRE(raw.hello());
  const std::string forged = "x\n2026-01-01T00:00:00.000Z INFO auth accepted: system 'evil'";

  // The answer to the frame under test: an Error naming `request_id` or `message_id`; its
  // reason in `reason`.
  std::string reason;
  const auto refusal = [&](std::uint32_t request_id, const wire::Uuid* message_id) {
    Errc code = Errc::ok;
    REQUIRE(raw.read_until([&](const Received& r) {
      const bool answers = request_id != 0 ? r.request_id() == request_id
                                           : r.message_id() != nullptr && message_id != nullptr &&
                                                 same_id(*r.message_id(), *message_id);
      if (answers) {
        code = r.error_code();
        reason = r.reason();
      }
      return answers;
    }));
    return code;
  };
  const auto publish = [&](EnvelopeSpec spec) {
    wire::Uuid id;
    raw.send(publish_frame(spec, wire::flag::ack_requested, &id));
    return refusal(0, &id);
  };

  Errc code = Errc::ok;
  std::string what;
  SECTION("the topic of a publish") {
    what = "invalid_topic";
    code = publish(EnvelopeSpec("col-raw", "text.COL." + forged));
    CHECK(code == Errc::invalid_topic);
  }
  SECTION("the pattern of a Subscribe") {
    what = "invalid_pattern";
    raw.send(subscribe_frame(5, "text.COL." + forged));
    code = refusal(5, nullptr);
    CHECK(code == Errc::invalid_pattern);
  }
  SECTION("the pattern of an Unsubscribe") {
    what = "invalid_pattern";
    raw.send(unsubscribe_frame(5, "text.COL." + forged));
    code = refusal(5, nullptr);
    CHECK(code == Errc::invalid_pattern);
  }
  SECTION("the origin of an envelope") {
    what = "origin_mismatch";
    code = publish(EnvelopeSpec(forged, "text.COL.origin"));
    CHECK(code == Errc::origin_mismatch);
  }
  SECTION("a label's policy identifier") {
    what = "invalid_label";
    EnvelopeSpec spec("col-raw", "text.COL.label");
    RawLabel label;
    label.policy_identifier = forged;
    spec.label = label;
    code = publish(spec);
    CHECK(code == Errc::invalid_label);
  }
  SECTION("a label category's name") {
    what = "invalid_label";
    EnvelopeSpec spec("col-raw", "text.COL.label");
    RawLabel label;
    label.categories.push_back({.name = forged, .type = 1, .values = {"A"}});  // restrictive
    spec.label = label;
    code = publish(spec);
    CHECK(code == Errc::invalid_label);
  }

  // The reason quotes the text with its control bytes escaped (docs/protocol.md 8.4) ...
  INFO("reason: " << reason);
  CHECK_THAT(reason, Catch::Contains("x\\x0a2026-01-01T00:00:00.000Z INFO auth"));
  CHECK(std::none_of(reason.begin(), reason.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20; }));
  // ... and no line of the log starts with the forged text: it stayed inside the
  // refusal's line, escaped once more there.
  for (const auto& line : log_lines(*f.broker)) {
    INFO(line);
    CHECK(line.rfind("2026-01-01T00:00:00.000Z", 0) == std::string::npos);
  }
  const auto lines = lines_containing(*f.broker, "evil");
  REQUIRE(lines.size() == 1);
  CHECK_THAT(lines.front(), Catch::Contains("INFO refused col-raw (" + what + "): "));
  CHECK_THAT(lines.front(), Catch::Contains("x\\x5cx0a2026-01-01T00:00:00.000Z INFO auth"));
}

TEST_CASE("a long peer text in a refusal is quoted cut to its first 80 bytes",
          "[integration][ingest][log]") {
  Fixture f;
  RawClient raw(*f.broker, f.coalition["col-raw"]);
  REQUIRE(raw.hello());
  // 4,000 bytes of a pattern no rule can hold, and no valid pattern either (a space).
  const std::string pattern = "text.COL. " + std::string(4000, 'p');
  raw.send(subscribe_frame(5, pattern));
  REQUIRE(raw.read_until([](const Received& r) { return r.request_id() == 5; }));
  const auto lines = lines_containing(*f.broker, "INFO refused col-raw (invalid_pattern)");
  REQUIRE(lines.size() == 1);
  CHECK_THAT(lines.front(), Catch::Contains("text.COL. " + std::string(70, 'p') + "..."));
  CHECK(lines.front().size() < 1024);
}
