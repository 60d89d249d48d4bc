// One-line logs to stderr: "2026-12-02T07:30:00.123Z WARN message". Every string argument
// is escaped on its way into the line, because most of what the gateway logs comes from
// peers (uids, types, parser messages quoting their bytes, certificate subjects): a
// newline or a terminal escape in any of them must not forge a line.
//
// Thread-safe: one fwrite of a whole line per call.
#pragma once

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <string_view>
#include <type_traits>

namespace enlace::tak::log {

enum class Level { debug, info, warn, error };

/// A string as it goes into a log line: printable ASCII other than `\`, `'` and `"`
/// unchanged, every other byte as \xHH, cut to `limit` bytes (the line gives the length).
struct Escaped {
  std::string_view text;
  std::size_t limit = 256;
};

namespace detail {
template <class T>
inline constexpr bool is_text =
    std::is_convertible_v<const T&, std::string_view> && !std::is_same_v<T, Escaped>;
template <class T>
using Logged = std::conditional_t<is_text<std::remove_cvref_t<T>>, Escaped, std::remove_cvref_t<T>>;
template <class T>
decltype(auto) logged(const T& value) noexcept {
  if constexpr (is_text<T>) {
    return Escaped{std::string_view(value)};
  } else {
    return (value);
  }
}
}  // namespace detail

inline Level& threshold() {
  static Level level = Level::info;
  return level;
}

template <class... Args>
void write(Level level, fmt::format_string<detail::Logged<Args>...> format, Args&&... args) {
  if (level < threshold()) return;
  static constexpr const char* kNames[] = {"DEBUG", "INFO", "WARN", "ERROR"};
  const auto now = std::chrono::system_clock::now();
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  fmt::memory_buffer line;
  fmt::format_to(std::back_inserter(line), "{:%Y-%m-%dT%H:%M:%S}.{:03}Z {} ",
                 std::chrono::floor<std::chrono::seconds>(now), ms.count(),
                 kNames[static_cast<int>(level)]);
  // The format was checked against the Logged types at compile time.
  fmt::vformat_to(std::back_inserter(line), fmt::string_view(format),
                  fmt::make_format_args(detail::logged(args)...));
  line.push_back('\n');
  std::fwrite(line.data(), 1, line.size(), stderr);
}

template <class... Args>
void info(fmt::format_string<detail::Logged<Args>...> format, Args&&... args) {
  write<Args...>(Level::info, format, std::forward<Args>(args)...);
}
template <class... Args>
void warn(fmt::format_string<detail::Logged<Args>...> format, Args&&... args) {
  write<Args...>(Level::warn, format, std::forward<Args>(args)...);
}
template <class... Args>
void error(fmt::format_string<detail::Logged<Args>...> format, Args&&... args) {
  write<Args...>(Level::error, format, std::forward<Args>(args)...);
}

}  // namespace enlace::tak::log

template <>
struct fmt::formatter<enlace::tak::log::Escaped> {
  constexpr auto parse(fmt::format_parse_context& ctx) { return ctx.begin(); }
  template <class Context>
  auto format(const enlace::tak::log::Escaped& e, Context& ctx) const {
    auto out = ctx.out();
    const std::size_t n = e.text.size() < e.limit ? e.text.size() : e.limit;
    for (std::size_t i = 0; i < n; ++i) {
      const char c = e.text[i];
      if (c >= ' ' && c <= '~' && c != '\\' && c != '\'' && c != '"') {
        *out++ = c;
      } else {
        out = fmt::format_to(out, "\\x{:02x}", static_cast<unsigned char>(c));
      }
    }
    if (n < e.text.size()) out = fmt::format_to(out, "...({} bytes)", e.text.size());
    return out;
  }
};
