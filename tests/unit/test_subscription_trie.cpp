// The broker's subscription index: matching, dedup responsibility, pruning.
#include <catch2/catch.hpp>

#include <set>

#include "subscription_trie.hpp"

using namespace enlace;
using enlace::broker::SubscriptionRef;
using enlace::broker::SubscriptionTrie;
using enlace::broker::TrieSlot;

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

// Refs for subscriptions 1..N, each with its own slot, as sessions keep them.
struct Refs {
  std::vector<TrieSlot> slots = std::vector<TrieSlot>(64);
  SubscriptionRef operator[](std::uint64_t id) { return {nullptr, id, &slots.at(id)}; }
};

}  // namespace

TEST_CASE("the trie matches literal, `*` and `>` patterns like topic::matches", "[trie]") {
  SubscriptionTrie trie;
  const char* patterns[] = {
      "track.COL.radar.T1", "track.*.radar.T1",        "track.>", "track.COL.>", ">", "*.COL.*.*",
      "position.>",         "track.COL.radar.T1.extra"};
  Refs refs;
  std::uint64_t id = 0;
  for (const char* p : patterns) trie.add(tokens(p), refs[++id]);
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
  Refs refs;
  trie.add(tokens("track.COL.>"), refs[1]);
  trie.add(tokens("track.*.radar"), refs[2]);
  trie.add(tokens("track.COL.radar"), refs[3]);
  CHECK(matches(trie, "track.COL.radar") == std::multiset<std::uint64_t>{1, 2, 3});
  CHECK(trie.remove(tokens("track.*.radar"), refs[2]));
  CHECK_FALSE(trie.remove(tokens("track.*.radar"), refs[2]));
  CHECK_FALSE(trie.remove(tokens("track.COL.radar"), refs[9]));
  CHECK(matches(trie, "track.COL.radar") == std::multiset<std::uint64_t>{1, 3});
  CHECK(trie.remove(tokens("track.COL.>"), refs[1]));
  CHECK(trie.remove(tokens("track.COL.radar"), refs[3]));
  CHECK(trie.size() == 0);
  CHECK(matches(trie, "track.COL.radar").empty());
}

TEST_CASE("two subscriptions on one pattern are both found", "[trie]") {
  SubscriptionTrie trie;
  Refs refs;
  trie.add(tokens("alert.>"), refs[1]);
  trie.add(tokens("alert.>"), refs[2]);
  CHECK(matches(trie, "alert.COL.drone") == std::multiset<std::uint64_t>{1, 2});
}

TEST_CASE("subscriptions sharing a node are removed in any order, each by its slot", "[trie]") {
  SubscriptionTrie trie;
  Refs refs;
  for (std::uint64_t id = 1; id <= 10; ++id) trie.add(tokens("alert.>"), refs[id]);
  // From the middle, the front and the back: the ref moved into each hole stays removable.
  for (std::uint64_t id : {5, 1, 10, 2, 9, 3, 8, 4, 7, 6}) {
    INFO("removing " << id);
    CHECK(trie.remove(tokens("alert.>"), refs[id]));
    CHECK_FALSE(trie.remove(tokens("alert.>"), refs[id]));
    CHECK(matches(trie, "alert.COL").count(id) == 0);
  }
  CHECK(trie.size() == 0);
  CHECK(matches(trie, "alert.COL").empty());
}

TEST_CASE("a ref is not removed under another pattern", "[trie]") {
  SubscriptionTrie trie;
  Refs refs;
  trie.add(tokens("alert.COL"), refs[1]);
  trie.add(tokens("alert.ECU"), refs[2]);
  // Both sit at index 0 of their nodes; the id tells them apart.
  CHECK_FALSE(trie.remove(tokens("alert.ECU"), refs[1]));
  CHECK(trie.size() == 2);
  CHECK(trie.remove(tokens("alert.COL"), refs[1]));
  CHECK(matches(trie, "alert.ECU") == std::multiset<std::uint64_t>{2});
}
