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

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
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

/// Writes one line when `level` passes the threshold; formats nothing otherwise.
template <class... Args>
void write(Level level, fmt::format_string<detail::Logged<Args>...> format, Args&&... args) {
  if (level < threshold()) return;
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
  // The format was checked against the Logged types at compile time (the parameter's
  // type); the arguments are formatted as those types.
  fmt::vformat_to(std::back_inserter(line), fmt::string_view(format),
                  fmt::make_format_args(detail::logged(args)...));
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
