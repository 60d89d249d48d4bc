// The demo's broker: an enlace-broker child process (child_process.hpp) on ports the
// system picks on 127.0.0.1 (the bus and the HTTP endpoint, so that a demo never collides
// with a broker already running), learnt from the broker's ready file.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

#include "child_process.hpp"
#include "state_dir.hpp"

namespace demo {

/// The enlace-broker to run: `explicit_path` if given, else the one this build made, else
/// one next to the enlace-demo executable, else the first on PATH. Throws
/// std::runtime_error naming every place it looked.
std::filesystem::path find_broker(const std::string& explicit_path);

class BrokerProcess {
 public:
  /// Starts `program` with the state directory's policy, keys and files, and waits (up to
  /// `timeout`) until it has written its ready file. Throws std::runtime_error, with the
  /// end of the broker's log, if it exits or does not become ready.
  BrokerProcess(const std::filesystem::path& program, const StateDir& state,
                std::chrono::milliseconds timeout = std::chrono::seconds(20));

  /// The bound endpoint, e.g. "tcp://127.0.0.1:40217".
  const std::string& endpoint() const noexcept { return child_.ready_line(); }
  int pid() const noexcept { return child_.pid(); }
  /// The HTTP endpoint's address, e.g. "127.0.0.1:40219" (`enlace broker status --http`).
  const std::string& http_address() const noexcept { return http_address_; }

  /// If the broker has exited on its own, a sentence saying how; empty while it runs.
  std::string exited() { return child_.exited(); }

  /// SIGTERM, then SIGKILL if it has not exited within `grace`. Idempotent. Returns a
  /// description of how it ended ("exited with status 0", "killed by signal 9").
  std::string stop(std::chrono::milliseconds grace = std::chrono::seconds(5)) {
    return child_.stop(grace);
  }

 private:
  ChildProcess child_;
  std::string http_address_;
};

}  // namespace demo
