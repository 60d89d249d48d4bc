// The journal of one durable stream: a directory of segments, each an append-only file of
// checksummed records (journal/FORMAT.md), with a sparse index per segment, recovery at
// open, readers by sequence or time, and retention by age, bytes and messages. Built the way
// the NATS JetStream file store and Kafka keep their logs.
//
// Threads:
//   - ONE writer thread calls everything on Journal: open (construction), append, sync,
//     enforce_retention, close. The journal takes no lock on that path but when a segment
//     is added or removed.
//   - Any number of reader threads each use their own Cursor (cursor()), at the same time
//     as the writer and each other. A cursor sees a record only once its append() has
//     returned success; it reads with pread and holds no more than the caller's buffer.
//   - The counters (first_sequence() ... messages()) may be read from any thread; each is
//     exact for the writer, and at most one append() old for other threads.
//
// What success means: append() returns once the records are in the kernel's page cache
// (write(2)); they survive the process being killed, not the machine losing power. After
// sync() returns success, every record appended before it is on stable storage
// (fdatasync). The broker's "fsync" durability mode calls append() then sync() per batch
// (group commit); its "write" mode calls append() only.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "enlace/journal/cursor.hpp"
#include "enlace/journal/format.hpp"
#include "enlace/result.hpp"

namespace enlace::journal {

/// Limits enforce_retention() holds the journal to; 0 means no limit. Whole sealed
/// segments are deleted, oldest first, so the journal may keep up to a segment more than
/// a limit says, and never deletes the active segment.
struct Retention {
  std::chrono::nanoseconds max_age{0};  // a segment goes once its newest record is older
  std::uint64_t max_bytes = 0;          // segment file bytes, headers included
  std::uint64_t max_messages = 0;
};

struct Options {
  /// A segment is rolled when the next records would take it past this size; a record
  /// larger than it goes alone into a segment of its own.
  std::uint64_t segment_bytes = 64ULL * 1024 * 1024;
  /// One index entry per this many bytes of records: seeks scan at most this much.
  std::uint64_t index_interval_bytes = 4096;
  Retention retention;
};

/// A segment file recovery cut short or deleted because of what it held after its last good
/// record, for the broker to log.
struct SegmentCut {
  std::filesystem::path segment;     // for the operator's log
  std::uint64_t offset = 0;          // where the file was cut (after its last good record)
  std::uint64_t bytes = 0;           // bytes cut off; the whole file when it was deleted
  std::uint64_t after_sequence = 0;  // the last record kept before the cut; 0: none
  format::ScanStop stop = format::ScanStop::torn;  // torn: an interrupted write; corrupt: damage
  std::string_view cause;                          // why, in a few words (static text)
  bool removed = false;  // the file was deleted: a bad header, or no record left in it
};

/// What open found and did, for the broker to log and count.
struct RecoveryReport {
  std::uint64_t segments = 0;          // segments in the journal after recovery
  std::uint64_t segments_scanned = 0;  // read through because their index was missing or
                                       // bad, or because they were the active one
  std::uint64_t segments_removed = 0;  // files with a bad header, deleted
  std::uint64_t records = 0;
  std::uint64_t bytes = 0;            // segment bytes kept
  std::uint64_t truncated_bytes = 0;  // torn or corrupt tails cut off, removed files
  std::uint64_t corrupt_records = 0;  // records whose checksum, length or order was bad, and
                                      // holes (zeros with records after them)
  std::uint64_t last_sequence = 0;
  std::chrono::nanoseconds duration{0};
  std::vector<SegmentCut> cuts;  // each cut or damaged file, in segment order
};

/// What enforce_retention() deleted.
struct RetentionReport {
  std::uint64_t segments = 0;
  std::uint64_t records = 0;
  std::uint64_t bytes = 0;
};

class Journal {
 public:
  /// Opens the journal in `dir` (created if missing) and recovers it (see FORMAT.md,
  /// "Recovery"): sealed segments with a valid index file are not read; the active segment
  /// and any other are scanned, and a segment whose tail is torn or corrupt is cut after
  /// its last good record. Record payloads are never held in memory.
  /// Errors: storage_unavailable (the directory or a file cannot be read or repaired).
  static Result<std::unique_ptr<Journal>> open(const std::filesystem::path& dir,
                                               const Options& options = {});

  /// Closes cleanly (close()); errors are lost here, call close() to see them.
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  const RecoveryReport& recovery() const noexcept { return recovery_; }

  /// Appends `records` in order: one pwrite(2) per segment the batch touches, and no
  /// allocation per record once the writer's buffer has grown to the batch size.
  /// Sequences must be above last_sequence() and increase through the batch (gaps are
  /// fine); each record must fit kMaxRecordBytes: otherwise invalid_argument, and nothing
  /// is written. On a failed or short write (ENOSPC, EIO, EFBIG...) the segment is cut back
  /// to its last whole record and storage_unavailable returned with errno's text; the
  /// journal stays consistent and the next append may succeed. A batch split over two
  /// segments may have its first part stored when the second fails: the records up to
  /// last_sequence() are stored, those after it are not.
  Status append(std::span<const Record> records);

  /// Makes every appended record durable (fdatasync of each segment written since the last
  /// sync). Costs nothing when nothing was appended since. Errors: storage_unavailable.
  Status sync();

  /// Deletes sealed segments, oldest first, while the oldest breaks a limit of
  /// options.retention: older than now_ns - max_age, or the journal above max_bytes or
  /// max_messages. Readers on a deleted segment finish it (see the file header).
  RetentionReport enforce_retention(std::int64_t now_ns);

  /// Seals the active segment (writes its index, so that the next open need not scan it)
  /// and syncs it. The journal takes no more appends after it.
  Status close();

  /// A reader positioned at the earliest record. Any thread may use the cursor, one at a
  /// time; it may outlive the journal (it then reads what was committed).
  Cursor cursor() const;

  /// Sequence of the oldest record kept; last_sequence() + 1 when the journal is empty.
  std::uint64_t first_sequence() const noexcept;
  /// Sequence of the newest record appended; 0 when none ever was.
  std::uint64_t last_sequence() const noexcept;
  /// Bytes of all segment files.
  std::uint64_t bytes() const noexcept;
  /// Records kept.
  std::uint64_t messages() const noexcept;
  std::size_t segments() const;

 private:
  Journal(std::filesystem::path dir, const Options& options);
  Status recover();
  Status check(std::span<const Record> records) const;
  /// The segment to put `records[0]` and the records after it into: the active one, or a
  /// new one when they do not fit. Returns how many of them go there.
  Result<std::size_t> place(std::span<const Record> records);
  Status roll(std::uint64_t first_sequence);
  void refresh_first_sequence() noexcept;

  const std::filesystem::path dir_;
  const Options options_;
  RecoveryReport recovery_;
  std::shared_ptr<detail::SegmentList> list_;  // shared with cursors
  std::shared_ptr<detail::Segment> active_;
  std::vector<std::shared_ptr<detail::Segment>> unsynced_;  // written since the last sync()
  std::vector<std::uint8_t> buffer_;                        // append()'s encoding buffer
  bool closed_ = false;

  // Written by the writer only; relaxed loads elsewhere.
  std::atomic<std::uint64_t> first_sequence_{1};
  std::atomic<std::uint64_t> last_sequence_{0};
  std::atomic<std::uint64_t> bytes_{0};
  std::atomic<std::uint64_t> messages_{0};
};

}  // namespace enlace::journal
