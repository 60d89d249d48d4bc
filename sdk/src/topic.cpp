#include "enlace/topic.hpp"

namespace enlace::topic {
namespace {

constexpr std::string_view kOne = "*";
constexpr std::string_view kRest = ">";

bool is_token_char(char c) noexcept {
  return c > ' ' && c <= '~' && c != '.';
}

enum class Kind { topic, pattern };

bool validate(const Tokens& tokens, Kind kind) noexcept {
  if (tokens.size() == 0) return false;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const std::string_view token = tokens[i];
    const bool wildcard = token == kOne || token == kRest;
    if (wildcard) {
      if (kind == Kind::topic) return false;
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
  // One pass over the bytes: topics are short, and this runs for every message.
  const char* const data = text.data();
  const std::size_t size = text.size();
  std::size_t start = 0;
  for (std::size_t i = 0; i <= size; ++i) {
    if (i < size && data[i] != '.') continue;
    if (i == start || count_ == kMaxTokens) {
      count_ = 0;
      return false;
    }
    tokens_[count_++] = std::string_view(data + start, i - start);
    start = i + 1;
  }
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
