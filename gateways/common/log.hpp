// Gateway logging to stderr, one event per line: "2026-12-02T07:30:00.123Z WARN message".
//
// Much of what a gateway could log comes from the devices it reads (sentence text, peer
// addresses, vessel names), so peer-controlled text goes in only through escaped(): bytes
// outside printable ASCII, and the backslash and quotes, become \xHH, and the text is cut
// at a bound. A radio cannot forge a log line or send escape sequences to a terminal.
// Rejects are logged at a bounded rate (RateLimitedLog); the counters hold the rest.
#pragma once

#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace enlace::gateway::log {

enum class Level { debug, info, warn, error };

/// Peer text escaped for a log line; at most `limit` bytes of it are shown.
std::string escaped(std::string_view text, std::size_t limit = 120);

/// Sets the lowest level written (default info).
void set_threshold(Level level);
/// Writes one line; the format is the gateway's own text.
void write(Level level, std::string_view message);

template <class... Args>
void info(fmt::format_string<Args...> format, Args&&... args) {
  write(Level::info, fmt::format(format, std::forward<Args>(args)...));
}
template <class... Args>
void warn(fmt::format_string<Args...> format, Args&&... args) {
  write(Level::warn, fmt::format(format, std::forward<Args>(args)...));
}
template <class... Args>
void error(fmt::format_string<Args...> format, Args&&... args) {
  write(Level::error, fmt::format(format, std::forward<Args>(args)...));
}

/// Lets through at most one message per `interval` and counts the ones it held back, so
/// that a flood of bad input cannot flood the log. Used by one thread.
class RateLimited {
 public:
  explicit RateLimited(std::chrono::steady_clock::duration interval) : interval_(interval) {}
  /// Whether to log now; `suppressed` is set to the messages held back since the last one.
  bool allow(std::uint64_t& suppressed);

 private:
  std::chrono::steady_clock::duration interval_;
  std::chrono::steady_clock::time_point last_{};
  std::uint64_t held_ = 0;
};

}  // namespace enlace::gateway::log
