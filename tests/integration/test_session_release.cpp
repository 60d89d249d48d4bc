// Sessions end when their connection does, silent sessions are probed, and one system holds
// a bounded number of sessions (docs/protocol.md 5.1, 5.2).
#include <catch2/catch.hpp>

#include <memory>

#include "broker_process.hpp"
#include "raw_client.hpp"

using namespace enlace;
using namespace enlace::test;

namespace {

std::uint64_t metric(const BrokerProcess& broker, const char* name) {
  return broker.metric(name).value_or(0);
}

// Subscribes to `count` distinct patterns under text.COL.<tag>. and waits for every Ack.
bool subscribe_many(RawClient& client, const std::string& tag, std::uint32_t count) {
  std::vector<Frame> requests;
  for (std::uint32_t i = 1; i <= count; ++i) {
    requests.push_back(subscribe_frame(i, "text.COL." + tag + "." + std::to_string(i)));
  }
  client.send(batch_frame(requests));
  std::uint32_t acked = 0;
  return client.read_until([&](const Received& r) {
    if (r.control_type() == wire::Control::Ack && r.request_id() != 0) ++acked;
    return acked == count;
  });
}

// The default of [limits] max_sessions_per_system (docs/policy.md).
constexpr int kDefaultSessionsPerSystem = 8;

}  // namespace

TEST_CASE("the sessions of connections that closed are released, heartbeat or not",
          "[integration][release]") {
  TestCoalition coalition;
  coalition.edits.emplace_back("max_subscriptions = 64", "max_subscriptions = 1000");
  const auto& cp = coalition.add("col-cp", "COL", "command_post");
  const auto& staying_system = coalition.add("ecu-cp", "ECU", "command_post");
  constexpr int kConnections = 40;  // each its own system: max_sessions_per_system is 8
  for (int i = 0; i < kConnections; ++i)
    coalition.add("col-" + std::to_string(i), "COL", "command_post");
  BrokerProcess broker(coalition);

  RawClient staying(broker, staying_system);
  REQUIRE(staying.hello());
  staying.send(subscribe_frame(1, "text.>"));
  REQUIRE(staying.read_until([](const Received& r) { return r.request_id() == 1; }));

  {
    std::vector<std::unique_ptr<RawClient>> leaving;
    for (int i = 0; i < kConnections; ++i) {
      leaving.push_back(std::make_unique<RawClient>(broker, coalition["col-" + std::to_string(i)]));
      REQUIRE(leaving.back()->hello());  // heartbeat 0: nothing would ever expire them
      REQUIRE(subscribe_many(*leaving.back(), "c" + std::to_string(i), 250));
    }
    CHECK(broker.wait_metric("sessions_open", [](auto n) { return n == kConnections + 1; }));
    CHECK(broker.wait_metric("subscriptions", [](auto n) { return n == kConnections * 250 + 1; }));
  }  // every leaving connection closes here

  // Each is released: its session, its subscriptions. Bounded wait on the broker's word.
  CHECK(broker.wait_metric("sessions_closed", [](auto n) { return n == kConnections; }));
  CHECK(metric(broker, "sessions_released") == kConnections);
  CHECK(metric(broker, "sessions_open") == 1);
  CHECK(metric(broker, "subscriptions") == 1);
  CHECK(metric(broker, "connections_open") == 1);

  // The connection that stayed keeps its session and its subscription.
  Client publisher(broker.options_for(cp));
  REQUIRE(publisher.wait_connected(10s).ok());
  REQUIRE(publish_text(publisher, "text.COL.still-served", "x", {"ECU"}).ok());
  CHECK(staying.read_until([](const Received& r) { return r.topic() == "text.COL.still-served"; }));
}

TEST_CASE(
    "a session without heartbeat that answers the broker's Ping lives, a silent one is "
    "closed",
    "[integration][release]") {
  TestCoalition coalition;
  const auto& answering_system = coalition.add("col-cp", "COL", "command_post");
  const auto& silent_system = coalition.add("ecu-cp", "ECU", "command_post");
  BrokerProcess broker(coalition, {"--liveness-probe", "300"});

  RawClient answering(broker, answering_system);
  REQUIRE(answering.hello());
  RawClient silent(broker, silent_system);
  silent.answer_pings = false;
  REQUIRE(silent.hello());
  // From here the silent peer sends nothing; its connection stays open.

  int pings = 0;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (metric(broker, "sessions_expired") == 0 && std::chrono::steady_clock::now() < deadline) {
    // Reading answers the broker's Pings (RawClient::answer_pings).
    (void)answering.read_until(
        [&](const Received& r) { return r.control_type() == wire::Control::Ping && ++pings; }, 1s);
  }
  CHECK(pings >= 1);
  CHECK(metric(broker, "sessions_expired") == 1);
  CHECK(metric(broker, "liveness_pings") >= 2);  // both were asked

  // The answering session is the one left: it is still served.
  answering.send(subscribe_frame(5, "alert.>"));
  CHECK(answering.read_until([](const Received& r) {
    return r.request_id() == 5 && r.control_type() == wire::Control::Ack;
  }));
  CHECK(metric(broker, "sessions_open") == 1);
  // The silent one's session is gone: it learns so at its next frame.
  silent.send(subscribe_frame(6, "alert.>"));
  CHECK(
      silent.read_until([](const Received& r) { return r.error_code() == Errc::hello_required; }));
}

TEST_CASE("one key may hold several independent sessions, up to max_sessions_per_system",
          "[integration][release]") {
  TestCoalition coalition;
  const auto& cp = coalition.add("col-cp", "COL", "command_post");
  const auto& subscriber_system = coalition.add("ecu-cp", "ECU", "command_post");
  BrokerProcess broker(coalition);

  std::vector<std::unique_ptr<RawClient>> sessions;
  for (int i = 0; i < kDefaultSessionsPerSystem; ++i) {
    sessions.push_back(std::make_unique<RawClient>(broker, subscriber_system));
    REQUIRE(sessions.back()->hello());
  }
  // Independent: each holds its own subscriptions and gets its own deliveries.
  sessions[0]->send(subscribe_frame(1, "text.COL.first"));
  sessions[1]->send(subscribe_frame(1, "text.COL.second"));
  for (int i = 0; i < 2; ++i) {
    REQUIRE(sessions[i]->read_until([](const Received& r) { return r.request_id() == 1; }));
  }
  Client publisher(broker.options_for(cp));
  REQUIRE(publisher.wait_connected(10s).ok());
  REQUIRE(publish_text(publisher, "text.COL.first", "1", {"ECU"}).ok());
  REQUIRE(publish_text(publisher, "text.COL.second", "2", {"ECU"}).ok());
  std::vector<std::string> first, second;
  REQUIRE(sessions[0]->marker(1, [&](const Received& r) {
    if (!r.topic().empty()) first.push_back(r.topic());
  }));
  REQUIRE(sessions[1]->marker(1, [&](const Received& r) {
    if (!r.topic().empty()) second.push_back(r.topic());
  }));
  CHECK(first == std::vector<std::string>{"text.COL.first"});
  CHECK(second == std::vector<std::string>{"text.COL.second"});

  // One more is refused, retryably.
  RawClient extra(broker, subscriber_system);
  Errc refusal = Errc::ok;
  CHECK_FALSE(extra.hello(0, &refusal));
  CHECK(refusal == Errc::too_many_sessions);
  CHECK(is_retryable(Errc::too_many_sessions));
  // A second Hello on a connection replaces its session: it does not count twice.
  CHECK(sessions[0]->hello());
  // When one of them leaves, the refused connection may try again and succeed.
  sessions.back()->close();
  REQUIRE(broker.wait_metric("sessions_released", [](auto n) { return n == 1; }));
  CHECK(extra.hello());
  CHECK(metric(broker, "too_many_sessions") == 1);
}
