#include "outbox.hpp"

#include <algorithm>
#include <string>

#include "enlace/protocol/clock.hpp"

namespace enlace::detail {

Result<Outbox::Route> Outbox::admit(wire::Bytes envelope, std::uint8_t flags, bool may_send_now,
                                    bool may_wait, bool& wake, void (*unlock_while_waiting)(void*),
                                    void* context) {
  std::unique_lock lock(mutex_);
  const auto has_room = [&] {
    return closed_ || queue_.size() + in_flight_bytes_ + envelope.size() <= limit_bytes_;
  };
  if (!has_room() && may_wait && wait_.count() > 0) {
    unlock_while_waiting(context);
    may_send_now = false;  // the socket was given back
    changed_.wait_for(lock, wait_, has_room);
  }
  if (closed_) return ErrorInfo{Errc::closed, "client closed"};
  if (!has_room()) {
    return ErrorInfo{Errc::queue_full, "send queue holds " + std::to_string(queue_.size()) +
                                           " bytes (limit " + std::to_string(limit_bytes_) + ")"};
  }
  // The send-now invariant: a message sent by its publishing thread never overtakes one
  // queued before it, because it goes only when nothing is queued or in flight, and the
  // I/O thread, which sends the queue, cannot be sending (the caller holds the socket).
  if (may_send_now && records_.empty() && in_flight_bytes_ == 0 && take_send_now_token()) {
    return Route::send_now;
  }
  wake = records_.empty();
  records_.push_back(queue_.append(wire::Command::publish, flags, envelope));
  return Route::queued;
}

void Outbox::requeue(wire::Bytes envelope, std::uint8_t flags) {
  std::lock_guard lock(mutex_);
  records_.push_back(queue_.append(wire::Command::publish, flags, envelope));
}

bool Outbox::take(protocol::RecordBuffer& buffer, std::vector<protocol::RecordRef>& records) {
  std::lock_guard lock(mutex_);
  if (records_.empty()) return false;
  buffer.swap(queue_);
  records.swap(records_);
  in_flight_bytes_ = buffer.size();
  return true;
}

void Outbox::sent() {
  {
    std::lock_guard lock(mutex_);
    in_flight_bytes_ = 0;
  }
  changed_.notify_all();
}

bool Outbox::wait_drained(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout,
                           [&] { return closed_ || (records_.empty() && in_flight_bytes_ == 0); });
}

std::size_t Outbox::queued() const {
  std::lock_guard lock(mutex_);
  return records_.size();
}

void Outbox::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  changed_.notify_all();
}

bool Outbox::take_send_now_token() noexcept {
  const std::int64_t now = protocol::monotonic_ns();
  send_now_tokens_ =
      std::min(kSendNowBurst, send_now_tokens_ + static_cast<double>(now - send_now_refill_ns_) *
                                                     kSendNowRate / 1e9);
  send_now_refill_ns_ = now;
  if (send_now_tokens_ < 1) return false;
  send_now_tokens_ -= 1;
  return true;
}

}  // namespace enlace::detail
