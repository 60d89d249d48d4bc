// The broker's log cannot be forged by a peer: whatever bytes a client puts into the
// fields the broker logs, each event stays one line (docs/protocol.md, 5.1 and 8.4).
#include <catch2/catch.hpp>

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
