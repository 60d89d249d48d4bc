// What the client promises about its own side of the message path: flush() means the
// broker has every message published before it, and a handler that takes its time does
// not cost the session.
#include <catch2/catch.hpp>

#include <atomic>
#include <future>
#include <string>

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
