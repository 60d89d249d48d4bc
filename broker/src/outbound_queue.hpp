// One connection's outbound queue: the frames the broker produced for a peer that ZeroMQ's
// pipe had no room for yet, kept in the order they were produced, as batch records (frame.hpp)
// back to back, so that sending several of them is one header and one copy.
//
// Two byte bounds, one per kind of frame, given by the caller on every push (they come from
// the policy in force, which a reload may change):
//   - deliveries: what a slow subscriber lets pile up. A delivery that does not fit is
//     refused and the caller drops and counts it: drop-newest. What is queued stays queued,
//     so a slow subscriber sees a gap, never a reordering.
//   - control frames (Ack, Error, Welcome, Pong, EndOfSnapshot, Ping): never refused because
//     of deliveries; refused only past their own bound, and then the caller ends the session
//     (its peer does not read its answers).
//
// Storage is one byte vector used as a FIFO: records are appended at the end and consumed
// from the front; the unconsumed part moves to the start of the vector when the consumed
// part is at least as large, so each queued byte is moved at most once on average. Once the
// vector has grown to what the bounds allow, pushing and sending allocate nothing.
//
// Owned by the broker's routing thread; not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "enlace/protocol/frame.hpp"

namespace enlace::broker {

class OutboundQueue {
 public:
  struct Bounds {
    std::size_t delivery_bytes;
    std::size_t control_bytes;
  };

  /// What a call removed from the queue, by kind: records and record bytes.
  struct Removed {
    std::size_t deliveries = 0;
    std::size_t delivery_bytes = 0;
    std::size_t controls = 0;
  };

  /// The next frame to send: `records` whole records starting at the front of the queue.
  struct Frame {
    std::size_t records = 0;
    std::size_t record_bytes = 0;  // bytes of the records it takes from the queue
    std::size_t size = 0;          // bytes of the frame on the wire
  };

  /// Whether the record (as frame.hpp lays it out) holds a control frame.
  static bool is_control(const std::uint8_t* record) noexcept {
    return record[wire::kRecordHeaderSize + 1] == static_cast<std::uint8_t>(wire::Command::control);
  }

  bool empty() const noexcept { return head_ == bytes_.size(); }
  std::size_t delivery_bytes() const noexcept { return delivery_bytes_; }
  std::size_t control_bytes() const noexcept { return control_bytes_; }

  /// Appends a whole record of `size` bytes if the bound of its kind leaves room. Returns
  /// false, queueing nothing, when it does not fit.
  bool push(const std::uint8_t* record, std::size_t size, const Bounds& bounds);

  /// The next frame: as many whole records as fit in `max_frame_bytes` (batch header
  /// included), and always at least one, so that a record larger than the limit still
  /// leaves alone. Only when !empty().
  Frame peek(std::size_t max_frame_bytes) const noexcept;
  /// Writes `frame` (from peek()) to `out`, which holds frame.size bytes: a lone record as
  /// its own frame, several as one batch frame.
  void write(const Frame& frame, std::uint8_t* out) const noexcept;
  /// Removes the records of `frame` once it was sent.
  Removed consume(const Frame& frame) noexcept;

  /// Discards every queued delivery and keeps the control frames, in their order: what a
  /// session that ends leaves behind (its answers still go out, its data does not).
  Removed discard_deliveries() noexcept;
  /// Discards everything.
  Removed clear() noexcept;
  /// Gives the storage back to the allocator when the queue is empty and its capacity large,
  /// so that a subscriber that was slow once does not keep its peak for ever.
  void shrink_if_idle();

 private:
  Removed remove_front(std::size_t bytes) noexcept;
  void account(const std::uint8_t* record, std::size_t size, Removed& removed) noexcept;

  std::vector<std::uint8_t> bytes_;
  std::size_t head_ = 0;  // first unconsumed byte
  std::size_t delivery_bytes_ = 0;
  std::size_t control_bytes_ = 0;
};

}  // namespace enlace::broker
