// The client's waiters for acknowledged publishes, without a broker: a handler runs once,
// with the broker's answer, its deadline's timeout, or closed; the bound on handlers; and
// a thread waiting in await() beside them.
#include <catch2/catch.hpp>

#include <thread>
#include <vector>

#include "requests.hpp"

using namespace enlace;
using detail::PublishWaiters;

namespace {

wire::Uuid id(std::uint64_t n) {
  return wire::Uuid(0, n);
}

struct Recorder {
  std::vector<std::pair<std::uint64_t, Errc>> got;  // (message number, code; ok for an Ack)

  AckHandler handler(std::uint64_t n) {
    return [this, n](const Result<PublishAck>& answer) {
      got.emplace_back(n, answer ? Errc::ok : answer.code());
    };
  }
};

void run(std::vector<PublishWaiters::Answered>& answered) {
  for (auto& a : answered) a.handler(a.result);
  answered.clear();
}

}  // namespace

TEST_CASE("publish waiters: each handler runs once, with its answer or its deadline's timeout",
          "[unit][client]") {
  PublishWaiters waiters;
  Recorder recorder;
  std::vector<PublishWaiters::Answered> answered;
  for (std::uint64_t n = 1; n <= 3; ++n) {
    REQUIRE(waiters.add(id(n), recorder.handler(n), /*deadline_ns=*/100 * n, 10).ok());
  }
  CHECK(waiters.complete(id(2), PublishAck{id(2), 7, 1}, answered));
  CHECK_FALSE(waiters.complete(id(2), PublishAck{id(2), 7, 1}, answered));  // answered once
  CHECK_FALSE(waiters.complete(id(9), PublishAck{id(9), 8, 1}, answered));  // nobody asked
  run(answered);

  waiters.expire(/*now_ns=*/150, answered);  // 1's deadline passed, 3's not
  run(answered);
  waiters.expire(/*now_ns=*/300, answered);
  run(answered);
  waiters.expire(/*now_ns=*/1000, answered);  // nothing is left to expire
  run(answered);
  CHECK_FALSE(waiters.complete(id(3), ErrorInfo{Errc::publish_denied, "late"}, answered));

  using P = std::pair<std::uint64_t, Errc>;
  CHECK(recorder.got == std::vector<P>{{2, Errc::ok}, {1, Errc::timeout}, {3, Errc::timeout}});
}

TEST_CASE("publish waiters: past max_pending a handler is refused; a slot frees when answered",
          "[unit][client]") {
  PublishWaiters waiters;
  Recorder recorder;
  std::vector<PublishWaiters::Answered> answered;
  REQUIRE(waiters.add(id(1), recorder.handler(1), 1000, 2).ok());
  REQUIRE(waiters.add(id(2), recorder.handler(2), 1000, 2).ok());
  const auto refused = waiters.add(id(3), recorder.handler(3), 1000, 2);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.code() == Errc::queue_full);
  waiters.remove(id(1));  // never sent
  REQUIRE(waiters.add(id(3), recorder.handler(3), 1000, 2).ok());

  // Many answered while two older ones never are, far past twice the bound (the deadlines
  // are compacted many times over): those two still expire, in order.
  for (std::uint64_t n = 10; n < 10000; ++n) {
    REQUIRE(waiters.add(id(n), recorder.handler(n), 2000, 3).ok());
    REQUIRE(waiters.complete(id(n), PublishAck{id(n), n, 1}, answered));
  }
  run(answered);
  waiters.expire(1500, answered);
  run(answered);
  REQUIRE(recorder.got.size() == 9990 + 2);
  CHECK(recorder.got[9990] == std::pair<std::uint64_t, Errc>{2, Errc::timeout});
  CHECK(recorder.got[9991] == std::pair<std::uint64_t, Errc>{3, Errc::timeout});
}

TEST_CASE("publish waiters: closing answers handlers with closed and wakes a waiting thread",
          "[unit][client]") {
  PublishWaiters waiters;
  Recorder recorder;
  std::vector<PublishWaiters::Answered> answered;
  REQUIRE(waiters.add(id(1), recorder.handler(1), 1000, 10).ok());
  waiters.add(id(2));  // a thread in publish_and_wait
  Result<PublishAck> waited = ErrorInfo{Errc::internal_error, "not answered yet"};
  std::thread waiting([&] { waited = waiters.await(id(2), std::chrono::seconds(30)); });
  waiters.fail_all(ErrorInfo{Errc::closed, "client closed"}, answered);
  waiting.join();
  run(answered);
  CHECK(waited.code() == Errc::closed);
  CHECK(recorder.got == std::vector<std::pair<std::uint64_t, Errc>>{{1, Errc::closed}});
  // A handler's id is not awaitable.
  REQUIRE(waiters.add(id(3), recorder.handler(3), 1000, 10).ok());
  CHECK(waiters.await(id(3), std::chrono::milliseconds(1)).code() == Errc::invalid_argument);
}
