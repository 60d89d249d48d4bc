// The broker's subscription index: matching, dedup responsibility, pruning.
#include <catch2/catch.hpp>

#include <set>

#include "subscription_trie.hpp"

using namespace enlace;
using enlace::broker::SubscriptionRef;
using enlace::broker::SubscriptionTrie;

namespace {

topic::Tokens tokens(const char* text) {
  topic::Tokens t;
  REQUIRE(t.split(text));
  return t;
}

std::multiset<std::uint64_t> matches(const SubscriptionTrie& trie, const char* topic) {
  std::multiset<std::uint64_t> ids;
  trie.match(tokens(topic), [&](const SubscriptionRef& ref) { ids.insert(ref.id); });
  return ids;
}

}  // namespace

TEST_CASE("the trie matches literal, `*` and `>` patterns like topic::matches", "[trie]") {
  SubscriptionTrie trie;
  const char* patterns[] = {
      "track.COL.radar.T1", "track.*.radar.T1",        "track.>", "track.COL.>", ">", "*.COL.*.*",
      "position.>",         "track.COL.radar.T1.extra"};
  std::uint64_t id = 0;
  for (const char* p : patterns) trie.add(tokens(p), {nullptr, ++id});
  CHECK(trie.size() == 8);

  const char* topics[] = {"track.COL.radar.T1",   "track.ECU.radar.T1", "track",
                          "position.PER.unit.P1", "alert.COL.x.y",      "track.COL"};
  for (const char* t : topics) {
    std::multiset<std::uint64_t> expected;
    for (std::size_t i = 0; i < std::size(patterns); ++i) {
      if (topic::matches(patterns[i], t)) expected.insert(i + 1);
    }
    INFO("topic " << t);
    CHECK(matches(trie, t) == expected);
  }
}

TEST_CASE("removing subscriptions prunes the trie", "[trie]") {
  SubscriptionTrie trie;
  trie.add(tokens("track.COL.>"), {nullptr, 1});
  trie.add(tokens("track.*.radar"), {nullptr, 2});
  trie.add(tokens("track.COL.radar"), {nullptr, 3});
  CHECK(matches(trie, "track.COL.radar") == std::multiset<std::uint64_t>{1, 2, 3});
  CHECK(trie.remove(tokens("track.*.radar"), 2));
  CHECK_FALSE(trie.remove(tokens("track.*.radar"), 2));
  CHECK_FALSE(trie.remove(tokens("track.COL.radar"), 99));
  CHECK(matches(trie, "track.COL.radar") == std::multiset<std::uint64_t>{1, 3});
  CHECK(trie.remove(tokens("track.COL.>"), 1));
  CHECK(trie.remove(tokens("track.COL.radar"), 3));
  CHECK(trie.size() == 0);
  CHECK(matches(trie, "track.COL.radar").empty());
}

TEST_CASE("two subscriptions on one pattern are both found", "[trie]") {
  SubscriptionTrie trie;
  trie.add(tokens("alert.>"), {nullptr, 1});
  trie.add(tokens("alert.>"), {nullptr, 2});
  CHECK(matches(trie, "alert.COL.drone") == std::multiset<std::uint64_t>{1, 2});
}
