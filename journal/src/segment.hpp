// One segment file of a journal: <dir>/<first sequence, 20 digits>.seg, its sparse index, and
// the end up to which its records are committed.
//
// Threads: one writer (the journal's) appends, seals, syncs and removes; any number of
// readers read records below end() and look up the index at once. end() is published with
// release order after the bytes are written and the index entries added, so a reader that
// loads it with acquire order sees whole records only. A segment is shared (shared_ptr)
// between the journal's list and its readers: retention unlinks the files, and a reader
// still holding the segment keeps its descriptor, and so its data, until it lets go.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "enlace/journal/format.hpp"
#include "enlace/result.hpp"
#include "file.hpp"
#include "index.hpp"

namespace enlace::journal::detail {

class Segment {
 public:
  /// What opening an existing segment found (Journal::open sums these into its report).
  struct Recovered {
    std::shared_ptr<Segment> segment;  // null: the header was bad, the file holds nothing usable
    bool scanned = false;              // no valid index file: the records were read and checked
    format::ScanStop stop = format::ScanStop::end_of_data;
    std::uint64_t truncated_bytes = 0;  // cut off a torn or corrupt tail
    std::uint64_t cut_at = 0;           // the offset cut at, when truncated_bytes > 0
    std::string_view cause;             // why the scan stopped there (static text)
  };

  /// Writer: creates the file with its header and makes its name durable (directory fsync).
  static Result<std::shared_ptr<Segment>> create(const std::filesystem::path& dir,
                                                 std::uint64_t first_sequence,
                                                 std::int64_t created_ns,
                                                 std::int64_t max_time_before,
                                                 std::uint64_t index_interval);
  /// Writer, at open: loads the index file if it is valid for the segment as it is, else
  /// scans the records and cuts the file after the last good one. `after_sequence` is the
  /// previous segment's last sequence; `max_time_before` its max_time_ns(). An inactive
  /// segment is left sealed (its index file written if it was scanned); the active one
  /// loses its index file, which would be stale after the next append.
  static Result<Recovered> recover(const std::filesystem::path& path, std::uint64_t first_sequence,
                                   std::uint64_t after_sequence, std::int64_t max_time_before,
                                   bool active, std::uint64_t index_interval);

  /// The segment's file name for a first sequence.
  static std::string file_name(std::uint64_t first_sequence);

  Segment(const Segment&) = delete;
  Segment& operator=(const Segment&) = delete;

  // ---- any thread ----
  const std::filesystem::path& path() const noexcept { return path_; }
  std::uint64_t first_sequence() const noexcept { return first_sequence_; }
  /// Offset after the last committed record (acquire): readers read below it only.
  std::uint64_t end() const noexcept { return end_.load(std::memory_order_acquire); }
  /// Sealed segments take no more records: once seen sealed, end() is final.
  bool sealed() const noexcept { return sealed_.load(std::memory_order_acquire); }
  std::uint64_t records() const noexcept { return records_.load(std::memory_order_relaxed); }
  /// Sequence of the segment's first record; 0 while it holds none.
  std::uint64_t first_record_sequence() const;
  /// 0 while the segment holds no record.
  std::uint64_t last_sequence() const noexcept {
    return last_sequence_.load(std::memory_order_relaxed);
  }
  /// The highest receive time in this segment and all before it: non-decreasing along the
  /// journal, so segments can be searched by time.
  std::int64_t max_time_ns() const noexcept { return max_time_.load(std::memory_order_relaxed); }
  /// Offset to scan from for a sequence or a time (index.hpp).
  std::uint64_t scan_start_for_sequence(std::uint64_t sequence) const;
  std::uint64_t scan_start_for_time(std::int64_t time_ns) const;
  Result<std::size_t> read(std::uint64_t offset, std::span<std::uint8_t> into) const;

  // ---- writer ----
  /// Bytes `records` take in a segment.
  static std::uint64_t encoded_bytes(std::span<const Record> records) noexcept;
  /// Encodes `records` into `buffer` (reused across calls) and writes them with one pwrite
  /// at end(). On failure the file is cut back to end(), nothing is committed, and the
  /// error says why; the segment stays usable.
  Status append(std::span<const Record> records, std::vector<std::uint8_t>& buffer);
  Status sync();
  /// Takes no more records, and writes the index file so that the next open need not scan.
  /// A failure to write it costs that scan only.
  Status seal();
  /// Unlinks the segment and its index. Readers holding the segment go on reading it.
  void remove_files() noexcept { remove_files_at(path_); }
  /// The same for a segment file that was not opened (one with a bad header).
  static void remove_files_at(const std::filesystem::path& path) noexcept;

  std::filesystem::path index_path() const { return index_path_of(path_); }
  static std::filesystem::path index_path_of(const std::filesystem::path& segment);

 private:
  /// The writer's view of what is committed; append() advances a copy and commits it.
  struct Tail {
    std::uint64_t end = format::kSegmentHeaderBytes;
    std::uint64_t records = 0;
    std::uint64_t last_sequence = 0;
    std::int64_t max_time_ns = 0;
    std::optional<std::uint64_t> last_entry_offset;
  };

  Segment(std::filesystem::path path, File file, std::uint64_t first_sequence,
          std::uint64_t index_interval, Tail tail, std::vector<IndexEntry> entries);

  /// Accounts for the record at `offset` in `tail`, adding an index entry to `entries` for
  /// the first record and then one per index interval: the one rule for appends and scans.
  static void advance(Tail& tail, std::uint64_t offset, std::size_t size, const Record& record,
                      std::vector<IndexEntry>& entries, std::uint64_t index_interval);
  void commit(const Tail& tail, std::span<const IndexEntry> entries);

  const std::filesystem::path path_;
  const File file_;
  const std::uint64_t first_sequence_;
  const std::uint64_t index_interval_;

  Tail tail_;                        // writer only
  std::vector<IndexEntry> pending_;  // writer only: append()'s entries before they commit

  mutable std::mutex index_mutex_;  // guards entries_: the writer adds, readers search
  std::vector<IndexEntry> entries_;

  std::atomic<std::uint64_t> end_;
  std::atomic<bool> sealed_{false};
  std::atomic<std::uint64_t> records_;
  std::atomic<std::uint64_t> last_sequence_;
  std::atomic<std::int64_t> max_time_;
};

}  // namespace enlace::journal::detail
