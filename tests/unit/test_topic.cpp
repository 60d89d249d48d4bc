// Topics and patterns (enlace/topic.hpp): validity, matching, containment and overlap.
// Containment and overlap decide subscribe permissions, so their edge cases between `*`
// (exactly one token) and `>` (one or more trailing tokens) are spelt out one by one.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "enlace/topic.hpp"

namespace topic = enlace::topic;

namespace {

// "t.t.t..." with `count` tokens.
std::string tokens(std::size_t count) {
  std::string out = "t";
  for (std::size_t i = 1; i < count; ++i) out += ".t";
  return out;
}

}  // namespace

// ---- Tokens ------------------------------------------------------------------------------

TEST_CASE("split yields the dot-separated tokens as views", "[topic]") {
  topic::Tokens t;
  REQUIRE(t.split("track.COL.radar"));
  REQUIRE(t.size() == 3);
  CHECK(t[0] == "track");
  CHECK(t[1] == "COL");
  CHECK(t[2] == "radar");
}

TEST_CASE("split refuses empty tokens and leaves the object empty", "[topic]") {
  topic::Tokens t;
  CHECK_FALSE(t.split("a..b"));
  CHECK(t.size() == 0);
  CHECK_FALSE(t.split(""));
  CHECK_FALSE(t.split(".a"));
  CHECK_FALSE(t.split("a."));
}

TEST_CASE("split accepts 32 tokens and refuses 33", "[topic]") {
  topic::Tokens t;
  CHECK(t.split(tokens(topic::kMaxTokens)));
  CHECK(t.size() == topic::kMaxTokens);
  CHECK_FALSE(t.split(tokens(topic::kMaxTokens + 1)));
}

// ---- topics ------------------------------------------------------------------------------

TEST_CASE("conventional topics are valid", "[topic]") {
  CHECK(topic::is_valid_topic("track.COL.radar.rx17.T0042"));
  CHECK(topic::is_valid_topic("position.ECU.unit.P12"));
  CHECK(topic::is_valid_topic("alert"));
  CHECK(topic::is_valid_topic("a-b_c.x:y.v1/2.@home"));
}

TEST_CASE("topics with empty tokens are invalid", "[topic]") {
  CHECK_FALSE(topic::is_valid_topic(""));
  CHECK_FALSE(topic::is_valid_topic("."));
  CHECK_FALSE(topic::is_valid_topic(".track"));
  CHECK_FALSE(topic::is_valid_topic("track."));
  CHECK_FALSE(topic::is_valid_topic("track..COL"));
}

TEST_CASE("topics may not hold wildcards", "[topic]") {
  CHECK_FALSE(topic::is_valid_topic("*"));
  CHECK_FALSE(topic::is_valid_topic(">"));
  CHECK_FALSE(topic::is_valid_topic("track.*"));
  CHECK_FALSE(topic::is_valid_topic("track.>"));
}

TEST_CASE("topic tokens may not contain '*' or '>' inside them", "[topic]") {
  CHECK_FALSE(topic::is_valid_topic("track.COL*"));
  CHECK_FALSE(topic::is_valid_topic("a>b"));
}

TEST_CASE("topics hold only printable ASCII without spaces", "[topic]") {
  CHECK_FALSE(topic::is_valid_topic("track.COL radar"));
  CHECK_FALSE(topic::is_valid_topic("track.\tCOL"));
  CHECK_FALSE(topic::is_valid_topic("track.\x7f"));
  CHECK_FALSE(topic::is_valid_topic("track.Bogot\xc3\xa1"));
  CHECK_FALSE(topic::is_valid_topic(std::string("a\0b", 3)));
}

TEST_CASE("topics are limited to 255 bytes", "[topic]") {
  CHECK(topic::is_valid_topic(std::string(topic::kMaxBytes, 'a')));
  CHECK_FALSE(topic::is_valid_topic(std::string(topic::kMaxBytes + 1, 'a')));
}

TEST_CASE("topics are limited to 32 tokens", "[topic]") {
  CHECK(topic::is_valid_topic(tokens(topic::kMaxTokens)));
  CHECK_FALSE(topic::is_valid_topic(tokens(topic::kMaxTokens + 1)));
}

// ---- patterns ----------------------------------------------------------------------------

TEST_CASE("literal topics are valid patterns", "[topic]") {
  CHECK(topic::is_valid_pattern("track.COL.radar"));
}

TEST_CASE("'*' may stand for any token", "[topic]") {
  CHECK(topic::is_valid_pattern("*"));
  CHECK(topic::is_valid_pattern("*.COL"));
  CHECK(topic::is_valid_pattern("track.*.radar"));
  CHECK(topic::is_valid_pattern("*.*.*"));
}

TEST_CASE("'>' is valid only as the last token", "[topic]") {
  CHECK(topic::is_valid_pattern(">"));
  CHECK(topic::is_valid_pattern("track.>"));
  CHECK(topic::is_valid_pattern("*.COL.>"));
  CHECK_FALSE(topic::is_valid_pattern(">.COL"));
  CHECK_FALSE(topic::is_valid_pattern("track.>.radar"));
  CHECK_FALSE(topic::is_valid_pattern(">.>"));
}

TEST_CASE("wildcards must be whole tokens", "[topic]") {
  CHECK_FALSE(topic::is_valid_pattern("track.CO*"));
  CHECK_FALSE(topic::is_valid_pattern("track.**"));
  CHECK_FALSE(topic::is_valid_pattern("track.>>"));
  CHECK_FALSE(topic::is_valid_pattern("track.a>"));
}

TEST_CASE("patterns with empty tokens are invalid", "[topic]") {
  CHECK_FALSE(topic::is_valid_pattern(""));
  CHECK_FALSE(topic::is_valid_pattern("track..>"));
  CHECK_FALSE(topic::is_valid_pattern("track."));
  CHECK_FALSE(topic::is_valid_pattern(".>"));
}

TEST_CASE("patterns share the topic length limits", "[topic]") {
  CHECK_FALSE(topic::is_valid_pattern(std::string(topic::kMaxBytes + 1, 'a')));
  CHECK_FALSE(topic::is_valid_pattern(tokens(topic::kMaxTokens) + ".>"));
}

TEST_CASE("has_wildcard sees whole-token '*' and '>' only", "[topic]") {
  CHECK(topic::has_wildcard("track.*"));
  CHECK(topic::has_wildcard("track.>"));
  CHECK(topic::has_wildcard(">"));
  CHECK_FALSE(topic::has_wildcard("track.COL.radar"));
  CHECK_FALSE(topic::has_wildcard("track.a*b"));
}

// ---- matches -----------------------------------------------------------------------------

TEST_CASE("a literal pattern matches only the same topic", "[topic]") {
  CHECK(topic::matches("track.COL", "track.COL"));
  CHECK_FALSE(topic::matches("track.COL", "track.COLX"));
  CHECK_FALSE(topic::matches("track.COL", "track.col"));
  CHECK_FALSE(topic::matches("track.COL", "track.COL.radar"));
  CHECK_FALSE(topic::matches("track.COL.radar", "track.COL"));
}

TEST_CASE("'*' matches exactly one token", "[topic]") {
  CHECK(topic::matches("track.*", "track.COL"));
  CHECK(topic::matches("*.COL", "track.COL"));
  CHECK(topic::matches("track.*.radar", "track.ECU.radar"));
  CHECK_FALSE(topic::matches("track.*", "track"));
  CHECK_FALSE(topic::matches("track.*", "track.COL.radar"));
  CHECK(topic::matches("*", "track"));
  CHECK_FALSE(topic::matches("*", "track.COL"));
}

TEST_CASE("'>' matches one or more trailing tokens", "[topic]") {
  CHECK(topic::matches("track.>", "track.COL"));
  CHECK(topic::matches("track.>", "track.COL.radar.rx17.T0042"));
  CHECK_FALSE(topic::matches("track.>", "track"));
  CHECK_FALSE(topic::matches("track.>", "position.COL"));
  CHECK(topic::matches(">", "track"));
  CHECK(topic::matches(">", "track.COL.radar"));
}

TEST_CASE("'*' and '>' combine", "[topic]") {
  CHECK(topic::matches("position.*.unit.>", "position.ECU.unit.P12"));
  CHECK(topic::matches("position.*.unit.>", "position.ECU.unit.P12.fix"));
  CHECK_FALSE(topic::matches("position.*.unit.>", "position.ECU.unit"));
  CHECK_FALSE(topic::matches("position.*.unit.>", "position.ECU.vessel.V1"));
}

// ---- contains ----------------------------------------------------------------------------

TEST_CASE("every pattern contains itself", "[topic]") {
  for (const char* p : {"a", "a.b", "a.*", "a.>", "*", ">", "*.b.>", "a.*.c"}) {
    INFO(p);
    CHECK(topic::contains(p, p));
  }
}

TEST_CASE("'>' alone contains every pattern", "[topic]") {
  CHECK(topic::contains(">", "a"));
  CHECK(topic::contains(">", "*"));
  CHECK(topic::contains(">", "a.b.c"));
  CHECK(topic::contains(">", "*.>"));
}

TEST_CASE("a literal contains only itself", "[topic]") {
  CHECK(topic::contains("a.b", "a.b"));
  CHECK_FALSE(topic::contains("a.b", "a.c"));
  CHECK_FALSE(topic::contains("a.b", "a.*"));
  CHECK_FALSE(topic::contains("a.b", "a.b.c"));
  CHECK_FALSE(topic::contains("a.b", "a"));
}

TEST_CASE("'*' contains one literal token or '*', never '>'", "[topic]") {
  CHECK(topic::contains("a.*", "a.b"));
  CHECK(topic::contains("a.*", "a.*"));
  CHECK_FALSE(topic::contains("a.*", "a.>"));
  CHECK_FALSE(topic::contains("a.*", "a.b.c"));
  CHECK_FALSE(topic::contains("a.*", "a"));
  CHECK_FALSE(topic::contains("*", ">"));
}

TEST_CASE("'>' contains '*', '>' and any longer tail", "[topic]") {
  CHECK(topic::contains("a.>", "a.b"));
  CHECK(topic::contains("a.>", "a.*"));
  CHECK(topic::contains("a.>", "a.>"));
  CHECK(topic::contains("a.>", "a.*.>"));
  CHECK(topic::contains("a.>", "a.b.c.d"));
  CHECK(topic::contains("a.>", "a.*.c"));
}

TEST_CASE("'>' needs at least one token, so 'a.>' does not contain 'a'", "[topic]") {
  CHECK_FALSE(topic::contains("a.>", "a"));
  CHECK_FALSE(topic::contains("*.>", "a"));
  CHECK_FALSE(topic::contains("*.>", ">"));
}

TEST_CASE("a longer '>' pattern does not contain a shorter one", "[topic]") {
  CHECK_FALSE(topic::contains("a.*.>", "a.>"));
  CHECK(topic::contains("a.>", "a.*.>"));
  CHECK_FALSE(topic::contains("position.*.unit.>", "position.>"));
  CHECK(topic::contains("position.*.unit.>", "position.COL.unit.*"));
  CHECK_FALSE(topic::contains("position.*.unit.>", "position.*.unit"));
}

TEST_CASE("a literal token in the outer pattern is not contained by a wildcard", "[topic]") {
  CHECK_FALSE(topic::contains("a.b.>", "a.*.>"));
  CHECK_FALSE(topic::contains("a.b.>", "a.>"));
  CHECK(topic::contains("a.*.>", "a.b.>"));
}

TEST_CASE("contains is false for invalid input", "[topic]") {
  CHECK_FALSE(topic::contains("", "a"));
  CHECK_FALSE(topic::contains(">", ""));
  CHECK_FALSE(topic::contains(">", "a..b"));
}

// ---- overlaps ----------------------------------------------------------------------------

TEST_CASE("literals overlap only when equal", "[topic]") {
  CHECK(topic::overlaps("a.b", "a.b"));
  CHECK_FALSE(topic::overlaps("a.b", "a.c"));
  CHECK_FALSE(topic::overlaps("a.b", "a.b.c"));
}

TEST_CASE("'*' overlaps any single token on the other side", "[topic]") {
  CHECK(topic::overlaps("a.*", "a.b"));
  CHECK(topic::overlaps("a.*", "*.b"));
  CHECK(topic::overlaps("a.*.c", "a.b.*"));
  CHECK_FALSE(topic::overlaps("a.*", "a.b.c"));
  CHECK_FALSE(topic::overlaps("*", "a.b"));
}

TEST_CASE("'>' overlaps whatever has a token at its position", "[topic]") {
  CHECK(topic::overlaps("a.>", "a.b.c"));
  CHECK(topic::overlaps("a.>", "*.*"));
  CHECK(topic::overlaps(">", "a"));
  CHECK(topic::overlaps("*", ">"));
  CHECK(topic::overlaps("a.>", "*.b.>"));
  CHECK_FALSE(topic::overlaps("a.>", "a"));
  CHECK_FALSE(topic::overlaps("a.>", "b.>"));
}

TEST_CASE("a '>' that starts past the other pattern's end does not overlap", "[topic]") {
  CHECK_FALSE(topic::overlaps("a.*.>", "a.b"));
  CHECK_FALSE(topic::overlaps("a.b", "a.*.>"));
}

TEST_CASE("overlaps is symmetric", "[topic]") {
  const char* patterns[] = {"a", "a.b", "a.*", "a.>", "*", ">", "*.b.>", "a.*.c", "b.>"};
  for (const char* x : patterns) {
    for (const char* y : patterns) {
      INFO(x << " / " << y);
      CHECK(topic::overlaps(x, y) == topic::overlaps(y, x));
    }
  }
}

TEST_CASE("a pattern that contains another also overlaps it", "[topic]") {
  const char* patterns[] = {"a", "a.b", "a.*", "a.>", "*", ">", "*.b.>", "a.*.c", "a.*.>"};
  for (const char* outer : patterns) {
    for (const char* inner : patterns) {
      if (!topic::contains(outer, inner)) continue;
      INFO(outer << " contains " << inner);
      CHECK(topic::overlaps(outer, inner));
    }
  }
}

// split() and topic validation read eight bytes at a time; a byte-at-a-time reference
// must agree with them on every string, whatever its length and wherever the dots and the
// bad bytes fall relative to the 8-byte words.
TEST_CASE("split and topic validity agree with a byte-at-a-time reference", "[topic]") {
  // Like Tokens::split: nothing is left in `out` when it fails.
  const auto reference_split = [](const std::string& text, std::vector<std::string>& out) {
    out.clear();
    if (text.empty() || text.size() > topic::kMaxBytes) return false;
    const auto fail = [&] {
      out.clear();
      return false;
    };
    std::string token;
    for (char c : text) {
      if (c != '.') {
        token += c;
        continue;
      }
      if (token.empty() || out.size() == topic::kMaxTokens) return fail();
      out.push_back(token);
      token.clear();
    }
    if (token.empty() || out.size() == topic::kMaxTokens) return fail();
    out.push_back(token);
    return true;
  };
  const auto reference_valid = [&](const std::string& text) {
    std::vector<std::string> parts;
    if (!reference_split(text, parts)) return false;
    for (unsigned char c : text) {
      if (c < 0x21 || c > 0x7E || c == '*' || c == '>') return false;
    }
    return true;
  };
  static constexpr char kAlphabet[] = "ab.Z9-_~!*> \x7f\x80\xff\x20\x21";
  const std::string_view alphabet(kAlphabet, sizeof(kAlphabet));  // with the final '\0'

  std::uint64_t state = 42;
  const auto next = [&] {  // xorshift: reproducible
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  for (int round = 0; round < 20000; ++round) {
    const std::size_t length = next() % 41;
    std::string text;
    for (std::size_t i = 0; i < length; ++i) {
      // Mostly token characters and dots, so that many strings are valid topics.
      const std::uint64_t pick = next() % 100;
      text += pick < 70 ? alphabet[pick % 2] : pick < 85 ? '.' : alphabet[next() % alphabet.size()];
    }
    INFO("text of " << text.size() << " bytes: '" << text << "'");
    std::vector<std::string> expected;
    const bool splits = reference_split(text, expected);
    topic::Tokens tokens;
    REQUIRE(tokens.split(text) == splits);
    REQUIRE(tokens.size() == expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) REQUIRE(tokens[i] == expected[i]);
    REQUIRE(topic::is_valid_topic(text) == reference_valid(text));
    if (splits) REQUIRE(topic::is_valid_topic(tokens) == reference_valid(text));
  }
}

TEST_CASE("split handles dots on every word boundary and long topics", "[topic]") {
  for (std::size_t first = 1; first < 20; ++first) {
    const std::string text = std::string(first, 'x') + "." + std::string(20 - first, 'y');
    topic::Tokens tokens;
    REQUIRE(tokens.split(text));
    REQUIRE(tokens.size() == 2);
    CHECK(tokens[0].size() == first);
    CHECK(tokens[1].size() == 20 - first);
    CHECK(topic::is_valid_topic(text));
  }
  const std::string longest(topic::kMaxBytes, 'q');
  CHECK(topic::is_valid_topic(longest));
  CHECK_FALSE(topic::is_valid_topic(longest + "q"));
}
