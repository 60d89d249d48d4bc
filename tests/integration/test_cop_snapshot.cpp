// The COP cache and the late joiner's snapshot (docs/protocol.md 5.3), over real CURVE
// connections: a snapshot holds exactly what the subscriber's nation may see under the policy
// in force when it is sent, never a stale or revoked publisher's message, and hands over to
// live traffic with no gap and no duplicate.
//
// Negative checks need no waiting for something not to happen: a snapshot ends with
// EndOfSnapshot, so once on_snapshot_end has run, everything it held has arrived.
#include <catch2/catch.hpp>

#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "broker_process.hpp"

using namespace enlace;
using namespace enlace::test;

namespace {

constexpr const char* kCop = R"(
[cop]
cached = ["text.>", "position.>"]
max_entries = 100000
)";

/// A late joiner: subscribes with a snapshot and collects it.
struct LateJoiner {
  Inbox inbox;
  std::atomic<bool> ended{false};
  std::atomic<std::uint32_t> count{0};

  void subscribe(Client& client, const std::string& pattern) {
    SubscribeOptions options;
    options.snapshot = true;
    options.on_snapshot_end = [this](std::uint32_t cached) {
      count = cached;
      ended = true;
    };
    REQUIRE(client.subscribe(pattern, inbox.handler(), options).ok());
    REQUIRE(eventually([&] { return ended.load(); }, 20s));
  }
  /// Texts received from the snapshot, by topic.
  std::map<std::string, std::string> snapshot_texts() const {
    std::map<std::string, std::string> texts;
    for (const Delivery& delivery : inbox.snapshot()) {
      if (!delivery.from_snapshot()) continue;
      const auto* text = delivery.as<wire::Text>();
      texts[std::string(delivery.topic())] = text ? text->body()->str() : "";
    }
    return texts;
  }
};

struct Coalition {
  TestCoalition coalition;
  std::unique_ptr<BrokerProcess> broker;
  std::map<std::string, std::unique_ptr<Client>> clients;

  using Edits = std::vector<std::pair<std::string, std::string>>;
  explicit Coalition(std::initializer_list<std::pair<const char*, const char*>> systems,
                     std::string extra = kCop, Edits edits = {}) {
    for (const auto& [id, nation_role] : systems) {
      const std::string spec = nation_role;
      coalition.add(id, spec.substr(0, 3), spec.substr(4));
    }
    coalition.extra = std::move(extra);
    coalition.edits = std::move(edits);
    broker = std::make_unique<BrokerProcess>(coalition);
  }
  Client& operator[](const std::string& id) {
    auto& client = clients[id];
    if (!client) {
      client = std::make_unique<Client>(broker->options_for(coalition[id]));
      REQUIRE(client->wait_connected(10s).ok());
    }
    return *client;
  }
};

Result<PublishAck> publish_position(Client& client, const std::string& topic) {
  return client.publish_and_wait(topic, [](flatbuffers::FlatBufferBuilder& fbb) {
    const wire::GeoPoint point(0.51, -76.50);
    auto position = wire::CreatePosition(fbb, &point);
    return wire::CreatePositionReportDirect(fbb, "P12", "CONDOR 12", position);
  });
}

std::set<std::string> snapshot_topics(const LateJoiner& joiner) {
  std::set<std::string> topics;
  for (const auto& [topic, body] : joiner.snapshot_texts()) topics.insert(topic);
  for (const Delivery& delivery : joiner.inbox.snapshot()) {
    if (delivery.from_snapshot()) topics.insert(std::string(delivery.topic()));
  }
  return topics;
}

}  // namespace

TEST_CASE("a late joiner's snapshot holds what its nation may see, and no more",
          "[integration][cop]") {
  Coalition c({{"col-cp", "COL/command_post"},
               {"col-cp2", "COL/command_post"},
               {"ecu-cp", "ECU/command_post"},
               {"bra-cp", "BRA/command_post"}});
  // Published before anyone subscribed: only the cache can show them.
  REQUIRE(publish_text(c["col-cp"], "text.COL.for-ecu", "for Ecuador", {"ECU"}).ok());
  REQUIRE(publish_text(c["col-cp"], "text.COL.home", "unlabelled: Colombia only").ok());
  REQUIRE(
      publish_text(c["col-cp"], "text.COL.both", "for Ecuador and Brazil", {"ECU", "BRA"}).ok());

  LateJoiner ecu, bra, col;
  ecu.subscribe(c["ecu-cp"], "text.>");
  bra.subscribe(c["bra-cp"], "text.>");
  col.subscribe(c["col-cp2"], "text.COL.>");

  CHECK(snapshot_topics(ecu) == std::set<std::string>{"text.COL.both", "text.COL.for-ecu"});
  CHECK(ecu.count == 2);
  CHECK(snapshot_topics(bra) == std::set<std::string>{"text.COL.both"});
  CHECK(bra.count == 1);
  CHECK(snapshot_topics(col) ==
        std::set<std::string>{"text.COL.both", "text.COL.for-ecu", "text.COL.home"});
  CHECK(col.count == 3);
  // Snapshot deliveries carry the authenticated origin like live ones.
  for (const Delivery& delivery : ecu.inbox.snapshot()) {
    CHECK(delivery.from_snapshot());
    CHECK(delivery.origin_system() == "col-cp");
    CHECK(delivery.header().broker_id()->string_view() == "test-broker");
  }
}

TEST_CASE("the cache keeps the newest message per topic, and a snapshot only what matches",
          "[integration][cop]") {
  Coalition c({{"col-cp", "COL/command_post"}, {"col-cp2", "COL/command_post"}});
  REQUIRE(publish_text(c["col-cp"], "text.COL.sitrep", "first").ok());
  REQUIRE(publish_text(c["col-cp"], "text.COL.sitrep", "second").ok());
  REQUIRE(publish_text(c["col-cp"], "alert.COL.flood", "alerts are not cached").ok());

  LateJoiner joiner, alerts;
  joiner.subscribe(c["col-cp2"], "text.>");
  CHECK(joiner.snapshot_texts() ==
        std::map<std::string, std::string>{{"text.COL.sitrep", "second"}});
  CHECK(joiner.count == 1);
  alerts.subscribe(c["col-cp2"], "alert.>");  // alert.> is not a [cop] cached pattern
  CHECK(alerts.count == 0);
  CHECK(alerts.inbox.size() == 0);

  // Without `snapshot` a subscriber gets live traffic only.
  Inbox live;
  REQUIRE(c["col-cp2"].subscribe("text.COL.>", live.handler()).ok());
  REQUIRE(publish_text(c["col-cp"], "text.COL.marker", "live").ok());
  REQUIRE(live.wait_for_topic("text.COL.marker"));
  CHECK(live.size() == 1);
}

TEST_CASE("a snapshot omits what a reload forbade and what a revoked system published",
          "[integration][cop]") {
  Coalition c({{"col-gw", "COL/gateway"},
               {"col-gw2", "COL/gateway"},
               {"ecu-cp", "ECU/command_post"},
               {"per-cp", "PER/command_post"},
               {"per-cp2", "PER/command_post"}});
  REQUIRE(publish_position(c["col-gw"], "position.COL.unit.P1").ok());
  REQUIRE(publish_position(c["col-gw2"], "position.COL.unit.P2").ok());

  SECTION("an agreement narrowed: Ecuador no longer shares positions by default") {
    LateJoiner before;
    before.subscribe(c["ecu-cp"], "position.>");
    CHECK(snapshot_topics(before) ==
          std::set<std::string>{"position.COL.unit.P1", "position.COL.unit.P2"});

    c.coalition.edits.push_back({R"(name = "putumayo"
parties = ["COL", "ECU", "PER"])",
                                 R"(name = "putumayo"
parties = ["COL", "PER"])"});
    const auto reloads = c.broker->metric("policy_reloads").value_or(0);
    c.broker->reload(c.coalition);
    REQUIRE(c.broker->wait_metric("policy_reloads", [&](auto n) { return n > reloads; }));

    LateJoiner ecu, per;
    ecu.subscribe(c["ecu-cp"], "position.>");  // the same pattern again: a new snapshot
    per.subscribe(c["per-cp"], "position.>");
    CHECK(ecu.count == 0);
    CHECK(snapshot_topics(ecu).empty());
    CHECK(snapshot_topics(per) ==
          std::set<std::string>{"position.COL.unit.P1", "position.COL.unit.P2"});
  }

  SECTION("a publisher revoked: its entries are purged at the reload") {
    c.coalition.revoked.push_back("col-gw");
    const auto reloads = c.broker->metric("policy_reloads").value_or(0);
    c.broker->reload(c.coalition);
    REQUIRE(c.broker->wait_metric("policy_reloads", [&](auto n) { return n > reloads; }));
    REQUIRE(c.broker->wait_metric("cop_purged", [](auto n) { return n >= 1; }));

    LateJoiner per;
    per.subscribe(c["per-cp2"], "position.>");
    CHECK(snapshot_topics(per) == std::set<std::string>{"position.COL.unit.P2"});
    CHECK(per.count == 1);
  }
}

TEST_CASE("stale messages are never in a snapshot", "[integration][cop]") {
  Coalition c({{"col-cp", "COL/command_post"}, {"col-cp2", "COL/command_post"}},
              std::string(kCop) + "\n[cop.stale_seconds]\nText = 1\n");
  const auto publish = [&](const std::string& topic, std::chrono::nanoseconds ttl) {
    PublishOptions options;
    options.time_to_live = ttl;
    return c["col-cp"].publish_and_wait(
        topic, [](auto& fbb) { return wire::CreateTextDirect(fbb, "x"); }, options);
  };
  // Stale on arrival (its stale time passed before the broker received it): never cached.
  REQUIRE(publish("text.COL.stale", 1ns).ok());
  REQUIRE(c.broker->wait_metric("cop_stale_on_arrival", [](auto n) { return n >= 1; }));
  // No stale time: the policy's default for its kind (Text: 1 s) applies.
  REQUIRE(publish("text.COL.default-ttl", 0ns).ok());
  REQUIRE(c.broker->wait_metric("cop_expired", [](auto n) { return n >= 1; }));
  REQUIRE(publish("text.COL.fresh", 10min).ok());

  LateJoiner joiner;
  joiner.subscribe(c["col-cp2"], "text.>");
  CHECK(snapshot_topics(joiner) == std::set<std::string>{"text.COL.fresh"});
}

TEST_CASE("snapshot and live traffic hand over with no gap and no duplicate",
          "[integration][cop]") {
  // Large enough that the snapshot takes many slices while the publisher keeps sending.
  constexpr int kTopics = 20000;
  // A subscriber that falls behind must not drop: its queue may hold the whole run. The
  // publisher sends as fast as it can: no rate limit may refuse any of it.
  Coalition c(
      {{"col-cp", "COL/command_post"}, {"col-cp2", "COL/command_post"}}, kCop,
      {{"max_subscriptions = 64", "max_subscriptions = 64\nmax_session_queue_bytes = 268435456"},
       {"default_rate = 100000", "default_rate = 100000000"},
       {"default_burst = 100000", "default_burst = 100000000"}});

  // Both connect before the flood: this test is about the hand-over, not about how long a
  // CURVE handshake waits behind a publisher that the edits above exempt from rate limits.
  Client& publisher = c["col-cp"];
  Client& subscriber = c["col-cp2"];
  // Message i goes to topic i % kTopics and says i.
  const auto send = [&](int i) {
    const std::string body = std::to_string(i);
    return publisher.publish("text.COL.t" + std::to_string(i % kTopics),
                             [&](auto& fbb) { return wire::CreateTextDirect(fbb, body.c_str()); });
  };
  int next = 0;
  for (; next < 2 * kTopics; ++next) REQUIRE(send(next).ok());
  REQUIRE(publisher.flush(20s).ok());

  std::atomic<bool> stop{false};
  std::atomic<int> published{next};
  std::thread feeder([&] {
    // As fast as the client takes them: a full send queue is waited out, anything else ends it.
    for (int i = published; !stop; ++i) {
      auto sent = send(i);
      while (!sent.ok() && sent.code() == Errc::queue_full && !stop) {
        std::this_thread::yield();
        sent = send(i);
      }
      if (!sent.ok()) break;
      published = i + 1;
    }
  });
  // A failed REQUIRE below must still end the feeder, or the test aborts instead of failing.
  struct Joiner {
    std::atomic<bool>& stop;
    std::thread& thread;
    ~Joiner() {
      stop = true;
      if (thread.joinable()) thread.join();
    }
  } feeder_end{stop, feeder};
  LateJoiner joiner;
  joiner.subscribe(subscriber, "text.COL.>");
  // Live traffic went on during the snapshot; a little more after it.
  const int at_end = published;
  REQUIRE(eventually([&] { return published > at_end + 1000; }, 20s));
  stop = true;
  feeder.join();
  REQUIRE(publisher.flush(20s).ok());
  REQUIRE(publisher.stats().broker_errors == 0);  // every publish was accepted
  const int total = published;
  REQUIRE(publish_text(publisher, "text.COL.marker", "end").ok());
  REQUIRE(joiner.inbox.wait_for_topic("text.COL.marker", 60s));

  std::map<int, std::string> snapshot;  // message number -> topic
  std::vector<int> live;
  std::set<std::uint64_t> sequences;
  for (const Delivery& delivery : joiner.inbox.snapshot()) {
    if (delivery.topic() == "text.COL.marker") continue;
    CHECK(sequences.insert(delivery.sequence()).second);  // no duplicate
    const int i = std::stoi(delivery.as<wire::Text>()->body()->str());
    if (delivery.from_snapshot()) {
      snapshot[i] = std::string(delivery.topic());
    } else {
      live.push_back(i);
    }
  }
  REQUIRE(!live.empty());
  REQUIRE(!snapshot.empty());
  INFO("snapshot " << snapshot.size() << ", live " << live.size() << ", published " << total);
  // Live: every message from the first live one on, each once, in order (no gap).
  const int first_live = live.front();
  REQUIRE(live.size() == static_cast<std::size_t>(total - first_live));
  for (std::size_t k = 0; k < live.size(); ++k)
    REQUIRE(live[k] == first_live + static_cast<int>(k));
  // The snapshot holds only what came before live traffic, one message per topic, and for
  // each topic either its newest message before the hand-over or nothing because a live
  // message superseded it.
  CHECK(snapshot.rbegin()->first < first_live);
  std::set<std::string> snapshot_topics_seen;
  for (const auto& [i, topic] : snapshot) CHECK(snapshot_topics_seen.insert(topic).second);
  const std::set<int> live_topics = [&] {
    std::set<int> topics;
    for (const int i : live) topics.insert(i % kTopics);
    return topics;
  }();
  for (int t = 0; t < kTopics; ++t) {
    const int newest_before = (first_live - 1) - (first_live - 1 - t) % kTopics;
    const std::string topic = "text.COL.t" + std::to_string(t);
    const auto in_snapshot = snapshot.find(newest_before);
    if (in_snapshot != snapshot.end()) {
      CHECK(in_snapshot->second == topic);
    } else {
      INFO("topic " << topic << ": neither in the snapshot nor updated live");
      CHECK(live_topics.contains(t));
    }
  }
}

TEST_CASE("a subscribe the policy refuses gets no snapshot", "[integration][cop]") {
  Coalition c({{"col-cp", "COL/command_post"}, {"col-gw", "COL/gateway"}});
  REQUIRE(publish_text(c["col-cp"], "text.COL.sitrep", "for Colombia").ok());
  SubscribeOptions options;
  options.snapshot = true;
  Inbox inbox;
  const auto refused = c["col-gw"].subscribe("text.>", inbox.handler(), options);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == Errc::subscribe_denied);
  CHECK(inbox.size() == 0);
}
