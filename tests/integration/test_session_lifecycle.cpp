// Sessions over time: broker restarts, revocation by policy reload, policy changes that
// narrow subscriptions, clean shutdown.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <atomic>
#include <mutex>
#include <optional>
#include <thread>

#include "broker_process.hpp"
#include "raw_client.hpp"

using namespace enlace;
using namespace enlace::test;

TEST_CASE("after a broker restart the client reconnects and its subscriptions are restored",
          "[integration][reconnect]") {
  TestCoalition coalition;
  const auto& publisher = coalition.add("col-cp", "COL", "command_post");
  const auto& subscriber = coalition.add("ecu-cp", "ECU", "command_post");
  BrokerProcess broker(coalition);

  std::atomic<int> reconnecting{0};
  auto options = broker.options_for(subscriber);
  options.on_state = [&](ConnectionState state, const ErrorInfo&) {
    if (state == ConnectionState::reconnecting) ++reconnecting;
  };
  Client sub(options);
  REQUIRE(sub.wait_connected(10s).ok());
  Inbox inbox;
  REQUIRE(sub.subscribe("text.COL.>", inbox.handler()).ok());

  const bool kill = GENERATE(false, true);
  INFO((kill ? "SIGKILL" : "SIGTERM"));
  broker.stop(kill);
  REQUIRE(eventually([&] { return reconnecting.load() > 0; }));
  broker.start();
  REQUIRE(sub.wait_connected(20s).ok());

  Client pub(broker.options_for(publisher));
  REQUIRE(pub.wait_connected(10s).ok());
  const std::string topic = std::string("text.COL.after-restart-") + (kill ? "kill" : "term");
  CHECK(served_again(pub, inbox, topic));
  CHECK(sub.stats().reconnects >= 1);
}

TEST_CASE("a system revoked by a policy reload loses its session at once",
          "[integration][revocation]") {
  TestCoalition coalition;
  const auto& victim = coalition.add("ecu-cp", "ECU", "command_post");
  const auto& other = coalition.add("per-cp", "PER", "command_post");
  const auto& publisher = coalition.add("col-cp", "COL", "command_post");
  BrokerProcess broker(coalition);

  Client revoked_client(broker.options_for(victim));
  Client other_client(broker.options_for(other));
  Client pub(broker.options_for(publisher));
  REQUIRE(revoked_client.wait_connected(10s).ok());
  REQUIRE(other_client.wait_connected(10s).ok());
  REQUIRE(pub.wait_connected(10s).ok());
  Inbox revoked_inbox, other_inbox;
  REQUIRE(revoked_client.subscribe("text.>", revoked_inbox.handler()).ok());
  REQUIRE(other_client.subscribe("text.>", other_inbox.handler()).ok());

  coalition.revoked.push_back("ecu-cp");
  broker.reload(coalition);
  REQUIRE(eventually([&] { return revoked_client.state() == ConnectionState::auth_failed; }));

  // Deliveries stop at once: the message released to both reaches only the other.
  REQUIRE(publish_text(pub, "text.COL.after-revocation", "x", {"ECU", "PER"}).ok());
  REQUIRE(other_inbox.wait_for_topic("text.COL.after-revocation"));
  CHECK_FALSE(revoked_inbox.has_topic("text.COL.after-revocation"));
  // And the key no longer opens a session.
  Client again(broker.options_for(victim));
  CHECK(again.wait_connected(5s).code() == Errc::authentication_failed);
}

TEST_CASE("a revoked client hears revoked within 200 ms of the reload signal",
          "[integration][revocation]") {
  TestCoalition coalition;
  const auto& victim = coalition.add("ecu-cp", "ECU", "command_post");
  const auto& bystander = coalition.add("per-cp", "PER", "command_post");
  BrokerProcess broker(coalition);

  using Clock = std::chrono::steady_clock;
  std::mutex m;
  std::optional<Clock::time_point> told_at;
  std::optional<Clock::time_point> state_at;
  auto options = broker.options_for(victim);
  // A long heartbeat: the client does not learn it by pinging a session that is gone.
  options.heartbeat = 5s;
  options.on_error = [&](const ErrorInfo& e) {
    std::lock_guard lock(m);
    if (e.code == Errc::revoked && !told_at) told_at = Clock::now();
  };
  options.on_state = [&](ConnectionState state, const ErrorInfo& e) {
    std::lock_guard lock(m);
    if (state == ConnectionState::auth_failed && e.code == Errc::revoked && !state_at)
      state_at = Clock::now();
  };
  Client client(options);
  Client other(broker.options_for(bystander));
  REQUIRE(client.wait_connected(10s).ok());
  REQUIRE(other.wait_connected(10s).ok());
  Inbox inbox;
  REQUIRE(client.subscribe("text.>", inbox.handler()).ok());

  coalition.revoked.push_back("ecu-cp");
  broker.write_policy(coalition);
  const auto signalled = Clock::now();
  broker.signal_reload();
  REQUIRE(eventually([&] {
    std::lock_guard lock(m);
    return told_at.has_value() && state_at.has_value();
  }));
  std::lock_guard lock(m);
  const auto after = std::chrono::duration_cast<std::chrono::milliseconds>(*told_at - signalled);
  WARN("revoked heard " << after.count() << " ms after the signal");
  CHECK(after < 200ms);
  CHECK(client.state() == ConnectionState::auth_failed);
}

TEST_CASE("one revocation counts as one in sessions_revoked, a later Hello is a refusal",
          "[integration][revocation]") {
  TestCoalition coalition;
  const auto& victim = coalition.add("ecu-cp", "ECU", "command_post");
  BrokerProcess broker(coalition);
  RawClient raw(broker, victim);
  REQUIRE(raw.hello());

  coalition.revoked.push_back("ecu-cp");
  broker.reload(coalition);
  REQUIRE(broker.wait_metric("policy_reloads", [](auto n) { return n == 1; }));
  // The connection is still open (a ROUTER cannot close one peer's connection): it tries
  // again, and is refused.
  Errc refusal = Errc::ok;
  CHECK_FALSE(raw.hello(0, &refusal));
  CHECK(refusal == Errc::revoked);
  // A marker the broker counts after the Hello: once it shows, the counters are final.
  raw.send({0x01});
  REQUIRE(broker.wait_metric("malformed_frame", [](auto n) { return n == 1; }));
  CHECK(broker.metric("sessions_revoked") == 1u);
  CHECK(broker.metric("revoked") == 1u);  // the refused Hello
  CHECK(broker.metric("sessions_open") == 0u);
}

TEST_CASE(
    "after a revocation the SDK leaves its connection, a kept connection is served nothing, "
    "and an unaffected system keeps its session",
    "[integration][revocation]") {
  TestCoalition coalition;
  const auto& victim = coalition.add("ecu-cp", "ECU", "command_post");
  const auto& bystander = coalition.add("per-cp", "PER", "command_post");
  BrokerProcess broker(coalition);

  std::atomic<bool> told{false};
  auto options = broker.options_for(victim);
  options.on_error = [&](const ErrorInfo& e) {
    if (e.code == Errc::revoked) told = true;
  };
  Client victim_client(options);
  Client bystander_client(broker.options_for(bystander));
  REQUIRE(victim_client.wait_connected(10s).ok());
  const auto bystander_session = bystander_client.wait_connected(10s);
  REQUIRE(bystander_session.ok());
  Inbox bystander_inbox;
  REQUIRE(bystander_client.subscribe("text.>", bystander_inbox.handler()).ok());
  // A raw peer of each system: it keeps its connection whatever it is told.
  RawClient victim_raw(broker, victim);
  RawClient bystander_raw(broker, bystander);
  REQUIRE(victim_raw.hello());
  REQUIRE(bystander_raw.hello());
  REQUIRE(broker.wait_metric("connections_open", [](auto n) { return n == 4; }));

  coalition.revoked.push_back("ecu-cp");
  broker.reload(coalition);

  // The SDK client hears it, and leaves: the broker sees its connection end. Its next
  // handshake is refused, and it stays out.
  REQUIRE(eventually([&] { return told.load(); }));
  CHECK(victim_client.state() == ConnectionState::auth_failed);
  CHECK(broker.wait_metric("sessions_revoked", [](auto n) { return n == 2; }));
  CHECK(broker.wait_metric("sessions_open", [](auto n) { return n == 2; }));
  CHECK(broker.wait_metric("connections_open", [](auto n) { return n == 3; }));
  CHECK(broker.wait_metric("auth_refused", [](auto n) { return n >= 1; }));
  CHECK(victim_client.state() == ConnectionState::auth_failed);

  // The raw peer's connection stays open, and serves nothing: the notice first, then
  // hello_required for a Subscribe and a publish (with their ids), revoked for a Hello.
  REQUIRE(victim_raw.read_until([](const Received& r) { return r.error_code() == Errc::revoked; }));
  const auto answers = [](RawClient& raw, const wire::Uuid& id) {
    std::optional<Errc> subscribed, published;
    const bool answered = raw.read_until([&](const Received& r) {
      if (r.request_id() == 7) subscribed = r.error_code();
      if (r.message_id() != nullptr && same_id(*r.message_id(), id)) published = r.error_code();
      return subscribed.has_value() && published.has_value();
    });
    return answered ? std::make_pair(*subscribed, *published)
                    : std::make_pair(Errc::timeout, Errc::timeout);
  };
  wire::Uuid id;
  victim_raw.send(subscribe_frame(7, "text.>"));
  victim_raw.send(publish_frame(victim, "text.ECU.after", wire::flag::ack_requested, 10, &id));
  CHECK(answers(victim_raw, id) == std::make_pair(Errc::hello_required, Errc::hello_required));
  Errc refusal = Errc::ok;
  CHECK_FALSE(victim_raw.hello(0, &refusal));
  CHECK(refusal == Errc::revoked);

  // The unaffected system: the same requests served, its SDK client's session untouched.
  bystander_raw.send(subscribe_frame(7, "text.>"));
  bystander_raw.send(
      publish_frame(bystander, "text.PER.after", wire::flag::ack_requested, 10, &id));
  CHECK(answers(bystander_raw, id) == std::make_pair(Errc::ok, Errc::ok));
  CHECK(bystander_inbox.wait_for_topic("text.PER.after"));
  CHECK(bystander_client.state() == ConnectionState::connected);
  CHECK(bystander_client.session().session_id == bystander_session->session_id);
  CHECK(bystander_client.stats().reconnects == 0);
}

TEST_CASE("a key rotation ends the session opened with the old key", "[integration][revocation]") {
  TestCoalition coalition;
  const TestSystem before = coalition.add("ecu-cp", "ECU", "command_post");
  BrokerProcess broker(coalition);
  Client old_key(broker.options_for(before));
  REQUIRE(old_key.wait_connected(10s).ok());

  const TestSystem after = coalition.rekey("ecu-cp");
  broker.reload(coalition);
  REQUIRE(eventually([&] { return old_key.state() == ConnectionState::auth_failed; }));
  Client new_key(broker.options_for(after));
  const auto session = new_key.wait_connected(10s);
  REQUIRE(session.ok());
  CHECK(session->system == "ecu-cp");
}

TEST_CASE("a policy reload that narrows a role removes the subscriptions it no longer allows",
          "[integration][revocation]") {
  TestCoalition coalition;
  const auto& observer = coalition.add("bra-obs", "BRA", "observer");
  const auto& publisher = coalition.add("col-cp", "COL", "command_post");
  BrokerProcess broker(coalition);

  std::mutex m;
  std::vector<ErrorInfo> errors;
  auto options = broker.options_for(observer);
  options.on_error = [&](const ErrorInfo& e) {
    std::lock_guard lock(m);
    errors.push_back(e);
  };
  Client obs(options);
  Client pub(broker.options_for(publisher));
  REQUIRE(obs.wait_connected(10s).ok());
  REQUIRE(pub.wait_connected(10s).ok());
  Inbox text_inbox, alert_inbox;
  REQUIRE(obs.subscribe("text.>", text_inbox.handler()).ok());
  REQUIRE(obs.subscribe("alert.>", alert_inbox.handler()).ok());

  // Observers may no longer read text.
  coalition.edits.emplace_back(R"(subscribe.allow = ["track.>", "alert.>", "text.>"])",
                               R"(subscribe.allow = ["track.>", "alert.>"])");
  broker.reload(coalition);
  REQUIRE(eventually([&] {
    std::lock_guard lock(m);
    return !errors.empty();
  }));
  {
    std::lock_guard lock(m);
    CHECK(errors.front().code == Errc::subscribe_denied);
    CHECK_THAT(errors.front().reason, Catch::Contains("text.>"));
  }
  // Text no longer arrives; alerts still do (the marker).
  REQUIRE(publish_text(pub, "text.COL.after-reload", "x", {"BRA"}).ok());
  REQUIRE(publish_text(pub, "alert.COL.marker", "x", {"BRA"}).ok());
  REQUIRE(alert_inbox.wait_for_topic("alert.COL.marker"));
  CHECK_FALSE(text_inbox.has_topic("text.COL.after-reload"));
}

TEST_CASE("SIGTERM stops the broker cleanly and clients learn it", "[integration][shutdown]") {
  TestCoalition coalition;
  const auto& cp = coalition.add("col-cp", "COL", "command_post");
  const auto& stays = coalition.add("col-cp2", "COL", "command_post");
  BrokerProcess broker(coalition);
  // docs/protocol.md 5.5: the broker waits for the peers it notified to go, within a bound.
  // The SDK client leaves when told; a raw peer that reads its notice and stays connected
  // holds the exit only that long (stop() kills the broker after 10 s and reports the signal).
  std::optional<RawClient> raw;
  SECTION("the SDK client alone") {}
  SECTION("beside a peer that keeps its connection after the notice") {
    raw.emplace(broker, stays);
    REQUIRE(raw->hello());
  }
  std::atomic<bool> told{false};
  auto options = broker.options_for(cp);
  options.on_error = [&](const ErrorInfo& e) {
    if (e.code == Errc::shutting_down) told = true;
  };
  Client client(options);
  REQUIRE(client.wait_connected(10s).ok());
  const int status = broker.stop();
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(eventually([&] { return told.load(); }));
  if (raw) {
    CHECK(raw->read_until(
        [](const Received& frame) { return frame.error_code() == Errc::shutting_down; }));
  }
}

TEST_CASE("a subscribe that timed out never becomes active later", "[integration][reconnect]") {
  TestCoalition coalition;
  const auto& publisher = coalition.add("col-cp", "COL", "command_post");
  const auto& subscriber = coalition.add("ecu-cp", "ECU", "command_post");
  BrokerProcess broker(coalition);
  Client sub(broker.options_for(subscriber));
  REQUIRE(sub.wait_connected(10s).ok());

  broker.stop();
  REQUIRE(eventually([&] { return sub.state() == ConnectionState::reconnecting; }));
  Inbox late;
  CHECK(sub.subscribe("text.>", late.handler(), {}, 200ms).code() == Errc::timeout);
  broker.start();
  REQUIRE(sub.wait_connected(20s).ok());

  Inbox marker;
  REQUIRE(sub.subscribe("alert.>", marker.handler()).ok());
  Client pub(broker.options_for(publisher));
  REQUIRE(pub.wait_connected(10s).ok());
  REQUIRE(publish_text(pub, "text.COL.after", "x", {"ECU"}).ok());
  REQUIRE(publish_text(pub, "alert.COL.marker", "x", {"ECU"}).ok());
  REQUIRE(marker.wait_for_topic("alert.COL.marker"));
  CHECK(late.size() == 0);
}

TEST_CASE("a full send queue answers queue_full, or waits for room when asked to",
          "[integration][flow-control]") {
  TestCoalition coalition;
  const auto& publisher = coalition.add("col-cp", "COL", "command_post");
  BrokerProcess broker(coalition);
  auto options = broker.options_for(publisher);
  options.send_queue_bytes = 4096;
  Client pub(options);
  REQUIRE(pub.wait_connected(10s).ok());

  // With the broker gone, nothing leaves the queue: it fills up, deterministically.
  broker.stop();
  REQUIRE(eventually([&] { return pub.state() == ConnectionState::reconnecting; }));
  const auto text = [](flatbuffers::FlatBufferBuilder& fbb) {
    return wire::CreateTextDirect(fbb, "queued while the broker is away");
  };
  int accepted = 0;
  Result<wire::Uuid> refused = wire::Uuid();
  while (accepted < 1000 && (refused = pub.publish("text.COL.queued", text))) ++accepted;
  REQUIRE(accepted > 0);
  REQUIRE(accepted < 1000);
  CHECK(refused.code() == Errc::queue_full);

  // A publisher that asked to wait is held until the reconnection drains its queue: it
  // publishes more than the queue holds, and every publish succeeds.
  broker.start();
  options.send_queue_wait = 30s;
  Client waiting_pub(options);
  REQUIRE(waiting_pub.wait_connected(20s).ok());
  broker.stop();
  REQUIRE(eventually([&] { return waiting_pub.state() == ConnectionState::reconnecting; }));
  std::atomic<int> published{0};
  std::thread publishing([&] {
    for (int i = 0; i < accepted + 20; ++i) {
      if (!waiting_pub.publish("text.COL.queued", text)) return;
      ++published;
    }
  });
  broker.start();
  publishing.join();
  CHECK(published == accepted + 20);
  CHECK(waiting_pub.flush(20s).ok());
  CHECK(publish_text(waiting_pub, "text.COL.after-the-wait", "x").ok());
}
