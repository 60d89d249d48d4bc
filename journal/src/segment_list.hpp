// The segments of a journal in sequence order, shared by the writer (which adds at the back
// when it rolls and removes at the front for retention) and the cursors (which look
// segments up). A mutex guards the list; it is taken on those rare events and on a
// cursor's seek or move to the next segment, never per record.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "segment.hpp"

namespace enlace::journal::detail {

class SegmentList {
 public:
  void push_back(std::shared_ptr<Segment> segment);
  /// Removes the oldest segment (only while another remains).
  std::shared_ptr<Segment> pop_front();
  std::shared_ptr<Segment> front() const;
  std::shared_ptr<Segment> back() const;
  std::size_t size() const;

  /// The segment following the one whose first sequence is `first_sequence`, by order:
  /// found even when that one has been removed meanwhile. Null when there is none.
  std::shared_ptr<Segment> after(std::uint64_t first_sequence) const;
  /// The segment that would hold `sequence`: the last whose first sequence is at most it,
  /// else the oldest. Null when the list is empty.
  std::shared_ptr<Segment> for_sequence(std::uint64_t sequence) const;
  /// The first segment holding a record at `time_ns` or later, else the newest.
  std::shared_ptr<Segment> for_time(std::int64_t time_ns) const;

 private:
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<Segment>> segments_;  // by first sequence, ascending
};

}  // namespace enlace::journal::detail
