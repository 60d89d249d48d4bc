#include "log.hpp"

#include <fmt/chrono.h>

#include <chrono>
#include <cstdio>
#include <iterator>

namespace enlace::broker::log {

void write_line(Level level, fmt::string_view format, fmt::format_args args) {
  static constexpr const char* kNames[] = {"DEBUG", "INFO", "WARN", "ERROR"};
  static constexpr const char* kJsonNames[] = {"debug", "info", "warn", "error"};
  const auto now = std::chrono::system_clock::now();
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  const Sink& out = sink();
  fmt::memory_buffer line;
  const auto time = std::chrono::floor<std::chrono::seconds>(now);
  if (out.format == Format::json) {
    fmt::format_to(std::back_inserter(line),
                   "{{\"time\":\"{:%Y-%m-%dT%H:%M:%S}.{:03}Z\",\"level\":\"{}\",\"message\":\"",
                   time, ms.count(), kJsonNames[static_cast<int>(level)]);
  } else {
    fmt::format_to(std::back_inserter(line), "{:%Y-%m-%dT%H:%M:%S}.{:03}Z {} ", time, ms.count(),
                   kNames[static_cast<int>(level)]);
  }
  const std::size_t message_at = line.size();
  fmt::vformat_to(std::back_inserter(line), format, args);
  if (out.format == Format::json) {
    // Escaped arguments hold neither quotes nor backslashes nor control bytes; the
    // broker's own format text may hold quotes.
    fmt::memory_buffer message;
    for (std::size_t i = message_at; i < line.size(); ++i) {
      if (line[i] == '"' || line[i] == '\\') message.push_back('\\');
      message.push_back(line[i]);
    }
    line.resize(message_at);
    line.append(message);
    line.append(std::string_view("\"}"));
  }
  line.push_back('\n');
  std::fwrite(line.data(), 1, line.size(), out.file);  // one write per line
}

}  // namespace enlace::broker::log
