// A reader of a journal: reads records forward from a position (the earliest record, a
// sequence, a time) in slices that fit the caller's buffer, with pread, while the writer
// appends and retention deletes.
//
// Threads: a cursor is used by one thread at a time; any number of cursors read at once.
// It sees a record once the append() that wrote it has returned, and keeps the segment it
// is reading alive (its descriptor stays open) even if retention deletes the file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "enlace/journal/format.hpp"
#include "enlace/result.hpp"

namespace enlace::journal {

namespace detail {
class Segment;
class SegmentList;
}  // namespace detail

class Cursor {
 public:
  /// Positions at the oldest record kept (the default).
  void seek_earliest() noexcept;
  /// Positions at the first record whose sequence is `sequence` or above: the record
  /// itself, the next one after a gap, the oldest kept if it is older than that, or the end
  /// (later appends are then read) if it is newer than any.
  void seek_sequence(std::uint64_t sequence) noexcept;
  /// Positions at the first record, in log order, whose receive time is `time_ns` or later.
  /// Records after it are read whatever their time (a clock stepped back keeps its order).
  void seek_time(std::int64_t time_ns) noexcept;

  /// Reads the next records into `buffer`: as many whole records as fit, at most
  /// `max_records`, and never beyond what is committed. The records' views point into
  /// `buffer` and stay valid until it is reused; the span itself until the next read().
  /// An empty span: nothing new yet. Errors: invalid_argument when the next record alone
  /// does not fit the buffer (the reason says how many bytes it needs; the cursor stays
  /// there), storage_unavailable when a read fails. Costs a lookup in the segment's index
  /// after a seek, then one pread per slice.
  Result<std::span<const Record>> read(std::span<std::uint8_t> buffer, std::size_t max_records);

  /// Records skipped because their checksum failed when read: bit rot in a sealed segment
  /// recovery did not scan. The rest of such a segment is skipped.
  std::uint64_t corrupt_records_skipped() const noexcept { return corrupt_skipped_; }

 private:
  friend class Journal;
  explicit Cursor(std::shared_ptr<const detail::SegmentList> list);

  enum class Target : std::uint8_t { earliest, sequence, time };
  /// Resolves the pending seek against the segments now in the journal; false when there
  /// are none yet.
  bool position();
  bool wanted(const Record& record) noexcept;

  std::shared_ptr<const detail::SegmentList> list_;
  std::shared_ptr<detail::Segment> segment_;  // null until positioned
  std::uint64_t offset_ = 0;
  Target target_ = Target::earliest;
  std::uint64_t target_sequence_ = 0;
  std::int64_t target_time_ = 0;
  bool positioned_ = false;
  bool found_ = false;  // the target record was reached: no more skipping
  std::vector<Record> records_;
  std::uint64_t corrupt_skipped_ = 0;
};

}  // namespace enlace::journal
