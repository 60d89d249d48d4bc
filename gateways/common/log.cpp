#include "common/log.hpp"

#include <fmt/chrono.h>

#include <atomic>
#include <cstdio>

namespace enlace::gateway::log {
namespace {
std::atomic<Level> g_threshold{Level::info};
}

std::string escaped(std::string_view text, std::size_t limit) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  const std::size_t shown = std::min(text.size(), limit);
  out.reserve(shown + 16);
  for (std::size_t i = 0; i < shown; ++i) {
    const char c = text[i];
    if (c >= ' ' && c <= '~' && c != '\\' && c != '\'' && c != '"') {
      out.push_back(c);
      continue;
    }
    const auto byte = static_cast<unsigned char>(c);
    out += "\\x";
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 0xf]);
  }
  if (shown < text.size()) out += fmt::format("...({} bytes)", text.size());
  return out;
}

void set_threshold(Level level) {
  g_threshold.store(level);
}

void write(Level level, std::string_view message) {
  if (level < g_threshold.load()) return;
  static constexpr const char* kNames[] = {"DEBUG", "INFO", "WARN", "ERROR"};
  const auto now = std::chrono::system_clock::now();
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  const std::string line = fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03}Z {} {}\n",
                                       std::chrono::floor<std::chrono::seconds>(now), ms.count(),
                                       kNames[static_cast<int>(level)], message);
  std::fwrite(line.data(), 1, line.size(), stderr);  // one write per line
}

bool RateLimited::allow(std::uint64_t& suppressed) {
  const auto now = std::chrono::steady_clock::now();
  if (last_ != std::chrono::steady_clock::time_point{} && now - last_ < interval_) {
    ++held_;
    return false;
  }
  last_ = now;
  suppressed = held_;
  held_ = 0;
  return true;
}

}  // namespace enlace::gateway::log
