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

// What a Welcome says about the session and resuming it.
struct Resume {
  std::uint64_t session_id = 0;
  std::uint32_t resume_grace_ms = 0;
  std::uint64_t resume_token = 0;
  bool resumed = false;
  std::uint64_t missed = 0;
};

// A Welcome as a broker builds it, read back as the client receives it.
struct WelcomeFrame {
  flatbuffers::FlatBufferBuilder fbb;
  explicit WelcomeFrame(std::uint16_t version = 1) : WelcomeFrame(Resume{}, version) {}
  explicit WelcomeFrame(const Resume& resume, std::uint16_t version = 1) {
    auto welcome = wire::CreateWelcomeDirect(fbb, version, "b", "COL", "col-cp", "command_post", 0,
                                             resume.session_id, nullptr, resume.resume_grace_ms,
                                             resume.resume_token, resume.resumed, resume.missed);
    fbb.Finish(wire::CreateControlFrame(fbb, wire::Control::Welcome, welcome.Union()));
  }
  const wire::Welcome& get() const {
    return *wire::GetControlFrame(fbb.GetBufferPointer())->body_as_Welcome();
  }
};

// What restore() sends: "+pattern" for a Subscribe, "-pattern" for an Unsubscribe, in order.
std::vector<std::string> restore(LinkSession& link, bool resumed,
                                 std::vector<protocol::SubscribeFields>* subscribes = nullptr) {
  std::vector<std::string> sent;
  link.restore(
      resumed,
      [&](const protocol::SubscribeFields& fields) {
        sent.push_back("+" + std::string(fields.pattern));
        if (subscribes != nullptr) subscribes->push_back(fields);
      },
      [&](std::uint32_t request_id, std::string_view pattern) {
        CHECK(request_id != 0);
        sent.push_back("-" + std::string(pattern));
      });
  return sent;
}

std::vector<protocol::SubscribeFields> resubscribe(LinkSession& link) {
  std::vector<protocol::SubscribeFields> sent;
  restore(link, false, &sent);
  return sent;
}

}  // namespace

TEST_CASE("a link is ready only after a Welcome of its protocol version", "[link_session]") {
  LinkSession link(kSecond);
  CHECK(link.phase() == LinkSession::Phase::disconnected);
  link.connected(0);
  CHECK(link.phase() == LinkSession::Phase::awaiting_welcome);
  CHECK(link.welcomed(WelcomeFrame(2).get(), 0).code == Errc::unsupported_version);
  CHECK_FALSE(link.ready());
  CHECK(link.welcomed(WelcomeFrame().get(), 0).code == Errc::ok);
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
  REQUIRE(link.welcomed(WelcomeFrame().get(), 0).code == Errc::ok);
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
  REQUIRE(link.welcomed(WelcomeFrame().get(), 0).code == Errc::ok);
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
  REQUIRE(link.welcomed(WelcomeFrame().get(), kSecond).code == Errc::ok);
  const auto again = resubscribe(link);
  REQUIRE(again.size() == 1);
  CHECK(again[0].request_id != sent[0].request_id);
}

TEST_CASE("a refused subscription is forgotten; an unsubscribe is sent only for the last holder",
          "[link_session]") {
  LinkSession link(kSecond);
  link.connected(0);
  REQUIRE(link.welcomed(WelcomeFrame().get(), 0).code == Errc::ok);
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
  REQUIRE(link.welcomed(WelcomeFrame().get(), 8 * kSecond).code == Errc::ok);
  link.session_lost();
  link.hello_refused(9 * kSecond, 4 * kSecond);  // back to one heartbeat
  CHECK(link.poll(10 * kSecond) == LinkSession::Due::hello);
}

TEST_CASE("a session granted a grace period is asked back with what the link received of it",
          "[link_session][resume]") {
  LinkSession link(kSecond);
  CHECK(link.hello("c", 30'000).resume_session == 0);  // nothing to resume yet
  link.connected(0);
  const auto first = link.welcomed(
      WelcomeFrame(Resume{.session_id = 41, .resume_grace_ms = 30'000, .resume_token = 99}).get(),
      0);
  CHECK(first.code == Errc::ok);
  CHECK_FALSE(first.resumed);
  CHECK_FALSE(first.previous_lost);  // none was asked for
  protocol::SubscribeFields kept, in_flight;
  REQUIRE(link.subscribe(1, {.pattern = "track.>"}, kept));
  REQUIRE(link.subscribe(2, {.pattern = "alert.>"}, in_flight));
  REQUIRE(link.subscribe(3, {.pattern = "text.>"}, kept));
  link.answered(kept.request_id, true);  // text.> confirmed, track.> and alert.> not
  const std::uint32_t unsubscribing = link.unsubscribe(3);
  REQUIRE(unsubscribing != 0);
  for (int i = 0; i < 5; ++i) link.delivery_received();
  link.drops_told(7);

  link.disconnected();
  link.connected(kSecond);
  const protocol::HelloFields hello = link.hello("c", 30'000);
  CHECK(hello.resume_grace_ms == 30'000);
  CHECK(hello.heartbeat_ms == 1000);
  CHECK(hello.resume_session == 41);
  CHECK(hello.resume_token == 99);
  CHECK(hello.resume_received == 5);
  CHECK(hello.resume_told_dropped == 7);

  const auto resumed = link.welcomed(WelcomeFrame(Resume{.session_id = 41,
                                                         .resume_grace_ms = 30'000,
                                                         .resume_token = 100,
                                                         .resumed = true,
                                                         .missed = 3})
                                         .get(),
                                     kSecond);
  CHECK(resumed.resumed);
  CHECK(resumed.missed == 3);
  CHECK_FALSE(resumed.previous_lost);
  // The unsubscribe in flight goes again, first; then the subscribes never answered.
  CHECK(restore(link, true) == std::vector<std::string>{"-text.>", "+track.>", "+alert.>"});

  // The missed ones count as told: a second resume does not report them again.
  link.disconnected();
  link.connected(2 * kSecond);
  const protocol::HelloFields again = link.hello("c", 30'000);
  CHECK(again.resume_token == 100);  // each Welcome gives the next token
  CHECK(again.resume_received == 5);
  CHECK(again.resume_told_dropped == 10);
}

TEST_CASE("a resume the peer refuses is a lost session; one it ended is not asked back",
          "[link_session][resume]") {
  LinkSession link(kSecond);
  link.connected(0);
  link.welcomed(
      WelcomeFrame(Resume{.session_id = 5, .resume_grace_ms = 1000, .resume_token = 8}).get(), 0);
  protocol::SubscribeFields out;
  REQUIRE(link.subscribe(1, {.pattern = "track.>"}, out));
  link.answered(out.request_id, true);
  link.disconnected();
  REQUIRE(link.unsubscribe(1) == 0);  // not ready: kept for a resume
  link.connected(kSecond);
  CHECK(link.hello("c", 1000).resume_session == 5);
  // The broker restarted: a new session, without a token (it grants no grace period).
  const auto fresh = link.welcomed(WelcomeFrame(Resume{.session_id = 1}).get(), kSecond);
  CHECK_FALSE(fresh.resumed);
  CHECK(fresh.previous_lost);
  CHECK(restore(link, false).empty());               // a new session had no track.> to drop
  CHECK(link.hello("c", 1000).resume_session == 0);  // no token: nothing to resume

  // A session the peer ended itself (slow_consumer, revoked) is not asked back either.
  link.welcomed(
      WelcomeFrame(Resume{.session_id = 2, .resume_grace_ms = 1000, .resume_token = 3}).get(),
      kSecond);
  link.session_ended();
  CHECK(link.hello("c", 1000).resume_session == 0);
  CHECK_FALSE(link.welcomed(WelcomeFrame(Resume{.session_id = 4}).get(), kSecond).previous_lost);
  // hello_required (session_lost) still asks: the peer may hold the session detached.
  link.welcomed(
      WelcomeFrame(Resume{.session_id = 6, .resume_grace_ms = 1000, .resume_token = 9}).get(),
      kSecond);
  link.session_lost();
  CHECK(link.hello("c", 1000).resume_session == 6);
}
