// Minimal structured logging to stderr: "2026-11-28T07:30:00.123Z INFO message".
// The routing thread logs only on rare events (sessions, reloads, refusals under a rate
// limit), never per delivered message.
//
// One event is one line, and a peer cannot change that: every string argument of a log
// call is escaped on its way into the line (see Escaped), whoever wrote it. Peers control
// much of what the broker logs (a Hello's client_name, topics and patterns, reasons that
// quote them, ZAP addresses), and a newline or a terminal escape sequence in any of them
// would otherwise let a client forge whole log lines, e.g. a fake "auth accepted". The
// format string itself is the broker's own text and is written as is.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <string_view>
#include <type_traits>

namespace enlace::broker::log {

enum class Level { debug, info, warn, error };

/// Bytes of one string argument a log line carries at most; the rest is cut off (the line
/// says how long the text was). Generous, because operators' own text (policy diagnostics)
/// goes through here too; fields with a tighter documented limit pass it to escaped().
inline constexpr std::size_t kMaxFieldBytes = 1024;

/// A string as a log line (or an Error reason) may carry it: printable ASCII stays as it
/// is, except `\`, `'` and `"`; every other byte (control characters, DEL, bytes of UTF-8
/// sequences) becomes `\xHH`, so the result is one line, quotes around it stay unambiguous,
/// and the original bytes can be recovered. Text beyond `limit` bytes is replaced by
/// "...(N bytes)", N being the full length. Formatting one allocates nothing beyond the
/// output buffer.
struct Escaped {
  std::string_view text;
  std::size_t limit = kMaxFieldBytes;
};

inline Escaped escaped(std::string_view text, std::size_t limit = kMaxFieldBytes) noexcept {
  return {text, limit};
}

/// Whether byte `c` goes into an escaped text unchanged.
constexpr bool is_plain(char c) noexcept {
  return c >= ' ' && c <= '~' && c != '\\' && c != '\'' && c != '"';
}

namespace detail {

template <class T>
inline constexpr bool is_text =
    std::is_convertible_v<const T&, std::string_view> && !std::is_same_v<T, Escaped>;

/// What a log argument of type T is formatted as: strings as Escaped, the rest unchanged.
template <class T>
using Logged = std::conditional_t<is_text<std::remove_cvref_t<T>>, Escaped, std::remove_cvref_t<T>>;

template <class T>
decltype(auto) logged(const T& value) noexcept {
  if constexpr (is_text<T>) {
    return escaped(std::string_view(value));
  } else {
    return (value);  // a reference: no copy
  }
}

}  // namespace detail

inline Level& threshold() {
  static Level level = Level::info;
  return level;
}

/// How lines are written: "2026-11-28T07:30:00.123Z INFO message" (text), or one JSON
/// object per line, {"time":"...","level":"info","message":"..."} (json).
enum class Format { text, json };

/// Where lines go (stderr unless --log-file) and in which format. Set once by main()
/// before the broker starts; read by every thread after.
struct Sink {
  Format format = Format::text;
  std::FILE* file = stderr;
};

inline Sink& sink() {
  static Sink value;
  return value;
}

/// Formats and writes one line, "TIME LEVEL message" or its JSON object, to the sink (one
/// write); log.cpp, so that the
/// timestamp's and the line's formatting are compiled once, not in every file that logs.
void write_line(Level level, fmt::string_view format, fmt::format_args args);

/// Writes one line when `level` passes the threshold; formats nothing otherwise.
template <class... Args>
void write(Level level, fmt::format_string<detail::Logged<Args>...> format, Args&&... args) {
  if (level < threshold()) return;
  // The format was checked against the Logged types at compile time (the parameter's
  // type); the arguments are formatted as those types.
  write_line(level, fmt::string_view(format), fmt::make_format_args(detail::logged(args)...));
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
template <class... Args>
void debug(fmt::format_string<detail::Logged<Args>...> format, Args&&... args) {
  write<Args...>(Level::debug, format, std::forward<Args>(args)...);
}

}  // namespace enlace::broker::log

template <>
struct fmt::formatter<enlace::broker::log::Escaped> {
  // No format specification: "{}" only.
  constexpr auto parse(fmt::format_parse_context& ctx) -> decltype(ctx.begin()) {
    return ctx.begin();
  }

  template <class FormatContext>
  auto format(const enlace::broker::log::Escaped& value, FormatContext& ctx) const
      -> decltype(ctx.out()) {
    static constexpr char kHex[] = "0123456789abcdef";
    auto out = ctx.out();
    const std::string_view text = value.text;
    const std::size_t shown = std::min(text.size(), value.limit);
    for (std::size_t i = 0; i < shown; ++i) {
      const char c = text[i];
      if (enlace::broker::log::is_plain(c)) {
        *out++ = c;
        continue;
      }
      const auto byte = static_cast<unsigned char>(c);
      *out++ = '\\';
      *out++ = 'x';
      *out++ = kHex[byte >> 4];
      *out++ = kHex[byte & 0xf];
    }
    if (shown < text.size()) out = fmt::format_to(out, "...({} bytes)", text.size());
    return out;
  }
};
