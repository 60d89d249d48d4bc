// The demo's broker: an enlace-broker child process on a free loopback port.
//
// The child runs in its own process group, so a Ctrl-C in the terminal reaches only the
// demo, which then closes its clients before it stops the broker; and it gets SIGTERM
// should the demo die without stopping it (PR_SET_PDEATHSIG).
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

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
  /// Same as stop().
  ~BrokerProcess();
  BrokerProcess(const BrokerProcess&) = delete;
  BrokerProcess& operator=(const BrokerProcess&) = delete;

  /// The bound endpoint, e.g. "tcp://127.0.0.1:40217".
  const std::string& endpoint() const noexcept { return endpoint_; }
  int pid() const noexcept { return pid_; }

  /// If the broker has exited on its own, a sentence saying how; empty while it runs.
  std::string exited();

  /// SIGTERM, then SIGKILL if it has not exited within `grace`. Idempotent. Returns a
  /// description of how it ended ("exited with status 0", "killed by signal 9").
  std::string stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

 private:
  std::filesystem::path log_file_;
  std::string endpoint_;
  int pid_ = -1;
  std::optional<int> status_;  // set once reaped
};

/// The last `lines` lines of a file, for error messages.
std::string tail_of(const std::filesystem::path& file, int lines = 15);

}  // namespace demo
