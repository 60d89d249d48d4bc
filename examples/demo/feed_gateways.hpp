// The demo's real gateways: enlace-nmea-gateway child processes (child_process.hpp), one
// per patrol radio gateway of the scenario and one for the AIS receiver, each connecting
// to the broker with its own system's CURVE key, as an operator would run them.
//
// Each gateway listens on a UDP port on 127.0.0.1 and is fed by a simulated device
// (udp_feed.hpp). Its configuration is generated on every run into
// <state>/gateways/<system>.toml (the ports change from run to run); its log, and the
// counters it prints when it stops, go to <state>/gateways/<system>.log.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "child_process.hpp"
#include "scenario.hpp"
#include "simulated_system.hpp"
#include "state_dir.hpp"

namespace demo {

/// The enlace-nmea-gateway to run, searched like the broker (find_program).
std::filesystem::path find_nmea_gateway(const std::string& explicit_path);

/// Whether the scenario runs `system` as a real gateway process rather than in the demo.
bool runs_as_gateway(const SystemSpec& system) noexcept;

/// A loopback UDP port that was free a moment ago (bound, read, closed). Should another
/// program take it in between, the gateway cannot bind it and fails to start, clearly.
std::uint16_t free_udp_port();

class GatewayProcess {
 public:
  /// Writes the configuration (a [bus] table for `system`'s keys and `bus`, then `body`:
  /// sources, radios, AIS settings), starts `program` with it and waits, up to `timeout`,
  /// until its ready file says it has its bus session and its sources listen. Throws
  /// std::runtime_error, with the end of its log, if it exits or is not ready in time.
  GatewayProcess(const std::filesystem::path& program, const SystemSpec& system,
                 const StateDir& state, const BusAccess& bus, const std::string& body,
                 std::chrono::milliseconds timeout = std::chrono::seconds(20));

  const SystemSpec& spec() const noexcept { return spec_; }
  int pid() const noexcept { return child_.pid(); }
  const std::filesystem::path& config_file() const noexcept { return config_; }
  const std::filesystem::path& log_file() const noexcept { return child_.spec().log_file; }

  /// If the gateway has exited on its own, a sentence saying how; empty while it runs.
  std::string exited() { return child_.exited(); }
  /// Whether it has exited with status 0.
  bool exited_cleanly() { return child_.exited_cleanly(); }
  /// SIGTERM (the gateway flushes what it has handed to the SDK and prints its counters),
  /// then SIGKILL after `grace`. Idempotent.
  std::string stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

  /// After stop(), from the counters it printed at exit, summed over its sources: the
  /// lines it read, the reports it published, and its rejects by reason
  /// ("checksum":2,...; empty when it rejected nothing).
  std::uint64_t lines() const noexcept { return lines_; }
  std::uint64_t published() const noexcept { return published_; }
  const std::string& rejects() const noexcept { return rejects_; }

 private:
  const SystemSpec& spec_;
  std::filesystem::path config_;
  ChildProcess child_;
  std::uint64_t lines_ = 0;
  std::uint64_t published_ = 0;
  std::string rejects_;
};

}  // namespace demo
