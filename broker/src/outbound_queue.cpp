#include "outbound_queue.hpp"

#include <cstring>

namespace enlace::broker {
namespace {

// Below this capacity an idle queue keeps its storage: re-growing it would cost an
// allocation per backlog for no memory worth returning.
constexpr std::size_t kKeptCapacity = 256 * 1024;

std::size_t size_of_record(const std::uint8_t* record) noexcept {
  return wire::record_size(wire::record_frame_size(record));
}

}  // namespace

bool OutboundQueue::push(const std::uint8_t* record, std::size_t size, const Bounds& bounds) {
  const bool control = is_control(record);
  std::size_t& used = control ? control_bytes_ : delivery_bytes_;
  if (used + size > (control ? bounds.control_bytes : bounds.delivery_bytes)) return false;
  // Reuse the consumed front before growing: once it is as large as what is still queued,
  // moving the rest costs no more than what was sent since the last move.
  if (head_ > 0 && (head_ >= bytes_.size() - head_ || bytes_.size() + size > bytes_.capacity())) {
    bytes_.erase(bytes_.begin(), bytes_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
  bytes_.insert(bytes_.end(), record, record + size);
  used += size;
  return true;
}

OutboundQueue::Frame OutboundQueue::peek(std::size_t max_frame_bytes) const noexcept {
  Frame frame;
  std::size_t batch_size = wire::kHeaderSize;
  for (std::size_t at = head_; at < bytes_.size();) {
    const std::size_t size = size_of_record(bytes_.data() + at);
    if (frame.records > 0 && batch_size + size > max_frame_bytes) break;
    batch_size += size;
    frame.record_bytes += size;
    ++frame.records;
    at += size;
  }
  frame.size = frame.records == 1 ? wire::record_frame_size(bytes_.data() + head_) : batch_size;
  return frame;
}

void OutboundQueue::write(const Frame& frame, std::uint8_t* out) const noexcept {
  const std::uint8_t* first = bytes_.data() + head_;
  if (frame.records == 1) {
    std::memcpy(out, first + wire::kRecordHeaderSize, frame.size);
    return;
  }
  wire::write_header(out, wire::Command::batch);
  std::memcpy(out + wire::kHeaderSize, first, frame.record_bytes);
}

OutboundQueue::Removed OutboundQueue::consume(const Frame& frame) noexcept {
  return remove_front(frame.record_bytes);
}

void OutboundQueue::account(const std::uint8_t* record, std::size_t size,
                            Removed& removed) noexcept {
  if (is_control(record)) {
    control_bytes_ -= size;
    ++removed.controls;
  } else {
    delivery_bytes_ -= size;
    ++removed.deliveries;
    removed.delivery_bytes += size;
  }
}

OutboundQueue::Removed OutboundQueue::remove_front(std::size_t bytes) noexcept {
  Removed removed;
  const std::size_t end = head_ + bytes;
  while (head_ < end) {
    const std::size_t size = size_of_record(bytes_.data() + head_);
    account(bytes_.data() + head_, size, removed);
    head_ += size;
  }
  if (empty()) {
    bytes_.clear();
    head_ = 0;
  }
  return removed;
}

OutboundQueue::Removed OutboundQueue::discard_deliveries() noexcept {
  Removed removed;
  if (delivery_bytes_ == 0) return removed;
  // Compact in place: control records slide towards the front, keeping their order.
  std::size_t kept = 0;
  for (std::size_t at = head_; at < bytes_.size();) {
    std::uint8_t* record = bytes_.data() + at;
    const std::size_t size = size_of_record(record);
    if (is_control(record)) {
      std::memmove(bytes_.data() + kept, record, size);
      kept += size;
    } else {
      account(record, size, removed);
    }
    at += size;
  }
  bytes_.resize(kept);
  head_ = 0;
  return removed;
}

OutboundQueue::Removed OutboundQueue::clear() noexcept {
  return remove_front(bytes_.size() - head_);
}

void OutboundQueue::shrink_if_idle() {
  if (empty() && bytes_.capacity() > kKeptCapacity) {
    std::vector<std::uint8_t>().swap(bytes_);
    head_ = 0;
  }
}

}  // namespace enlace::broker
