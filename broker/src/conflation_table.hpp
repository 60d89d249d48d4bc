// The deliveries a backed-up connection holds for its LatestPerTopic subscriptions
// (docs/protocol.md 5.6): one per topic, the newest, in the order their topics first came.
// While a connection's queue is not empty, a conflated delivery waits here instead of
// behind the queue; a newer one on the same topic replaces it (counted as conflated). Once
// the queue has drained, flush.cpp sends what is here ahead of the pass's new frames.
//
// Owned by its Connection, on the broker's routing thread. Allocates per topic while the
// connection is backed up; a replacement reuses its record's storage when it fits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "enlace/protocol/records.hpp"
#include "string_hash.hpp"

namespace enlace::broker {

class ConflationTable {
 public:
  bool empty() const noexcept { return pending_.empty(); }
  std::size_t size() const noexcept { return pending_.size(); }
  /// Record bytes held: counted against the session's delivery bound.
  std::size_t bytes() const noexcept { return bytes_; }
  /// Record bytes `put` would add for `topic`: what replacing its pending record changes.
  std::ptrdiff_t growth(std::string_view topic, std::size_t size) const {
    const auto it = index_.find(topic);
    return static_cast<std::ptrdiff_t>(size) -
           (it == index_.end() ? 0
                               : static_cast<std::ptrdiff_t>(pending_[it->second].record.size()));
  }

  /// Keeps the record (`size` bytes, as RecordBuffer::record() points to one) as the
  /// pending delivery of `topic`. Returns whether it replaced an older one.
  bool put(std::string_view topic, const std::uint8_t* record, std::size_t size) {
    if (const auto it = index_.find(topic); it != index_.end()) {
      std::vector<std::uint8_t>& held = pending_[it->second].record;
      bytes_ = bytes_ - held.size() + size;
      held.assign(record, record + size);
      return true;
    }
    // A deque keeps its elements in place: the index views each one's topic.
    Pending& added = pending_.emplace_back(Pending{std::string(topic), {record, record + size}});
    index_.emplace(added.topic, pending_.size() - 1);
    bytes_ += size;
    return false;
  }

  /// Appends every pending record to `buffer`, oldest topic first, and their references
  /// to `out`; leaves the table empty.
  void drain(protocol::RecordBuffer& buffer, std::vector<protocol::RecordRef>& out) {
    for (const Pending& pending : pending_)
      out.push_back(buffer.append_record(pending.record.data(), pending.record.size()));
    clear();
  }

  /// Discards everything; returns how many deliveries were held.
  std::size_t clear() noexcept {
    const std::size_t held = pending_.size();
    index_.clear();
    pending_.clear();
    bytes_ = 0;
    return held;
  }

 private:
  struct Pending {
    std::string topic;
    std::vector<std::uint8_t> record;
  };
  std::deque<Pending> pending_;
  std::unordered_map<std::string_view, std::size_t, StringHash, std::equal_to<>> index_;
  std::size_t bytes_ = 0;
};

}  // namespace enlace::broker
