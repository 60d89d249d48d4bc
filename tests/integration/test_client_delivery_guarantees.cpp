// What the client promises about its own side of the message path: flush() means the
// broker has every message published before it, and a handler that takes its time does
// not cost the session.
#include <catch2/catch.hpp>

#include <atomic>
#include <future>
#include <string>
#include <thread>

#include "broker_process.hpp"

using namespace enlace;
using namespace enlace::test;

namespace {

Result<wire::Uuid> publish_number(Client& client, const std::string& topic, int n) {
  PublishOptions releasable;
  releasable.label.releasable_to = {"ECU"};
  const std::string body = std::to_string(n);
  return client.publish(
      topic,
      [&](flatbuffers::FlatBufferBuilder& fbb) {
        return wire::CreateTextDirect(fbb, body.c_str());
      },
      releasable);
}

}  // namespace

TEST_CASE("flush() then close() at full speed: the broker has every message flush() confirmed",
          "[integration][client]") {
  TestCoalition coalition;
  const auto& publisher = coalition.add("col-cp", "COL", "command_post");
  const auto& subscriber = coalition.add("ecu-cp", "ECU", "command_post");
  BrokerProcess broker(coalition);
  Client sub(broker.options_for(subscriber));
  REQUIRE(sub.wait_connected(10s).ok());
  Inbox inbox;
  REQUIRE(sub.subscribe("text.COL.flush", inbox.handler()).ok());

  // Several rounds, each a fresh publisher that publishes as fast as it can, flushes and
  // closes at once: before flush() waited for the broker, the linger-less close discarded
  // what ZeroMQ still held.
  constexpr int kRounds = 3, kPerRound = 5000;
  for (int round = 0; round < kRounds; ++round) {
    auto options = broker.options_for(publisher);
    options.send_queue_wait = 30s;
    Client pub(options);
    REQUIRE(pub.wait_connected(10s).ok());
    for (int i = 0; i < kPerRound; ++i) REQUIRE(publish_number(pub, "text.COL.flush", i).ok());
    REQUIRE(pub.flush(30s).ok());
    pub.close();
    const auto expected = static_cast<std::size_t>((round + 1) * kPerRound);
    INFO("round " << round);
    REQUIRE(inbox.wait_until([&](const auto& got) { return got.size() >= expected; }, 60s));
  }
  CHECK(inbox.size() == kRounds * kPerRound);
}

TEST_CASE("flush() without a session says it could not confirm", "[integration][client]") {
  TestCoalition coalition;
  const auto& publisher = coalition.add("col-cp", "COL", "command_post");
  BrokerProcess broker(coalition);
  Client pub(broker.options_for(publisher));
  REQUIRE(pub.wait_connected(10s).ok());
  REQUIRE(pub.flush(10s).ok());  // nothing queued, the broker answers the barrier
  broker.stop();
  REQUIRE(eventually([&] { return pub.state() != ConnectionState::connected; }, 30s));
  CHECK_FALSE(pub.flush(2s).ok());
}

TEST_CASE("a handler that blocks for longer than the broker's idle timeout keeps its session",
          "[integration][client]") {
  TestCoalition coalition;
  const auto& publisher = coalition.add("col-cp", "COL", "command_post");
  const auto& subscriber = coalition.add("ecu-cp", "ECU", "command_post");
  BrokerProcess broker(coalition);
  Client pub(broker.options_for(publisher));
  auto options = broker.options_for(subscriber);
  options.heartbeat = 500ms;  // the broker closes a session silent for max(3 s, 3 heartbeats)
  Client sub(options);
  REQUIRE(pub.wait_connected(10s).ok());
  const auto session = sub.wait_connected(10s);
  REQUIRE(session.ok());

  // The application's handler takes 4 s with the first message: longer than the broker
  // waits for a silent session. The heartbeat keeper pings on the I/O thread's behalf.
  std::promise<void> never;
  const auto block = never.get_future();
  std::atomic<bool> blocked{false};
  Inbox inbox;
  const auto collect = inbox.handler();
  REQUIRE(sub.subscribe("text.COL.slow",
                        [&](const Delivery& d) {
                          collect(d);
                          if (!blocked.exchange(true)) (void)block.wait_for(4s);
                        })
              .ok());
  REQUIRE(publish_number(pub, "text.COL.slow", 0).ok());
  REQUIRE(eventually([&] { return blocked.load(); }, 10s));
  // Published while the handler blocks; the marker after it.
  REQUIRE(publish_number(pub, "text.COL.slow", 1).ok());
  REQUIRE(pub.flush(10s).ok());
  REQUIRE(inbox.wait_until([](const auto& got) { return got.size() >= 2; }, 30s));
  REQUIRE(publish_text(pub, "text.COL.slow", "marker", {"ECU"}).ok());
  REQUIRE(inbox.wait_until([](const auto& got) { return got.size() >= 3; }, 30s));

  CHECK(sub.session().session_id == session->session_id);  // the same session throughout
  CHECK(sub.stats().reconnects == 0);
  CHECK(inbox.size() == 3);  // nothing missed, nothing twice
}

TEST_CASE(
    "a handler that blocks while deliveries pile up keeps its session, and what it misses is "
    "counted and reported; one that keeps up misses nothing",
    "[integration][client][slow-consumer]") {
  TestCoalition coalition;
  const auto& publisher = coalition.add("col-cp", "COL", "command_post");
  const auto& blocked_system = coalition.add("ecu-cp", "ECU", "command_post");
  const auto& steady_system = coalition.add("per-cp", "PER", "command_post");
  // A short queue at the broker, and no closing of the blocked session while the test
  // holds it (slow_consumer_seconds at its largest).
  coalition.edits.emplace_back("max_subscriptions = 64",
                               "max_subscriptions = 64\nmax_session_queue_bytes = 1048576\n"
                               "slow_consumer_seconds = 3600");
  BrokerProcess broker(coalition);
  auto publisher_options = broker.options_for(publisher);
  publisher_options.send_queue_wait = 30s;
  Client pub(publisher_options);
  REQUIRE(pub.wait_connected(10s).ok());

  // Each subscriber counts its deliveries (the marker apart) and the notices of drops
  // passed to on_error.
  struct Counts {
    std::atomic<std::size_t> received{0};
    std::atomic<bool> marker{false};
    std::atomic<std::size_t> drop_notices{0};
  };
  Counts blocked_counts, steady_counts;
  const auto counting = [](Counts& counts) {
    return [&counts](const Delivery& d) {
      if (d.topic() == "text.COL.slow.marker")
        counts.marker = true;
      else
        ++counts.received;
    };
  };
  const auto subscriber_options = [&](const TestSystem& system, Counts& counts) {
    auto options = broker.options_for(system);
    options.on_error = [&counts](const ErrorInfo& e) {
      if (e.code == Errc::deliveries_dropped) ++counts.drop_notices;
    };
    return options;
  };
  Client blocked(subscriber_options(blocked_system, blocked_counts));
  Client steady(subscriber_options(steady_system, steady_counts));
  const auto session = blocked.wait_connected(10s);
  REQUIRE(session.ok());
  REQUIRE(steady.wait_connected(10s).ok());

  // The blocked subscriber's handler holds the I/O thread with its first delivery for 4 s
  // at least (longer than the broker waits for a silent session, and than three of the
  // client's heartbeats), and until the broker has dropped deliveries for it: its receive
  // queue, its TCP buffers and its queue at the broker are full by then.
  std::promise<void> release;
  const auto released = release.get_future().share();
  std::atomic<bool> holding{false};
  const auto count_blocked = counting(blocked_counts);
  REQUIRE(blocked
              .subscribe("text.COL.slow.>",
                         [&, released](const Delivery& d) {
                           count_blocked(d);
                           if (holding.exchange(true)) return;
                           const auto at_least = std::chrono::steady_clock::now() + 4s;
                           (void)released.wait_for(30s);
                           std::this_thread::sleep_until(at_least);
                         })
              .ok());
  REQUIRE(steady.subscribe("text.COL.slow.>", counting(steady_counts)).ok());

  // Published in rounds paced on the steady subscriber, until the broker drops for the
  // blocked one.
  const std::string body(16 * 1024, 'x');
  PublishOptions releasable;
  releasable.label.releasable_to = {"ECU", "PER"};
  std::size_t published = 0;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (broker.metric("dropped_slow_consumer").value_or(0) == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    for (int i = 0; i < 64; ++i, ++published) {
      REQUIRE(pub.publish(
                     "text.COL.slow." + std::to_string(published),
                     [&](flatbuffers::FlatBufferBuilder& fbb) {
                       return wire::CreateTextDirect(fbb, body.c_str());
                     },
                     releasable)
                  .ok());
    }
    REQUIRE(pub.flush(30s).ok());
    REQUIRE(eventually([&] { return steady_counts.received.load() == published; }, 30s));
  }
  INFO(published << " messages of 16 KiB published while the handler blocked");
  REQUIRE(broker.metric("dropped_slow_consumer").value_or(0) > 0);
  release.set_value();

  // Once its backlog at the broker is gone, a marker that must arrive: the notice of
  // what was dropped comes before it at the latest.
  REQUIRE(broker.wait_metric(
      "sessions_backlogged", [](auto n) { return n == 0; }, 30s));
  REQUIRE(publish_text(pub, "text.COL.slow.marker", "after", {"ECU", "PER"}).ok());
  REQUIRE(
      eventually([&] { return blocked_counts.marker.load() && steady_counts.marker.load(); }, 30s));

  // Every message is either received or counted as missed, the broker's count and the
  // client's agree, and the application was told.
  const ClientStats stats = blocked.stats();
  INFO("blocked subscriber: " << blocked_counts.received.load() << " received, "
                              << stats.deliveries_missed << " missed, " << stats.reconnects
                              << " reconnections");
  CHECK(stats.deliveries_missed > 0);
  CHECK(blocked_counts.received.load() + stats.deliveries_missed == published);
  CHECK(broker.wait_metric("dropped_slow_consumer",
                           [&](auto n) { return n == stats.deliveries_missed; }));
  CHECK(blocked_counts.drop_notices.load() > 0);
  CHECK(blocked.session().session_id == session->session_id);  // the same session throughout
  CHECK(stats.reconnects == 0);
  // The one that kept up lost nothing and was told of nothing.
  CHECK(steady_counts.received.load() == published);
  CHECK(steady.stats().deliveries_missed == 0);
  CHECK(steady_counts.drop_notices.load() == 0);
}
