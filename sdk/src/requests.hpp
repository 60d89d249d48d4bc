// What callers wait for: the broker's answers to acknowledged publishes (by message id),
// and the answers to subscribe, unsubscribe and flush requests (by subscription id or
// ping nonce). Which request an answer belongs to is the protocol core's LinkSession's
// business; this file only keeps the waiters.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "enlace/client.hpp"

namespace enlace::detail {

using StatusPromise = std::shared_ptr<std::promise<Status>>;

/// Waiters for the broker's answer to a publish with ack_requested: a thread blocked in
/// await() (publish_and_wait), or a handler (publish_with_ack) that the I/O thread runs.
/// Thread-safe: publishing threads add and await, the I/O thread completes and expires.
class PublishWaiters {
 public:
  /// What complete(), expire() or fail_all() leave for the I/O thread to run, outside any
  /// lock of the client's: the handlers answered, each with its answer.
  struct Answered {
    AckHandler handler;
    Result<PublishAck> result;
  };

  /// Registers a waiter before the frame can leave, so the answer cannot arrive first.
  void add(const wire::Uuid& id);
  /// Registers `handler` for `id`, answered with timeout at `deadline_ns` (monotonic) at the
  /// latest. queue_full when `max_pending` handlers already wait.
  Status add(const wire::Uuid& id, AckHandler handler, std::int64_t deadline_ns,
             std::size_t max_pending);
  /// Drops a waiter whose publish never left (refused locally).
  void remove(const wire::Uuid& id);
  /// The broker's answer (or a local failure) for `id`: wakes its thread, or appends its
  /// handler to `answered`. False when nobody waits for it.
  bool complete(const wire::Uuid& id, const Result<PublishAck>& result,
                std::vector<Answered>& answered);
  /// Handlers whose deadline passed by `now_ns`, answered with timeout, appended to
  /// `answered`. Cheap when nothing expired: one look at the oldest.
  void expire(std::int64_t now_ns, std::vector<Answered>& answered);
  /// Waits up to `timeout` for the answer; invalid_argument if no waiter was added.
  Result<PublishAck> await(const wire::Uuid& id, std::chrono::milliseconds timeout);
  /// Answers every waiter still waiting with `error` (the client closes); the handlers are
  /// appended to `answered`.
  void fail_all(const ErrorInfo& error, std::vector<Answered>& answered);

 private:
  struct Key {
    std::uint64_t hi, lo;
    bool operator<(const Key& o) const noexcept { return hi != o.hi ? hi < o.hi : lo < o.lo; }
  };
  static Key key_of(const wire::Uuid& id) noexcept { return {id.hi(), id.lo()}; }
  struct Waiter {
    bool done = false;
    Result<PublishAck> result = ErrorInfo{Errc::timeout, "no answer from the broker"};
    AckHandler handler;  // empty: a thread waits in await()
  };

  std::mutex mutex_;
  std::condition_variable answered_;
  // Map nodes stay put until erased: await() keeps its iterator while it waits.
  std::map<Key, Waiter> waiters_;
  // Handlers in the order they were added, with their deadlines (all handlers share one
  // timeout, so this is also deadline order). Entries already answered are dropped when
  // they reach the front; the broker answers in order, so the front is usually current.
  std::deque<std::pair<std::int64_t, Key>> deadlines_;
  // Handlers in waiters_. Written under mutex_; expire() reads it without, so that the I/O
  // thread's every loop pass takes no lock while no handler waits.
  std::atomic<std::size_t> handlers_{0};
};

/// Callers waiting for the answer to a subscribe, unsubscribe or flush. I/O thread only.
class RequestWaiters {
 public:
  /// At most one subscribe and one unsubscribe are outstanding per subscription.
  void wait_subscribe(std::uint64_t subscription, StatusPromise done);
  void wait_unsubscribe(std::uint64_t subscription, StatusPromise done);
  void wait_flush(std::uint64_t ping_nonce, StatusPromise done);
  void subscribed(std::uint64_t subscription, const Status& status);
  void unsubscribed(std::uint64_t subscription, const Status& status);
  /// A Pong arrived: flushes waiting for this nonce or an earlier one are done.
  void ponged(std::uint64_t nonce);
  /// The connection went: its unsubscribes are done (the broker dropped the session's
  /// subscriptions with it), its flushes failed; subscribes wait for the next session.
  void connection_lost();
  /// The client closes: everybody is answered with `error`.
  void fail_all(const ErrorInfo& error);
  /// Whether a caller waits for subscription `id`'s first answer.
  bool awaits_subscribe(std::uint64_t subscription) const {
    return subscribes_.count(subscription) != 0;
  }

 private:
  static void answer(std::map<std::uint64_t, StatusPromise>& waiters, std::uint64_t key,
                     const Status& status);

  std::map<std::uint64_t, StatusPromise> subscribes_, unsubscribes_, flushes_;
};

}  // namespace enlace::detail
