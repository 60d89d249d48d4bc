#include "log.hpp"

#include <fmt/chrono.h>

#include <chrono>
#include <cstdio>
#include <iterator>

namespace enlace::broker::log {

void write_line(Level level, fmt::string_view format, fmt::format_args args) {
  static constexpr const char* kNames[] = {"DEBUG", "INFO", "WARN", "ERROR"};
  const auto now = std::chrono::system_clock::now();
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  fmt::memory_buffer line;
  fmt::format_to(std::back_inserter(line), "{:%Y-%m-%dT%H:%M:%S}.{:03}Z {} ",
                 std::chrono::floor<std::chrono::seconds>(now), ms.count(),
                 kNames[static_cast<int>(level)]);
  fmt::vformat_to(std::back_inserter(line), format, args);
  line.push_back('\n');
  std::fwrite(line.data(), 1, line.size(), stderr);  // one write per line
}

}  // namespace enlace::broker::log
