#include "outbound_queue.hpp"

#include <cstring>
#include <utility>

namespace enlace::broker {
namespace {

// Frames pushed behind a last frame smaller than this are merged into it.
constexpr std::size_t kMergeBelow = 16 * 1024;
// Below this many slots an idle ring keeps its storage.
constexpr std::size_t kKeptSlots = 64;

std::size_t size_of_record(const std::uint8_t* record) noexcept {
  return wire::record_size(wire::record_frame_size(record));
}

bool is_batch(const zmq::message_t& frame) noexcept {
  return frame.size() >= wire::kHeaderSize && static_cast<const std::uint8_t*>(frame.data())[1] ==
                                                  static_cast<std::uint8_t>(wire::Command::batch);
}

void count(const std::uint8_t* record, std::size_t size, OutboundQueue::Counts& counts) noexcept {
  if (OutboundQueue::is_control(record)) {
    ++counts.controls;
    counts.control_bytes += size;
  } else {
    ++counts.deliveries;
    counts.delivery_bytes += size;
  }
}

void add(OutboundQueue::Counts& to, const OutboundQueue::Counts& from) noexcept {
  to.deliveries += from.deliveries;
  to.delivery_bytes += from.delivery_bytes;
  to.controls += from.controls;
  to.control_bytes += from.control_bytes;
}

// Calls visit(record, size) for each record a queued frame holds.
template <class Visit>
void for_each_record(const zmq::message_t& frame, std::vector<std::uint8_t>& scratch,
                     Visit&& visit) {
  const auto* data = static_cast<const std::uint8_t*>(frame.data());
  if (!is_batch(frame)) {
    // A lone frame: seen as the record it was queued as.
    scratch.resize(wire::record_size(frame.size()));
    wire::write_record(scratch.data(), {data, frame.size()});
    visit(scratch.data(), scratch.size());
    return;
  }
  for (std::size_t at = wire::kHeaderSize; at < frame.size();) {
    const std::size_t size = size_of_record(data + at);
    visit(data + at, size);
    at += size;
  }
}

}  // namespace

OutboundQueue::Entry& OutboundQueue::push_entry() {
  if (count_ == ring_.size()) {
    std::vector<Entry> grown(ring_.empty() ? 8 : 2 * ring_.size());
    for (std::size_t i = 0; i < count_; ++i)
      grown[i] = std::move(ring_[(head_ + i) % ring_.size()]);
    ring_.swap(grown);
    head_ = 0;
  }
  ++count_;
  return back();
}

void OutboundQueue::append(const protocol::RecordBuffer& buffer,
                           std::span<const protocol::RecordRef> refs) {
  std::size_t i = 0;
  // A small last frame takes what fits behind it, so that a trickle of records does not
  // queue a message each.
  if (count_ > 0 && !refs.empty() && back().frame.size() < kMergeBelow) {
    Entry& last = back();
    const bool batch = is_batch(last.frame);
    const std::size_t last_records =
        batch ? last.frame.size() - wire::kHeaderSize : wire::record_size(last.frame.size());
    std::size_t size = wire::kHeaderSize + last_records;
    std::size_t n = 0;
    while (n < refs.size() && size + refs[n].size <= kMaxBatchBytes) size += refs[n++].size;
    if (n > 0) {
      zmq::message_t merged(size);
      auto* out = static_cast<std::uint8_t*>(merged.data());
      const auto* old = static_cast<const std::uint8_t*>(last.frame.data());
      wire::write_header(out, wire::Command::batch);
      std::size_t at = wire::kHeaderSize;
      if (batch) {
        std::memcpy(out + at, old + wire::kHeaderSize, last_records);
      } else {
        wire::write_record(out + at, {old, last.frame.size()});
      }
      at += last_records;
      for (; i < n; ++i) {
        const std::uint8_t* record = buffer.record(refs[i]);
        std::memcpy(out + at, record, refs[i].size);
        count(record, refs[i].size, last.counts);
        at += refs[i].size;
      }
      last.frame = std::move(merged);
    }
  }
  // The rest as new frames, cut by the same splitter as every other send.
  protocol::FrameSplitter splitter(buffer, refs, kMaxBatchBytes, i);
  while (!splitter.done()) {
    const auto next = splitter.peek();
    Entry& entry = push_entry();
    entry.counts = {};
    entry.frame.rebuild(next.size);
    splitter.write(next, static_cast<std::uint8_t*>(entry.frame.data()));
    for (std::size_t k = next.first; k < next.first + next.count; ++k) {
      count(buffer.record(refs[k]), refs[k].size, entry.counts);
    }
    splitter.consume(next);
  }
}

OutboundQueue::Counts OutboundQueue::pop() noexcept {
  Entry& entry = ring_[head_];
  const Counts counts = entry.counts;
  entry.frame.rebuild();  // frees what sending did not take
  entry.counts = {};
  head_ = (head_ + 1) % ring_.size();
  --count_;
  delivery_bytes_ -= counts.delivery_bytes;
  control_bytes_ -= counts.control_bytes;
  return counts;
}

void OutboundQueue::push_front(const protocol::RecordBuffer& buffer, protocol::RecordRef control) {
  push_entry();  // one more slot; the entries then move up by one
  for (std::size_t i = count_ - 1; i > 0; --i)
    ring_[(head_ + i) % ring_.size()] = std::move(ring_[(head_ + i - 1) % ring_.size()]);
  Entry& first = ring_[head_];
  const std::uint8_t* record = buffer.record(control);
  const std::size_t frame_size = wire::record_frame_size(record);
  first.frame.rebuild(record + wire::kRecordHeaderSize, frame_size);
  first.counts = {};
  count(record, control.size, first.counts);
  control_bytes_ += control.size;
}

OutboundQueue::Counts OutboundQueue::totals() const noexcept {
  Counts total;
  for (std::size_t i = 0; i < count_; ++i) add(total, ring_[(head_ + i) % ring_.size()].counts);
  return total;
}

void OutboundQueue::for_each_control(
    const std::function<void(const std::uint8_t* record)>& visit) const {
  std::vector<std::uint8_t> lone;
  for (std::size_t i = 0; i < count_; ++i) {
    const Entry& entry = ring_[(head_ + i) % ring_.size()];
    if (entry.counts.controls == 0) continue;
    for_each_record(entry.frame, lone, [&](const std::uint8_t* record, std::size_t) {
      if (is_control(record)) visit(record);
    });
  }
}

OutboundQueue::Counts OutboundQueue::clear() noexcept {
  Counts removed;
  while (!empty()) add(removed, pop());
  return removed;
}

OutboundQueue::Counts OutboundQueue::discard_deliveries() {
  Counts removed;
  if (delivery_bytes_ == 0) return removed;
  // Rare (a session ends with deliveries queued): rebuild the frames that hold deliveries
  // with their control records only, in order.
  std::vector<Entry> kept;
  std::vector<std::uint8_t> lone, controls;
  for (std::size_t i = 0; i < count_; ++i) {
    Entry& entry = ring_[(head_ + i) % ring_.size()];
    if (entry.counts.deliveries == 0) {
      kept.push_back(std::move(entry));
      continue;
    }
    removed.deliveries += entry.counts.deliveries;
    removed.delivery_bytes += entry.counts.delivery_bytes;
    if (entry.counts.controls == 0) continue;
    controls.clear();
    for_each_record(entry.frame, lone, [&](const std::uint8_t* record, std::size_t size) {
      if (is_control(record)) controls.insert(controls.end(), record, record + size);
    });
    Entry rebuilt;
    rebuilt.counts.controls = entry.counts.controls;
    rebuilt.counts.control_bytes = entry.counts.control_bytes;
    if (entry.counts.controls == 1) {
      const std::size_t frame_size = wire::record_frame_size(controls.data());
      rebuilt.frame.rebuild(controls.data() + wire::kRecordHeaderSize, frame_size);
    } else {
      rebuilt.frame.rebuild(wire::kHeaderSize + controls.size());
      auto* out = static_cast<std::uint8_t*>(rebuilt.frame.data());
      wire::write_header(out, wire::Command::batch);
      std::memcpy(out + wire::kHeaderSize, controls.data(), controls.size());
    }
    kept.push_back(std::move(rebuilt));
  }
  const std::size_t slots = ring_.size();
  ring_ = std::move(kept);
  count_ = ring_.size();
  head_ = 0;
  if (ring_.size() < slots) ring_.resize(slots);  // keep the ring's capacity
  delivery_bytes_ = 0;
  return removed;
}

void OutboundQueue::shrink_if_idle() {
  if (empty() && ring_.size() > kKeptSlots) {
    std::vector<Entry>().swap(ring_);
    head_ = 0;
  }
}

}  // namespace enlace::broker
