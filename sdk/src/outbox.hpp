// The client's outbox: publish frames encoded on the publishing threads, waiting for the
// I/O thread to send them (batched under load: protocol/records.hpp). Bounded in bytes.
//
// Threads: publishing threads append() and wait for room or for the outbox to drain; the
// I/O thread take()s what accumulated and reports what it sent. Everything is under the
// outbox's own mutex, held only to append, swap or look: never while sending.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <vector>

#include "enlace/protocol/records.hpp"
#include "enlace/result.hpp"

namespace enlace::detail {

class Outbox {
 public:
  /// `limit_bytes`: envelope bytes queued or in flight before append() refuses;
  /// `wait`: how long append() may wait for room (0: refuse at once).
  Outbox(std::size_t limit_bytes, std::chrono::milliseconds wait) noexcept
      : limit_bytes_(limit_bytes), wait_(wait) {}

  /// How a publish leaves: the send-now path or the queue (see admit()).
  enum class Route { send_now, queued };

  /// A publishing thread: admits an envelope. `may_send_now` says the caller holds the socket
  /// and the session is ready; then, if nothing is queued or in flight (so the message
  /// cannot overtake another) and the send-now budget allows, the envelope is not queued
  /// and the caller sends it itself (falling back to requeue() if the socket is full).
  /// Otherwise it is queued; `wake` says the I/O thread must be woken (it was empty).
  /// queue_full when there is no room within the wait (`unlock_while_waiting` runs before
  /// any wait, so the I/O thread can make room); closed after close().
  Result<Route> admit(wire::Bytes envelope, std::uint8_t flags, bool may_send_now, bool may_wait,
                      bool& wake, void (*unlock_while_waiting)(void*), void* context);
  /// After a failed send-now: queues the envelope like any other.
  void requeue(wire::Bytes envelope, std::uint8_t flags);

  /// I/O thread: moves what accumulated into `buffer`/`records` (both empty on entry), and
  /// counts it in flight until sent(). False when there was nothing.
  bool take(protocol::RecordBuffer& buffer, std::vector<protocol::RecordRef>& records);
  /// I/O thread: everything taken has left for the socket.
  void sent();

  /// A publishing thread: waits until nothing is queued or in flight; false on timeout.
  bool wait_drained(std::chrono::milliseconds timeout);
  std::size_t queued() const;
  /// Refuses every later admit() and wakes every waiter.
  void close();

 private:
  bool take_send_now_token() noexcept;  // under mutex_

  const std::size_t limit_bytes_;
  const std::chrono::milliseconds wait_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  protocol::RecordBuffer queue_;
  std::vector<protocol::RecordRef> records_;
  std::size_t in_flight_bytes_ = 0;  // taken by the I/O thread, not yet sent
  bool closed_ = false;
  // The send-now budget: a token bucket of kSendNowRate with bursts of kSendNowBurst.
  double send_now_tokens_ = kSendNowBurst;
  std::int64_t send_now_refill_ns_ = 0;

 public:
  // How often publishing threads may send their message themselves instead of queueing it
  // for the I/O thread, which batches: up to 20,000 msgs/s per client, with bursts of 16,
  // a message does not wait for a thread hand-over; beyond that, messages queue and leave
  // in batches, which keeps the CURVE cost per message low.
  static constexpr double kSendNowRate = 20'000;
  static constexpr double kSendNowBurst = 16;
};

}  // namespace enlace::detail
