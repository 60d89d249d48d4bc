// The protocol core's session state machine, driven by hand: no socket, no broker.
#include <catch2/catch.hpp>

#include <vector>

#include "enlace/protocol/control.hpp"
#include "enlace/protocol/link_session.hpp"

using namespace enlace;
using protocol::LinkSession;
using Kind = LinkSession::Answer::Kind;

namespace {

constexpr std::int64_t kSecond = 1'000'000'000;

// A Welcome as a broker builds it, read back as the client receives it.
struct WelcomeFrame {
  flatbuffers::FlatBufferBuilder fbb;
  explicit WelcomeFrame(std::uint16_t version = 1) {
    auto welcome = wire::CreateWelcomeDirect(fbb, version, "b", "COL", "col-cp", "command_post");
    fbb.Finish(wire::CreateControlFrame(fbb, wire::Control::Welcome, welcome.Union()));
  }
  const wire::Welcome& get() const {
    return *wire::GetControlFrame(fbb.GetBufferPointer())->body_as_Welcome();
  }
};

std::vector<protocol::SubscribeFields> resubscribe(LinkSession& link) {
  std::vector<protocol::SubscribeFields> sent;
  link.resubscribe([&](const protocol::SubscribeFields& fields) { sent.push_back(fields); });
  return sent;
}

}  // namespace

TEST_CASE("a link is ready only after a Welcome of its protocol version", "[link_session]") {
  LinkSession link(kSecond);
  CHECK(link.phase() == LinkSession::Phase::disconnected);
  link.connected(0);
  CHECK(link.phase() == LinkSession::Phase::awaiting_welcome);
  CHECK(link.welcomed(WelcomeFrame(2).get(), 0) == Errc::unsupported_version);
  CHECK_FALSE(link.ready());
  CHECK(link.welcomed(WelcomeFrame().get(), 0) == Errc::ok);
  CHECK(link.ready());
  link.session_lost();
  CHECK(link.phase() == LinkSession::Phase::awaiting_welcome);
  link.disconnected();
  CHECK(link.phase() == LinkSession::Phase::disconnected);
}

TEST_CASE("a quiet link pings once per heartbeat and counts the peer lost after three",
          "[link_session]") {
  LinkSession link(kSecond);
  link.connected(0);
  REQUIRE(link.welcomed(WelcomeFrame().get(), 0) == Errc::ok);
  CHECK(link.poll(kSecond / 2) == LinkSession::Due::nothing);
  CHECK(link.until_next_timer(kSecond / 2) == kSecond / 2);
  CHECK(link.poll(kSecond) == LinkSession::Due::ping);
  link.pinged(kSecond);
  CHECK(link.poll(kSecond + 1) == LinkSession::Due::nothing);  // at most one per heartbeat
  link.frame_received(kSecond + 10);                           // the Pong
  CHECK(link.poll(2 * kSecond - 1) == LinkSession::Due::nothing);
  CHECK(link.poll(2 * kSecond) == LinkSession::Due::ping);  // we sent nothing since
  // Nothing received for three heartbeats: the peer is gone, whatever was sent.
  link.frame_sent(4 * kSecond);
  CHECK(link.poll(4 * kSecond + 10) != LinkSession::Due::reconnect);
  CHECK(link.poll(4 * kSecond + 11) == LinkSession::Due::reconnect);
}

TEST_CASE("request ids count from 1; 0 is never used, it means no request", "[link_session]") {
  LinkSession link(kSecond);
  for (std::uint32_t expected = 1; expected <= 5; ++expected)
    CHECK(link.next_request_id() == expected);
}

TEST_CASE(
    "subscriptions wait for a session, are restored after each Welcome, and answers name them",
    "[link_session]") {
  LinkSession link(kSecond);
  protocol::SubscribeFields out;
  CHECK_FALSE(link.subscribe(7, {.pattern = "track.>", .snapshot = true}, out));  // no session yet
  link.connected(0);
  REQUIRE(link.welcomed(WelcomeFrame().get(), 0) == Errc::ok);
  auto sent = resubscribe(link);
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].pattern == "track.>");
  CHECK(sent[0].snapshot);
  CHECK(sent[0].request_id != 0);
  CHECK(link.subscribe_request_of(7) == sent[0].request_id);
  const auto answer = link.answered(sent[0].request_id, true);
  CHECK(answer.kind == Kind::subscribe);
  CHECK(answer.subscription_id == 7);
  CHECK(link.answered(sent[0].request_id, true).kind == Kind::unknown);  // answered once

  // A new session (broker restart): the subscription is sent again, with a new request id.
  link.disconnected();
  link.connected(kSecond);
  REQUIRE(link.welcomed(WelcomeFrame().get(), kSecond) == Errc::ok);
  const auto again = resubscribe(link);
  REQUIRE(again.size() == 1);
  CHECK(again[0].request_id != sent[0].request_id);
}

TEST_CASE("a refused subscription is forgotten; an unsubscribe is sent only for the last holder",
          "[link_session]") {
  LinkSession link(kSecond);
  link.connected(0);
  REQUIRE(link.welcomed(WelcomeFrame().get(), 0) == Errc::ok);
  protocol::SubscribeFields a, b, c;
  REQUIRE(link.subscribe(1, {.pattern = "alert.>"}, a));
  REQUIRE(link.subscribe(2, {.pattern = "alert.>"}, b));
  REQUIRE(link.subscribe(3, {.pattern = "tasking.>"}, c));
  CHECK(link.answered(c.request_id, false).subscription_id == 3);
  CHECK(link.subscribe_request_of(3) == 0);  // refused: gone
  CHECK(resubscribe(link).size() == 2);

  CHECK(link.unsubscribe(1) == 0);  // subscription 2 still holds "alert.>"
  const std::uint32_t request = link.unsubscribe(2);
  REQUIRE(request != 0);
  const auto answer = link.answered(request, true);
  CHECK(answer.kind == Kind::unsubscribe);
  CHECK(answer.subscription_id == 2);
  CHECK(link.unsubscribe(2) == 0);  // unknown now
}

TEST_CASE("a refused Hello is sent again after a back-off that doubles, and resets at Welcome",
          "[link_session]") {
  LinkSession link(kSecond);
  link.connected(0);
  link.hello_refused(0, 4 * kSecond);
  CHECK(link.poll(kSecond - 1) == LinkSession::Due::nothing);
  CHECK(link.until_next_timer(kSecond / 2) == kSecond / 2);
  CHECK(link.poll(kSecond) == LinkSession::Due::hello);
  CHECK(link.poll(kSecond) == LinkSession::Due::nothing);  // once
  link.hello_refused(kSecond, 4 * kSecond);                // 2 s
  CHECK(link.poll(3 * kSecond - 1) == LinkSession::Due::nothing);
  CHECK(link.poll(3 * kSecond) == LinkSession::Due::hello);
  link.hello_refused(3 * kSecond, 4 * kSecond);  // 4 s, the cap
  link.hello_refused(3 * kSecond, 4 * kSecond);  // still 4 s
  CHECK(link.poll(7 * kSecond - 1) == LinkSession::Due::nothing);
  CHECK(link.poll(7 * kSecond) == LinkSession::Due::hello);
  REQUIRE(link.welcomed(WelcomeFrame().get(), 8 * kSecond) == Errc::ok);
  link.session_lost();
  link.hello_refused(9 * kSecond, 4 * kSecond);  // back to one heartbeat
  CHECK(link.poll(10 * kSecond) == LinkSession::Due::hello);
}
