// What callers wait for: the broker's answers to acknowledged publishes (by message id),
// and the answers to subscribe, unsubscribe and flush requests (by subscription id or
// ping nonce). Which request an answer belongs to is the protocol core's LinkSession's
// business; this file only keeps the waiters.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <future>
#include <map>
#include <memory>
#include <mutex>

#include "enlace/client.hpp"

namespace enlace::detail {

using StatusPromise = std::shared_ptr<std::promise<Status>>;

/// Waiters for the broker's answer to a publish with ack_requested. Thread-safe: publishing
/// threads add and await, the I/O thread completes.
class PublishWaiters {
 public:
  /// Registers a waiter before the frame can leave, so the answer cannot arrive first.
  void add(const wire::Uuid& id);
  /// Drops a waiter whose publish never left (refused locally).
  void remove(const wire::Uuid& id);
  /// The broker's answer (or a local failure) for `id`; false when nobody waits for it.
  bool complete(const wire::Uuid& id, Result<PublishAck> result);
  /// Waits up to `timeout` for the answer; invalid_argument if no waiter was added.
  Result<PublishAck> await(const wire::Uuid& id, std::chrono::milliseconds timeout);
  /// Answers every waiter still waiting with `error` (connection closed).
  void fail_all(const ErrorInfo& error);

 private:
  struct Key {
    std::uint64_t hi, lo;
    bool operator<(const Key& o) const noexcept { return hi != o.hi ? hi < o.hi : lo < o.lo; }
  };
  static Key key_of(const wire::Uuid& id) noexcept { return {id.hi(), id.lo()}; }
  struct Waiter {
    bool done = false;
    Result<PublishAck> result = ErrorInfo{Errc::timeout, "no answer from the broker"};
  };

  std::mutex mutex_;
  std::condition_variable answered_;
  std::map<Key, std::shared_ptr<Waiter>> waiters_;
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
