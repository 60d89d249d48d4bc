// fuzz_topic: the topic and pattern functions of sdk/include/enlace/topic.hpp against
// straightforward reference definitions written from docs/protocol.md, and the properties
// that tie them together:
//   - split, is_valid_topic, is_valid_pattern and has_wildcard agree with the references;
//   - the split form and the string form of matches and is_valid_topic agree;
//   - matches agrees with a recursive reference on valid input;
//   - a valid topic is a valid pattern that matches, contains and overlaps itself;
//   - contains(a, b) and matches(b, t) imply matches(a, t); contains(a, b) holds exactly
//     when `a` matches the representative topics of `b`;
//   - overlaps is symmetric, holds when one topic matches both patterns, and exactly when
//     a common topic can be built from the two patterns.
//
// Input: byte 0 is a separator; the rest splits at its first two occurrences into the
// strings a, b and t (t keeps any further separators). Any byte can thus appear in them.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "enlace/topic.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace enlace;
using TokenList = std::vector<std::string_view>;

constexpr std::string_view kOne = "*";
constexpr std::string_view kRest = ">";

// ---- reference definitions ---------------------------------------------------------------

std::optional<TokenList> ref_split(std::string_view text) {
  if (text.empty() || text.size() > topic::kMaxBytes) return std::nullopt;
  TokenList tokens;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = text.find('.', start);
    const std::string_view token =
        text.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (token.empty()) return std::nullopt;
    tokens.push_back(token);
    if (tokens.size() > topic::kMaxTokens) return std::nullopt;
    if (dot == std::string_view::npos) return tokens;
    start = dot + 1;
  }
}

bool ref_literal_token(std::string_view token) {
  return std::all_of(token.begin(), token.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7f && c != '*' && c != '>';
  });
}

bool ref_valid_topic(const std::optional<TokenList>& tokens) {
  return tokens && std::all_of(tokens->begin(), tokens->end(), ref_literal_token);
}

bool ref_valid_pattern(const std::optional<TokenList>& tokens) {
  if (!tokens) return false;
  for (std::size_t i = 0; i < tokens->size(); ++i) {
    const std::string_view token = (*tokens)[i];
    if (token == kOne) continue;
    if (token == kRest && i + 1 == tokens->size()) continue;
    if (!ref_literal_token(token)) return false;
  }
  return true;
}

bool ref_has_wildcard(const std::optional<TokenList>& tokens) {
  return tokens && std::any_of(tokens->begin(), tokens->end(), [](std::string_view token) {
           return token == kOne || token == kRest;
         });
}

// A valid pattern against a valid topic, by the recursive definition.
bool ref_matches(std::span<const std::string_view> p, std::span<const std::string_view> t) {
  if (p.empty()) return t.empty();
  if (p[0] == kRest) return !t.empty();
  if (t.empty()) return false;
  if (p[0] != kOne && p[0] != t[0]) return false;
  return ref_matches(p.subspan(1), t.subspan(1));
}

std::string join(const TokenList& tokens) {
  std::string out;
  for (const std::string_view token : tokens) {
    if (!out.empty()) out += '.';
    out += token;
  }
  return out;
}

// A one-character token that is a token of neither pattern: it stands for "any other
// token" in the constructions below.
std::string fresh_token(const TokenList& a, const TokenList& b) {
  for (char c = '!'; c <= '~'; ++c) {
    if (c == '.' || c == '*' || c == '>') continue;
    const std::string candidate(1, c);
    if (std::find(a.begin(), a.end(), candidate) == a.end() &&
        std::find(b.begin(), b.end(), candidate) == b.end()) {
      return candidate;
    }
  }
  return "~";  // unreachable: 64 tokens cannot take all 91 characters
}

// Topics that stand for everything `b` matches: each `*` a fresh token, a final `>` one or
// two of them. `a` contains `b` exactly when it matches all of them.
std::vector<std::string> representatives(const TokenList& b, std::string_view fresh) {
  TokenList base(b.begin(), b.end());
  for (auto& token : base) {
    if (token == kOne) token = fresh;
  }
  if (base.back() != kRest) return {join(base)};
  base.back() = fresh;
  std::vector<std::string> out = {join(base)};
  base.push_back(fresh);
  out.push_back(join(base));
  return out;
}

// A topic both patterns match, built token by token; nullopt when none exists.
std::optional<std::string> common_topic(const TokenList& x, const TokenList& y,
                                        std::string_view fresh) {
  TokenList out;
  const auto rest_of = [&](const TokenList& p, std::size_t from) {
    for (std::size_t j = from; j < p.size(); ++j) {
      out.push_back(p[j] == kOne || p[j] == kRest ? fresh : p[j]);
    }
  };
  for (std::size_t i = 0;; ++i) {
    if (i == x.size() || i == y.size()) {
      if (i == x.size() && i == y.size()) return join(out);
      return std::nullopt;  // one pattern ended without `>`, the other goes on
    }
    if (x[i] == kRest) {  // matches whatever y's remaining tokens match (one at least)
      rest_of(y, i);
      return join(out);
    }
    if (y[i] == kRest) {
      rest_of(x, i);
      return join(out);
    }
    if (x[i] == kOne) {
      out.push_back(y[i] == kOne ? fresh : y[i]);
    } else if (y[i] == kOne || x[i] == y[i]) {
      out.push_back(x[i]);
    } else {
      return std::nullopt;
    }
  }
}

// ---- properties --------------------------------------------------------------------------

struct Checked {
  std::string_view text;
  std::optional<TokenList> ref;
  bool topic = false;
  bool pattern = false;
};

Checked check_single(std::string_view text) {
  Checked c{text, ref_split(text)};
  topic::Tokens tokens;
  const bool split = tokens.split(text);
  FUZZ_CHECK(split == c.ref.has_value());
  if (split) {
    FUZZ_CHECK(tokens.size() == c.ref->size());
    FUZZ_CHECK(std::equal(tokens.begin(), tokens.end(), c.ref->begin(), c.ref->end()));
    FUZZ_CHECK(topic::is_valid_topic(tokens) == topic::is_valid_topic(text));
  } else {
    FUZZ_CHECK(tokens.size() == 0);  // "leaves the object empty"
  }
  c.topic = topic::is_valid_topic(text);
  c.pattern = topic::is_valid_pattern(text);
  FUZZ_CHECK(c.topic == ref_valid_topic(c.ref));
  FUZZ_CHECK(c.pattern == ref_valid_pattern(c.ref));
  FUZZ_CHECK(topic::has_wildcard(text) == ref_has_wildcard(c.ref));
  if (c.topic) {
    FUZZ_CHECK(c.pattern);
    FUZZ_CHECK(topic::matches(text, text));
    FUZZ_CHECK(topic::contains(text, text));
    FUZZ_CHECK(topic::overlaps(text, text));
  }
  if (c.pattern) {
    FUZZ_CHECK(topic::contains(text, text));
    FUZZ_CHECK(topic::overlaps(text, text));
  }
  return c;
}

void check_match(const Checked& p, const Checked& t) {
  const bool matched = topic::matches(p.text, t.text);
  topic::Tokens pt, tt;
  if (pt.split(p.text) && tt.split(t.text)) FUZZ_CHECK(topic::matches(pt, tt) == matched);
  if (p.pattern && t.topic) FUZZ_CHECK(matched == ref_matches(*p.ref, *t.ref));
}

void check_pair(const Checked& a, const Checked& b) {
  if (!a.pattern || !b.pattern) return;
  const bool contained = topic::contains(a.text, b.text);
  const bool overlapping = topic::overlaps(a.text, b.text);
  FUZZ_CHECK(overlapping == topic::overlaps(b.text, a.text));
  if (contained) FUZZ_CHECK(overlapping);  // b matches some topic, which a matches too

  const std::string fresh = fresh_token(*a.ref, *b.ref);
  bool all_valid = true, all_matched = true;
  for (const std::string& rep : representatives(*b.ref, fresh)) {
    if (!topic::is_valid_topic(rep)) {
      all_valid = false;  // the two-token expansion of a long pattern may be too long
      continue;
    }
    FUZZ_CHECK(topic::matches(b.text, rep));
    const bool matched = topic::matches(a.text, rep);
    if (contained) FUZZ_CHECK(matched);
    all_matched = all_matched && matched;
  }
  if (all_valid) FUZZ_CHECK(contained == all_matched);

  const auto common = common_topic(*a.ref, *b.ref, fresh);
  if (!common) {
    FUZZ_CHECK(!overlapping);
  } else if (topic::is_valid_topic(*common)) {
    FUZZ_CHECK(overlapping);
    FUZZ_CHECK(topic::matches(a.text, *common));
    FUZZ_CHECK(topic::matches(b.text, *common));
  }
}

void check_triple(const Checked& a, const Checked& b, const Checked& t) {
  if (!a.pattern || !b.pattern || !t.topic) return;
  const bool in_a = topic::matches(a.text, t.text);
  const bool in_b = topic::matches(b.text, t.text);
  if (topic::contains(a.text, b.text) && in_b) FUZZ_CHECK(in_a);
  if (in_a && in_b) FUZZ_CHECK(topic::overlaps(a.text, b.text));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const char separator = static_cast<char>(data[0]);
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  std::string_view parts[3];
  for (int i = 0; i < 2; ++i) {
    const std::size_t at = rest.find(separator);
    parts[i] = rest.substr(0, at);
    rest = at == std::string_view::npos ? std::string_view() : rest.substr(at + 1);
  }
  parts[2] = rest;

  const Checked a = check_single(parts[0]);
  const Checked b = check_single(parts[1]);
  const Checked t = check_single(parts[2]);
  for (const Checked* p : {&a, &b, &t}) {
    for (const Checked* q : {&a, &b, &t}) {
      check_match(*p, *q);
      check_pair(*p, *q);
    }
  }
  check_triple(a, b, t);
  check_triple(b, a, t);
  return 0;
}
