// The COP cache without a broker: newest per topic, eviction of the least recently stored,
// expiry by stale time in any order, purging at a reload, and slots that stay put while the
// cache changes (what a snapshot's cursor relies on).
#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "cop_cache.hpp"
#include "enlace/wire.hpp"

using namespace enlace;
using enlace::broker::CachedOrigin;
using enlace::broker::CopCache;

namespace {

// An envelope on `topic` whose text is `body` (its size moves the topic within the bytes).
std::vector<std::uint8_t> envelope(const std::string& topic, const std::string& body) {
  flatbuffers::FlatBufferBuilder fbb;
  const wire::Uuid id;
  auto origin = wire::CreateOriginDirect(fbb, "COL", "col-cp");
  auto text = wire::CreateTextDirect(fbb, body.c_str());
  auto root = wire::CreateEnvelopeDirect(fbb, &id, origin, topic.c_str(), 0, 0, 0,
                                         wire::Payload::Text, text.Union());
  fbb.Finish(root, wire::EnvelopeIdentifier());
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

struct Cache {
  CopCache cache;
  std::shared_ptr<const CachedOrigin> origin = std::make_shared<const CachedOrigin>();
  std::uint64_t sequence = 0;

  explicit Cache(std::size_t max_entries = 1000, std::size_t max_bytes = 1 << 20) {
    cache.set_limits({max_entries, max_bytes});
  }
  void store(const std::string& topic, const std::string& body, std::int64_t stale_ns = 1000) {
    const auto bytes = envelope(topic, body);
    cache.store(topic, {bytes.data(), bytes.size()}, origin, ++sequence, 0, stale_ns, 1);
  }
  // Topic -> text of every entry, found by walking the slots as a snapshot does.
  std::map<std::string, std::string> contents() const {
    std::map<std::string, std::string> out;
    for (std::size_t slot = 0; slot < cache.slot_count(); ++slot) {
      if (const CopCache::Entry* entry = cache.at(slot)) {
        const auto* env = wire::GetEnvelope(entry->envelope().data());
        out[std::string(entry->topic())] = env->payload_as_Text()->body()->str();
      }
    }
    return out;
  }
};

}  // namespace

TEST_CASE("the cache keeps the newest message of each topic", "[unit][cop]") {
  Cache c;
  c.store("track.COL.a", "1");
  c.store("track.COL.b", "2");
  // Longer and shorter replacements: the block grows once, the index follows the topic.
  c.store("track.COL.a", std::string(300, 'x'));
  c.store("track.COL.a", "3");
  CHECK(c.contents() ==
        std::map<std::string, std::string>{{"track.COL.a", "3"}, {"track.COL.b", "2"}});
  CHECK(c.cache.size() == 2);
  CHECK(c.cache.counters().stored == 4);
  CHECK(c.cache.counters().replaced == 2);
  CHECK(c.cache.bytes() ==
        envelope("track.COL.a", "3").size() + envelope("track.COL.b", "2").size());
  // Replacing keeps the slot: a snapshot cursor past it does not see the topic again.
  CHECK(c.cache.slot_count() == 2);
}

TEST_CASE("a full cache evicts the entry stored longest ago", "[unit][cop]") {
  Cache c(3);
  c.store("t.a", "a");
  c.store("t.b", "b");
  c.store("t.c", "c");
  c.store("t.a", "a2");  // refreshed: now the newest
  c.store("t.d", "d");   // one too many: t.b goes
  CHECK(c.contents() ==
        std::map<std::string, std::string>{{"t.a", "a2"}, {"t.c", "c"}, {"t.d", "d"}});
  CHECK(c.cache.counters().evicted == 1);

  SECTION("by bytes too") {
    const std::size_t one = envelope("t.e", "e").size();
    c.cache.set_limits({100, 2 * one});
    CHECK(c.cache.size() == 2);
    CHECK(c.contents().count("t.c") == 0);  // the oldest goes first
    CHECK(c.cache.counters().evicted == 2);
  }
}

TEST_CASE("entries expire at their stale time, whatever the order they came in", "[unit][cop]") {
  Cache c(100000, 64 << 20);
  std::mt19937 random(7);
  std::map<std::string, std::int64_t> stale;
  for (int i = 0; i < 2000; ++i) {
    const std::string topic = "t." + std::to_string(i % 500);
    const std::int64_t at = std::uniform_int_distribution<std::int64_t>(1, 10000)(random);
    c.store(topic, "x", at);
    stale[topic] = at;  // a replacement moves the entry in the heap
  }
  for (const std::int64_t now : {0, 2500, 5000, 7500, 9999, 10000}) {
    c.cache.expire(now);
    std::set<std::string> expected, held;
    for (const auto& [topic, at] : stale)
      if (at > now) expected.insert(topic);
    for (const auto& [topic, text] : c.contents()) held.insert(topic);
    CHECK(held == expected);
  }
  CHECK(c.cache.size() == 0);
  CHECK(c.cache.counters().expired == 500);
  CHECK(c.cache.bytes() == 0);
}

TEST_CASE("revise purges what a reload forbids and may narrow the rest", "[unit][cop]") {
  Cache c;
  c.store("t.keep", "k");
  c.store("t.drop", "d");
  c.cache.revise([](CopCache::Entry& entry) {
    entry.audience = 4;
    return entry.topic() != "t.drop";
  });
  CHECK(c.contents() == std::map<std::string, std::string>{{"t.keep", "k"}});
  CHECK(c.cache.counters().purged == 1);
  CHECK(c.cache.at(0)->audience == 4);
  // The freed slot is reused by the next new topic.
  c.store("t.new", "n");
  CHECK(c.cache.slot_count() == 2);
}
