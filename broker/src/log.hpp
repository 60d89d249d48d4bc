// Minimal structured logging to stderr: "2026-11-28T07:30:00.123Z INFO message".
// The routing thread logs only on rare events (sessions, reloads, refusals under a rate
// limit), never per delivered message.
#pragma once

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <chrono>
#include <cstdio>

namespace enlace::broker::log {

enum class Level { debug, info, warn, error };

inline Level& threshold() {
  static Level level = Level::info;
  return level;
}

template <class... Args>
void write(Level level, fmt::format_string<Args...> format, Args&&... args) {
  if (level < threshold()) return;
  static constexpr const char* kNames[] = {"DEBUG", "INFO", "WARN", "ERROR"};
  const auto now = std::chrono::system_clock::now();
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  fmt::print(stderr, "{:%Y-%m-%dT%H:%M:%S}.{:03}Z {} {}\n",
             std::chrono::floor<std::chrono::seconds>(now), ms.count(),
             kNames[static_cast<int>(level)], fmt::format(format, std::forward<Args>(args)...));
}

template <class... Args>
void info(fmt::format_string<Args...> format, Args&&... args) {
  write(Level::info, format, std::forward<Args>(args)...);
}
template <class... Args>
void warn(fmt::format_string<Args...> format, Args&&... args) {
  write(Level::warn, format, std::forward<Args>(args)...);
}
template <class... Args>
void error(fmt::format_string<Args...> format, Args&&... args) {
  write(Level::error, format, std::forward<Args>(args)...);
}
template <class... Args>
void debug(fmt::format_string<Args...> format, Args&&... args) {
  write(Level::debug, format, std::forward<Args>(args)...);
}

}  // namespace enlace::broker::log
