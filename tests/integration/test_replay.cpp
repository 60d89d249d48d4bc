// Replay from durable streams (docs/protocol.md 5.3, "Replay") over real CURVE connections
// and a real journal: what a stream holds is replayed, marked, in sequence order, before
// EndOfReplay, with live traffic after it and no message twice or missing; the start is a
// sequence, a time or the earliest kept; the audience is the policy's now, as for live
// delivery; and a replay nothing can serve is refused.
#include <catch2/catch.hpp>

#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "broker_process.hpp"

using namespace enlace;
using namespace enlace::test;

namespace {

constexpr const char* kDurable = R"(
[[durable]]
name = "river"
topics = ["alert.*.river.>"]

[[durable]]
name = "logs"
topics = ["alert.*.log.>", "text.*.log.>"]
)";

/// A subscription's deliveries and its EndOfReplay, for the test thread.
struct ReplayInbox {
  Inbox inbox;
  std::atomic<bool> ended{false};
  std::atomic<std::uint64_t> count{0};

  SubscribeOptions options(wire::ReplayFrom from, std::uint64_t value = 0) {
    SubscribeOptions o;
    o.replay_from = from;
    o.replay_value = value;
    o.on_replay_end = [this](const ReplayEnd& end) {
      count = end.replayed;
      ended = true;
    };
    return o;
  }
  std::vector<std::uint64_t> replayed_sequences() const {
    std::vector<std::uint64_t> out;
    for (const Delivery& d : inbox.snapshot())
      if (d.replayed()) out.push_back(d.sequence());
    return out;
  }
};

}  // namespace

TEST_CASE(
    "a replay sends the stored messages marked replayed, then EndOfReplay, then live, none twice",
    "[integration][durable][replay]") {
  ScratchDir data;
  TestCoalition coalition;
  coalition.extra = kDurable;
  coalition.add("col-cp", "COL", "command_post");
  coalition.add("ecu-cp", "ECU", "command_post");
  BrokerProcess broker(coalition, {"--data-dir", data.path.string()});
  Client publisher(broker.options_for(coalition["col-cp"]));
  REQUIRE(publisher.wait_connected(10s).ok());

  // Stored before a kill -9: the replay after the restart reads them from the recovered
  // journal, in both streams, merged by sequence.
  std::set<std::uint64_t> published;
  for (int i = 0; i < 300; ++i) {
    const std::string topic =
        i % 3 == 0 ? "alert.COL.log.r" + std::to_string(i) : "alert.COL.river." + std::to_string(i);
    auto ack = publish_text(publisher, topic, "before " + std::to_string(i), {"ECU"});
    REQUIRE(ack.ok());
    published.insert(ack->sequence);
  }
  broker.stop(true);
  broker.start();
  Client publisher2(broker.options_for(coalition["col-cp"]));
  REQUIRE(publisher2.wait_connected(10s).ok());

  // A publisher keeps going while the replay is asked for and sent: each of its messages
  // arrives once, live or replayed, whichever side of the horizon it fell.
  std::atomic<bool> stop{false};
  std::mutex published_mutex;
  std::thread during([&] {
    for (int i = 0; !stop.load() && i < 5000; ++i) {
      auto ack =
          publish_text(publisher2, "alert.COL.river.during" + std::to_string(i), "during", {"ECU"});
      if (!ack.ok()) continue;
      std::lock_guard lock(published_mutex);
      published.insert(ack->sequence);
    }
  });
  struct Joiner {  // also when a REQUIRE below fails
    std::atomic<bool>& stop;
    std::thread& thread;
    ~Joiner() {
      stop = true;
      if (thread.joinable()) thread.join();
    }
  } joiner{stop, during};
  Client subscriber(broker.options_for(coalition["ecu-cp"]));
  REQUIRE(subscriber.wait_connected(10s).ok());
  ReplayInbox replay;
  REQUIRE(
      subscriber
          .subscribe("alert.>", replay.inbox.handler(), replay.options(wire::ReplayFrom::Earliest))
          .ok());
  REQUIRE(eventually([&] { return replay.ended.load(); }, 30s));
  stop = true;
  during.join();
  std::set<std::uint64_t> expected;
  {
    std::lock_guard lock(published_mutex);
    expected = published;
  }
  REQUIRE(replay.inbox.wait_until([&](const auto& d) { return d.size() >= expected.size(); }, 30s));

  const auto deliveries = replay.inbox.snapshot();
  std::map<std::uint64_t, int> times;
  std::uint64_t max_replayed = 0, min_live = UINT64_MAX, previous_replayed = 0;
  bool replay_in_order = true;
  for (const Delivery& d : deliveries) {
    ++times[d.sequence()];
    if (d.replayed()) {
      replay_in_order = replay_in_order && d.sequence() > previous_replayed;
      previous_replayed = d.sequence();
      max_replayed = std::max(max_replayed, d.sequence());
    } else {
      min_live = std::min(min_live, d.sequence());
    }
  }
  CHECK(replay_in_order);          // sequence order across the two streams
  CHECK(max_replayed < min_live);  // the horizon splits them
  CHECK(replay.count.load() == replay.replayed_sequences().size());
  CHECK(replay.count.load() >= 300);  // at least everything from before the restart
  std::set<std::uint64_t> received;
  for (const auto& [sequence, n] : times) {
    CHECK(n == 1);
    received.insert(sequence);
  }
  CHECK(received == expected);
  CHECK(broker.wait_metric("replays_served", [](auto n) { return n == 1; }));
}

TEST_CASE("a replay starts at a sequence or a time, and one nothing can serve is refused",
          "[integration][durable][replay]") {
  ScratchDir data;
  TestCoalition coalition;
  coalition.extra = kDurable;
  coalition.add("col-cp", "COL", "command_post");
  coalition.add("ecu-cp", "ECU", "command_post");
  BrokerProcess broker(coalition, {"--data-dir", data.path.string()});
  Client publisher(broker.options_for(coalition["col-cp"]));
  Client subscriber(broker.options_for(coalition["ecu-cp"]));
  REQUIRE(publisher.wait_connected(10s).ok());
  REQUIRE(subscriber.wait_connected(10s).ok());
  std::vector<PublishAck> acks;
  for (int i = 0; i < 20; ++i) {
    auto ack = publish_text(publisher, "alert.COL.river.bridge." + std::to_string(i), "x", {"ECU"});
    REQUIRE(ack.ok());
    acks.push_back(*ack);
  }

  SECTION("from a sequence: that one and the later ones") {
    ReplayInbox replay;
    REQUIRE(subscriber
                .subscribe("alert.COL.>", replay.inbox.handler(),
                           replay.options(wire::ReplayFrom::Sequence, acks[12].sequence))
                .ok());
    REQUIRE(eventually([&] { return replay.ended.load(); }, 20s));
    std::vector<std::uint64_t> want;
    for (std::size_t i = 12; i < acks.size(); ++i) want.push_back(acks[i].sequence);
    CHECK(replay.replayed_sequences() == want);
    CHECK(replay.count.load() == 8);
  }
  SECTION("from a time: what the broker received then or later") {
    // Kept for the whole section: its subscription stays, and the client hands the later
    // replay's deliveries to every handler whose pattern matches, this one's too.
    ReplayInbox earliest;
    REQUIRE(subscriber
                .subscribe("alert.COL.river.bridge.>", earliest.inbox.handler(),
                           earliest.options(wire::ReplayFrom::Earliest))
                .ok());
    REQUIRE(eventually([&] { return earliest.ended.load(); }, 20s));
    const auto all = earliest.inbox.snapshot();
    REQUIRE(all.size() == 20);
    ReplayInbox replay;
    REQUIRE(subscriber
                .subscribe("alert.COL.>", replay.inbox.handler(),
                           replay.options(wire::ReplayFrom::Time,
                                          static_cast<std::uint64_t>(all[5].receive_time_ns())))
                .ok());
    REQUIRE(eventually([&] { return replay.ended.load(); }, 20s));
    const auto got = replay.replayed_sequences();
    REQUIRE(!got.empty());
    CHECK(got.front() <= all[5].sequence());  // equal receive times may come just before
    CHECK(got.back() == acks.back().sequence);
    for (const Delivery& d : replay.inbox.snapshot())
      CHECK(d.receive_time_ns() >= all[5].receive_time_ns());
  }
  SECTION("refused: no durable stream holds the pattern's topics, or a snapshot too") {
    Inbox inbox;
    SubscribeOptions none;
    none.replay_from = wire::ReplayFrom::Earliest;
    auto refused = subscriber.subscribe("track.>", inbox.handler(), none);
    REQUIRE(!refused.ok());
    CHECK(refused.error().code == Errc::replay_unavailable);
    CHECK_THAT(refused.error().reason, Catch::Contains("no durable stream"));
    SubscribeOptions both = none;
    both.snapshot = true;
    auto refused_both = subscriber.subscribe("alert.>", inbox.handler(), both);
    REQUIRE(!refused_both.ok());
    CHECK(refused_both.error().code == Errc::replay_unavailable);
    // The session goes on: the same pattern without replay is served.
    CHECK(subscriber.subscribe("track.>", inbox.handler()).ok());
  }
}

TEST_CASE("a replay applies the audience of the policy in force now, as live delivery does",
          "[integration][durable][replay][security]") {
  ScratchDir data;
  TestCoalition coalition;
  coalition.extra = kDurable;
  coalition.add("col-cp", "COL", "command_post");
  coalition.add("ecu-cp", "ECU", "command_post");
  coalition.add("bra-cp", "BRA", "command_post");
  BrokerProcess broker(coalition, {"--data-dir", data.path.string()});
  Client publisher(broker.options_for(coalition["col-cp"]));
  REQUIRE(publisher.wait_connected(10s).ok());
  // Released to ECU only; and one without releasability, shared with BRA by the agreement
  // "amazon" (alerts between COL and BRA).
  REQUIRE(publish_text(publisher, "alert.COL.river.ecu-only", "for Ecuador", {"ECU"}).ok());
  REQUIRE(publish_text(publisher, "alert.COL.river.shared", "by agreement", {}).ok());

  const auto replayed_topics = [&](const std::string& system) {
    Client client(broker.options_for(coalition[system]));
    REQUIRE(client.wait_connected(10s).ok());
    ReplayInbox replay;
    REQUIRE(client
                .subscribe("alert.>", replay.inbox.handler(),
                           replay.options(wire::ReplayFrom::Earliest))
                .ok());
    REQUIRE(eventually([&] { return replay.ended.load(); }, 20s));
    std::set<std::string> topics;
    for (const Delivery& d : replay.inbox.snapshot()) topics.insert(std::string(d.topic()));
    return topics;
  };
  CHECK(replayed_topics("ecu-cp") == std::set<std::string>{"alert.COL.river.ecu-only"});
  CHECK(replayed_topics("bra-cp") == std::set<std::string>{"alert.COL.river.shared"});

  // The agreement revoked: what it shared is no longer replayed to BRA.
  coalition.edits = {{"[[agreements]]\nname = \"amazon\"\nparties = [\"COL\", \"BRA\"]",
                      "[[agreements]]\nname = \"amazon\"\nparties = [\"COL\", \"PER\"]"}};
  broker.reload(coalition);
  CHECK(replayed_topics("bra-cp").empty());
  CHECK(replayed_topics("ecu-cp") == std::set<std::string>{"alert.COL.river.ecu-only"});
  CHECK(broker.wait_metric("denied_by_audience", [](auto n) { return n > 0; }));
}

TEST_CASE("after kill -9 the COP cache of durable topics is rebuilt from the journals",
          "[integration][durable][replay][cop]") {
  ScratchDir data;
  TestCoalition coalition;
  coalition.extra = std::string(kDurable) + "\n[cop]\ncached = [\"alert.>\"]\n";
  coalition.add("col-cp", "COL", "command_post");
  coalition.add("ecu-cp", "ECU", "command_post");
  coalition.add("bra-cp", "BRA", "command_post");
  BrokerProcess broker(coalition, {"--data-dir", data.path.string()});
  Client publisher(broker.options_for(coalition["col-cp"]));
  REQUIRE(publisher.wait_connected(10s).ok());
  REQUIRE(publish_text(publisher, "alert.COL.river.bridge", "old", {"ECU"}).ok());
  REQUIRE(publish_text(publisher, "alert.COL.river.ford", "ford", {"ECU"}).ok());
  auto newest = publish_text(publisher, "alert.COL.river.bridge", "new", {"ECU"});
  REQUIRE(newest.ok());

  broker.stop(true);
  broker.start();
  CHECK(broker.wait_metric("cop_entries", [](auto n) { return n == 2; }));
  const auto snapshot_of = [&](const std::string& system) {
    Client client(broker.options_for(coalition[system]));
    REQUIRE(client.wait_connected(10s).ok());
    Inbox inbox;
    std::atomic<bool> ended{false};
    SubscribeOptions options;
    options.snapshot = true;
    options.on_snapshot_end = [&](std::uint32_t) { ended = true; };
    REQUIRE(client.subscribe("alert.>", inbox.handler(), options).ok());
    REQUIRE(eventually([&] { return ended.load(); }, 20s));
    std::map<std::string, std::uint64_t> latest;
    for (const Delivery& d : inbox.snapshot()) {
      CHECK(d.from_snapshot());
      latest[std::string(d.topic())] = d.sequence();
    }
    return latest;
  };
  // The newest of each topic, with its sequence from before the restart; and only to whom
  // its label releases it.
  const auto ecu = snapshot_of("ecu-cp");
  CHECK(ecu.size() == 2);
  CHECK(ecu.at("alert.COL.river.bridge") == newest->sequence);
  CHECK(snapshot_of("bra-cp").empty());
}
