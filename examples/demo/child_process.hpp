// A program the demo runs as a child process (the broker, the gateways): started in its
// own process group, so that a Ctrl-C in the terminal reaches only the demo, which then
// stops its children in order; sent SIGTERM should the demo die without stopping it
// (PR_SET_PDEATHSIG); waited for through the ready file it writes, never by a sleep.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace demo {

/// Finds a program of the Enlace build: `explicit_path` if given (it must be executable),
/// else `built` (the path this build tree produced; may be null), else one next to the
/// enlace-demo executable, else the first on PATH. Throws std::runtime_error naming every
/// place it looked; `option` names the command-line option that overrides the search.
std::filesystem::path find_program(std::string_view name, const std::string& explicit_path,
                                   const char* built, std::string_view option);

struct ChildSpec {
  std::string name;                // for messages, e.g. "enlace-broker"
  std::vector<std::string> args;   // args[0] is the program
  std::filesystem::path log_file;  // stdout and stderr
  bool append_log = true;          // else truncated at start
  /// Written by the child when it is ready: it must not exist before (it is removed);
  /// its first line is kept (ready_line()).
  std::filesystem::path ready_file;
};

class ChildProcess {
 public:
  /// Starts the child and waits (up to `timeout`) until its ready file has a first line.
  /// Throws std::runtime_error, with the end of its log, if it exits or does not become
  /// ready in time (and then stops it).
  ChildProcess(ChildSpec spec, std::chrono::milliseconds timeout);
  /// Same as stop().
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  int pid() const noexcept { return pid_; }
  const std::string& ready_line() const noexcept { return ready_line_; }
  const ChildSpec& spec() const noexcept { return spec_; }

  /// If the child has exited on its own, a sentence saying how; empty while it runs.
  std::string exited();
  /// Whether it has exited with status 0.
  bool exited_cleanly();
  /// SIGTERM, then SIGKILL if it has not exited within `grace`. Idempotent. Returns a
  /// description of how it ended ("exited with status 0", "killed by signal 9").
  std::string stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

 private:
  ChildSpec spec_;
  std::string ready_line_;
  int pid_ = -1;
  std::optional<int> status_;  // set once reaped
};

/// The last `lines` lines of a file, indented, for error messages.
std::string tail_of(const std::filesystem::path& file, int lines = 15);

}  // namespace demo
