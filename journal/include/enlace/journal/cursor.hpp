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
#include <filesystem>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "enlace/journal/format.hpp"
#include "enlace/result.hpp"

namespace enlace::journal {

namespace detail {
class Segment;
class SegmentList;
}  // namespace detail

/// A damaged record a cursor met: its checksum, length or fields do not hold, or it reads
/// as zeros. Nothing after it in its segment can be framed, so the cursor went on from the
/// segment's committed end: the next segment, or the records appended later.
struct Damage {
  /// The segment file, for the operator's log; a broker's client must not learn it.
  std::filesystem::path segment;
  std::uint64_t offset = 0;          // of the damaged record in the file
  std::uint64_t bytes_skipped = 0;   // from it to where the cursor went on
  std::uint64_t after_sequence = 0;  // the last record the cursor read before it; 0: none
  format::Decoded what = format::Decoded::bad_crc;  // format::describe() says it in words
};

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

  /// Damaged records met when reading (a checksum, length or fields that do not hold, or
  /// zeros): bit rot in a sealed segment recovery did not scan, or a file changed behind the
  /// journal's back. The rest of such a segment is skipped. Counts every one since the
  /// cursor was made.
  std::uint64_t corrupt_records_skipped() const noexcept { return corrupt_skipped_; }
  /// The damage read() met since the last call, in the order met: one entry per record that
  /// corrupt_records_skipped() counts.
  std::vector<Damage> take_damage() { return std::exchange(damage_, {}); }

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
  std::uint64_t last_read_ = 0;  // sequence of the last record decoded, wanted or not
  std::uint64_t corrupt_skipped_ = 0;
  std::vector<Damage> damage_;
};

}  // namespace enlace::journal
