// Topics and patterns (enlace/topic.hpp): validity, matching, containment and overlap.
// Containment and overlap decide subscribe permissions, so their edge cases between `*`
// (exactly one token) and `>` (one or more trailing tokens) are spelt out one by one.
#include <catch2/catch.hpp>

#include <string>

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
