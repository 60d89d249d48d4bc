// One connection's outbound queue: the frames the broker produced for a peer that ZeroMQ's
// pipe had no room for yet, kept in the order they were produced.
//
// Two byte bounds, one per kind of record, given by the caller on every push (they come
// from the policy in force, which a reload may change):
//   - deliveries: what a slow subscriber lets pile up. A delivery that does not fit is
//     dropped (the caller counts it): drop-newest. What is queued stays queued, so a slow
//     subscriber sees a gap, never a reordering.
//   - control frames (Ack, Error, Welcome, Pong, EndOfSnapshot, Ping): never dropped to make
//     room for deliveries; past their own bound the push stops, and the caller ends the
//     session (its peer does not read its answers).
//
// The queue holds ZeroMQ messages, each a frame ready to send (one record alone, or several
// as a batch of at most kMaxBatchBytes), built from the pass buffer with the one copy a
// direct send makes too: a backlog costs no extra copy, and sending from it moves the message
// into ZeroMQ. So that a trickle of small frames does not cost a message each, frames pushed
// behind a small last frame are merged into it (that copy is of a few KiB at most). The
// bounds count record bytes; per-message overhead stays under 1 % that way. Messages sit in a
// ring that grows only with the backlog: once a connection's backlog has reached its
// working size, queueing allocates only the frames themselves, as sending them would.
//
// Owned by the broker's routing thread; not thread-safe.
#pragma once

#include <zmq.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "enlace/protocol/frame.hpp"
#include "enlace/protocol/records.hpp"

namespace enlace::broker {

/// Largest batch frame the broker builds for one peer.
inline constexpr std::size_t kMaxBatchBytes = 128 * 1024;

class OutboundQueue {
 public:
  struct Bounds {
    std::size_t delivery_bytes;
    std::size_t control_bytes;
  };

  /// Records by kind, and delivery record bytes: what a call queued, sent or removed.
  struct Counts {
    std::size_t deliveries = 0;
    std::size_t delivery_bytes = 0;
    std::size_t controls = 0;
    std::size_t control_bytes = 0;
  };

  /// Whether the record (as frame.hpp lays it out) holds a control frame.
  static bool is_control(const std::uint8_t* record) noexcept {
    return record[wire::kRecordHeaderSize + 1] == static_cast<std::uint8_t>(wire::Command::control);
  }

  OutboundQueue() = default;
  OutboundQueue(OutboundQueue&&) = delete;  // held in place by its Connection

  bool empty() const noexcept { return count_ == 0; }
  std::size_t delivery_bytes() const noexcept { return delivery_bytes_; }
  std::size_t control_bytes() const noexcept { return control_bytes_; }

  /// Queues the records `refs` of `buffer`, in order, each within the bound of its kind.
  /// A delivery that does not fit is skipped and passed to `dropped(record)`. A control
  /// record that does not fit stops the push: its index is returned, and it and the records
  /// after it are not queued. Returns refs.size() when every control record fitted.
  template <class Dropped>
  std::size_t push(const protocol::RecordBuffer& buffer, std::span<const protocol::RecordRef> refs,
                   const Bounds& bounds, Dropped&& dropped) {
    kept_.clear();
    std::size_t i = 0;
    for (; i < refs.size(); ++i) {
      const std::uint8_t* record = buffer.record(refs[i]);
      const bool control = is_control(record);
      std::size_t& used = control ? control_bytes_ : delivery_bytes_;
      if (used + refs[i].size <= (control ? bounds.control_bytes : bounds.delivery_bytes)) {
        used += refs[i].size;
        kept_.push_back(refs[i]);
      } else if (control) {
        break;
      } else {
        dropped(record);
      }
    }
    append(buffer, kept_);
    return i;
  }

  /// The frame to send next; only when !empty(). Sending it moves its bytes into ZeroMQ;
  /// pop() then removes what is left of it.
  zmq::message_t& front() noexcept { return ring_[head_].frame; }
  /// Removes the front frame (sent, or being discarded) and returns what it held.
  Counts pop() noexcept;

  /// Puts a control record in front of everything queued, as a frame of its own, whatever
  /// the bounds: the Welcome of a resumed session, which must precede its backlog.
  void push_front(const protocol::RecordBuffer& buffer, protocol::RecordRef control);
  /// What the queue holds in all. Walks the queue: for rare events only.
  Counts totals() const noexcept;
  /// Calls visit(record) for each control record queued, in order. For rare events only.
  void for_each_control(const std::function<void(const std::uint8_t* record)>& visit) const;

  /// Discards every queued delivery and keeps the control records, in their order: what a
  /// session that ends leaves behind (its answers still go out, its data does not).
  /// Returns what was discarded.
  Counts discard_deliveries();
  /// Discards everything; returns what was discarded.
  Counts clear() noexcept;
  /// Gives the ring's storage back once the queue is empty and the ring large, so that a
  /// subscriber that was slow once does not keep its peak for ever.
  void shrink_if_idle();

 private:
  struct Entry {
    zmq::message_t frame;
    Counts counts;
  };

  /// Appends frames holding `refs` (already counted in the bounds) behind the queue.
  void append(const protocol::RecordBuffer& buffer, std::span<const protocol::RecordRef> refs);
  Entry& push_entry();
  Entry& back() noexcept { return ring_[(head_ + count_ - 1) % ring_.size()]; }

  std::vector<Entry> ring_;  // count_ entries from head_, wrapping
  std::size_t head_ = 0;
  std::size_t count_ = 0;
  std::size_t delivery_bytes_ = 0;
  std::size_t control_bytes_ = 0;
  std::vector<protocol::RecordRef> kept_;  // push()'s scratch
  protocol::RecordBuffer scratch_;         // records being rebuilt (merging, discarding)
};

}  // namespace enlace::broker
