// Topics and topic patterns.
//
// A topic is a sequence of dot-separated tokens, e.g. "track.COL.radar.rx17.T0042".
// A pattern is a topic in which a token may be `*` (exactly one token) or, as the last
// token only, `>` (one or more remaining tokens). These are the NATS rules, stated
// precisely in docs/protocol.md. All functions here are pure and thread-safe.
#pragma once

#include "enlace/export.hpp"

#include <cstddef>
#include <string_view>

namespace enlace::topic {

inline constexpr std::size_t kMaxBytes = 255;  // longest topic or pattern accepted
inline constexpr std::size_t kMaxTokens = 32;  // most tokens in a topic or pattern

/// A topic or pattern split into tokens without allocating. Views point into the input.
class ENLACE_API Tokens {
 public:
  /// Splits `text`; returns false (and leaves the object empty) if it has an empty
  /// token, more than kMaxTokens tokens or more than kMaxBytes bytes.
  bool split(std::string_view text) noexcept;

  std::size_t size() const noexcept { return count_; }
  std::string_view operator[](std::size_t i) const noexcept { return tokens_.views[i]; }
  const std::string_view* begin() const noexcept { return tokens_.views; }
  const std::string_view* end() const noexcept { return tokens_.views + count_; }

 private:
  // Not initialised: split() writes the first count_ views and nothing reads past them.
  // std::string_view's constructor would zero all kMaxTokens views each time a Tokens is
  // made, which the broker does for every message it routes.
  union Views {
    Views() noexcept {}
    std::string_view views[kMaxTokens];
  } tokens_;
  std::size_t count_ = 0;
};

/// matches() on already split tokens: the form for hot paths that split once.
ENLACE_API bool matches(const Tokens& pattern, const Tokens& topic) noexcept;

/// is_valid_topic() on already split tokens (split() succeeded): no wildcard, only
/// token characters.
ENLACE_API bool is_valid_topic(const Tokens& topic) noexcept;

/// A literal topic: non-empty tokens of printable ASCII other than space, `*` and `>`.
ENLACE_API bool is_valid_topic(std::string_view topic) noexcept;

/// A valid pattern: like a topic, but a token may be `*`, and the last token may be `>`.
ENLACE_API bool is_valid_pattern(std::string_view pattern) noexcept;

/// True when the pattern holds `*` or `>`.
ENLACE_API bool has_wildcard(std::string_view pattern) noexcept;

/// Whether `pattern` matches the literal `topic`. Both must be valid.
ENLACE_API bool matches(std::string_view pattern, std::string_view topic) noexcept;

/// Whether every topic matched by `inner` is also matched by `outer` (pattern containment).
ENLACE_API bool contains(std::string_view outer, std::string_view inner) noexcept;

/// Whether at least one topic is matched by both patterns.
ENLACE_API bool overlaps(std::string_view a, std::string_view b) noexcept;

}  // namespace enlace::topic
