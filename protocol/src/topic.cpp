#include "enlace/topic.hpp"

#include <bit>
#include <cstdint>
#include <cstring>

namespace enlace::topic {
namespace {

// Byte-parallel tests on 64-bit words ("SWAR"); each returns a mask with the high bit set
// in every byte that passes, exactly (no false positives from carries between bytes).
namespace swar {

static_assert(std::endian::native == std::endian::little, "byte order of the masks below");

constexpr std::uint64_t kLow7 = 0x7F7F7F7F7F7F7F7FULL;
constexpr std::uint64_t kHigh = 0x8080808080808080ULL;

constexpr std::uint64_t broadcast(unsigned char c) noexcept {
  return 0x0101010101010101ULL * c;
}

// Up to eight bytes from `p` (`left` remain); missing bytes read as `fill`.
inline std::uint64_t load(const char* p, std::size_t left, unsigned char fill) noexcept {
  std::uint64_t word = broadcast(fill);
  std::memcpy(&word, p, left < 8 ? left : 8);
  return word;
}

constexpr std::uint64_t zero(std::uint64_t x) noexcept {
  return ~(((x & kLow7) + kLow7) | x | kLow7);
}

constexpr std::uint64_t equal(std::uint64_t word, unsigned char c) noexcept {
  return zero(word ^ broadcast(c));
}

// Bytes outside 0x21..0x7E: high bit set, below '!' (0x21), or DEL (0x7F).
constexpr std::uint64_t outside_printable(std::uint64_t word) noexcept {
  const std::uint64_t at_least_21 = ((word & kLow7) + broadcast(0x80 - 0x21)) & kHigh;
  return (word & kHigh) | (~at_least_21 & kHigh) | equal(word, 0x7F);
}

// Index of the first byte flagged in a non-zero mask (little-endian byte order).
inline std::size_t first(std::uint64_t mask) noexcept {
  return static_cast<std::size_t>(__builtin_ctzll(mask)) / 8;
}

}  // namespace swar

constexpr std::string_view kOne = "*";
constexpr std::string_view kRest = ">";

bool is_token_char(char c) noexcept {
  return c > ' ' && c <= '~' && c != '.';
}

enum class Kind { topic, pattern };

// A literal topic's bytes, separators included, in one pass eight at a time: printable
// ASCII other than space, `*` and `>`.
bool valid_topic_bytes(std::string_view text) noexcept {
  for (std::size_t at = 0; at < text.size(); at += 8) {
    // Padding past the end with 'a' keeps the checks exact on the last, partial word.
    const std::uint64_t word = swar::load(text.data() + at, text.size() - at, 'a');
    if (swar::outside_printable(word) | swar::equal(word, '*') | swar::equal(word, '>')) {
      return false;
    }
  }
  return true;
}

bool validate(const Tokens& tokens, Kind kind) noexcept {
  if (tokens.size() == 0) return false;
  if (kind == Kind::topic) {
    // The tokens of one split() are views into one string, a dot apart.
    const char* first = tokens[0].data();
    const std::string_view last = tokens[tokens.size() - 1];
    return valid_topic_bytes({first, static_cast<std::size_t>(last.data() + last.size() - first)});
  }
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const std::string_view token = tokens[i];
    const bool wildcard = token == kOne || token == kRest;
    if (wildcard) {
      if (token == kRest && i + 1 != tokens.size()) return false;
      continue;
    }
    for (char c : token) {
      if (!is_token_char(c) || c == '*' || c == '>') return false;
    }
  }
  return true;
}

}  // namespace

bool Tokens::split(std::string_view text) noexcept {
  count_ = 0;
  if (text.empty() || text.size() > kMaxBytes) return false;
  // Eight bytes at a time: every message's topic is split on the publisher, the broker and
  // the subscriber.
  const char* const data = text.data();
  const std::size_t size = text.size();
  std::size_t start = 0;
  for (std::size_t at = 0; at < size; at += 8) {
    for (std::uint64_t dots = swar::equal(swar::load(data + at, size - at, 0), '.'); dots != 0;
         dots &= dots - 1) {
      const std::size_t dot = at + swar::first(dots);
      if (dot == start || count_ == kMaxTokens) {
        count_ = 0;
        return false;
      }
      tokens_.views[count_++] = std::string_view(data + start, dot - start);
      start = dot + 1;
    }
  }
  if (start == size || count_ == kMaxTokens) {
    count_ = 0;
    return false;
  }
  tokens_.views[count_++] = std::string_view(data + start, size - start);
  return true;
}

bool is_valid_topic(std::string_view topic) noexcept {
  Tokens tokens;
  return tokens.split(topic) && validate(tokens, Kind::topic);
}

bool is_valid_topic(const Tokens& topic) noexcept {
  return validate(topic, Kind::topic);
}

bool is_valid_pattern(std::string_view pattern) noexcept {
  Tokens tokens;
  return tokens.split(pattern) && validate(tokens, Kind::pattern);
}

bool has_wildcard(std::string_view pattern) noexcept {
  Tokens tokens;
  if (!tokens.split(pattern)) return false;
  for (std::string_view token : tokens) {
    if (token == kOne || token == kRest) return true;
  }
  return false;
}

bool matches(std::string_view pattern, std::string_view topic) noexcept {
  Tokens p, t;
  if (!p.split(pattern) || !t.split(topic)) return false;
  return matches(p, t);
}

bool matches(const Tokens& p, const Tokens& t) noexcept {
  if (p.size() == 0 || t.size() == 0) return false;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (p[i] == kRest) return i < t.size();
    if (i >= t.size()) return false;
    if (p[i] != kOne && p[i] != t[i]) return false;
  }
  return p.size() == t.size();
}

bool contains(std::string_view outer, std::string_view inner) noexcept {
  Tokens o, n;
  if (!o.split(outer) || !n.split(inner)) return false;
  for (std::size_t i = 0; i < o.size(); ++i) {
    if (o[i] == kRest) return i < n.size();
    if (i >= n.size() || n[i] == kRest) return false;
    if (o[i] == kOne) continue;
    if (n[i] != o[i]) return false;  // also refuses n[i] == "*" under a literal
  }
  return o.size() == n.size();
}

bool overlaps(std::string_view a, std::string_view b) noexcept {
  Tokens x, y;
  if (!x.split(a) || !y.split(b)) return false;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (i >= y.size()) return false;
    if (x[i] == kRest || y[i] == kRest) return true;
    if (x[i] == kOne || y[i] == kOne) continue;
    if (x[i] != y[i]) return false;
  }
  return x.size() == y.size();
}

}  // namespace enlace::topic
