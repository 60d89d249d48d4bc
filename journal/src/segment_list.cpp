#include "segment_list.hpp"

#include <algorithm>

namespace enlace::journal::detail {

void SegmentList::push_back(std::shared_ptr<Segment> segment) {
  const std::lock_guard lock(mutex_);
  segments_.push_back(std::move(segment));
}

std::shared_ptr<Segment> SegmentList::pop_front() {
  const std::lock_guard lock(mutex_);
  if (segments_.size() < 2) return nullptr;
  std::shared_ptr<Segment> oldest = std::move(segments_.front());
  segments_.erase(segments_.begin());
  return oldest;
}

std::shared_ptr<Segment> SegmentList::front() const {
  const std::lock_guard lock(mutex_);
  return segments_.empty() ? nullptr : segments_.front();
}

std::shared_ptr<Segment> SegmentList::back() const {
  const std::lock_guard lock(mutex_);
  return segments_.empty() ? nullptr : segments_.back();
}

std::size_t SegmentList::size() const {
  const std::lock_guard lock(mutex_);
  return segments_.size();
}

std::shared_ptr<Segment> SegmentList::after(std::uint64_t first_sequence) const {
  const std::lock_guard lock(mutex_);
  const auto next = std::upper_bound(
      segments_.begin(), segments_.end(), first_sequence,
      [](std::uint64_t first, const auto& segment) { return first < segment->first_sequence(); });
  return next == segments_.end() ? nullptr : *next;
}

std::shared_ptr<Segment> SegmentList::for_sequence(std::uint64_t sequence) const {
  const std::lock_guard lock(mutex_);
  if (segments_.empty()) return nullptr;
  const auto next = std::upper_bound(
      segments_.begin(), segments_.end(), sequence,
      [](std::uint64_t s, const auto& segment) { return s < segment->first_sequence(); });
  return next == segments_.begin() ? segments_.front() : *std::prev(next);
}

std::shared_ptr<Segment> SegmentList::for_time(std::int64_t time_ns) const {
  const std::lock_guard lock(mutex_);
  if (segments_.empty()) return nullptr;
  // max_time_ns() is non-decreasing along the list (segment.hpp).
  const auto reached = std::partition_point(
      segments_.begin(), segments_.end(),
      [time_ns](const auto& segment) { return segment->max_time_ns() < time_ns; });
  return reached == segments_.end() ? segments_.back() : *reached;
}

}  // namespace enlace::journal::detail
