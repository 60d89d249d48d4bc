// A segment's sparse index: one entry per index interval of bytes (and always the first
// record), so that finding a sequence or a time costs a binary search plus a scan of at
// most one interval. Kept in memory for every segment; written to <segment>.idx when the
// segment is sealed, so that a clean restart need not scan sealed segments
// (FORMAT.md, "Index file").
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace enlace::journal::detail {

struct IndexEntry {
  std::uint64_t sequence = 0;    // of the record at `offset`
  std::int64_t max_time_ns = 0;  // highest receive time up to and including that record
  std::uint64_t offset = 0;
};

/// The content of an index file: what opening a sealed segment needs without scanning it.
struct SegmentIndex {
  std::uint64_t first_sequence = 0;  // the segment's, as its header and file name say
  std::uint64_t size = 0;            // the segment's size in bytes: the index is for it alone
  std::uint64_t records = 0;
  std::uint64_t last_sequence = 0;
  std::int64_t max_time_ns = 0;
  std::vector<IndexEntry> entries;
};

std::vector<std::uint8_t> encode_index(const SegmentIndex& index);
/// The index, if the bytes hold a whole, well-formed one whose checksum holds.
std::optional<SegmentIndex> decode_index(std::span<const std::uint8_t> bytes);

/// Where to start scanning for the first record with a sequence of at least `sequence`: the
/// offset of the last entry at or below it, else `data_start`.
std::uint64_t scan_start_for_sequence(std::span<const IndexEntry> entries, std::uint64_t sequence,
                                      std::uint64_t data_start) noexcept;
/// Where to start scanning for the first record (in log order) with a time of at least
/// `time_ns`: the offset of the last entry whose max_time_ns is below it (every record up to
/// there is earlier), else `data_start`.
std::uint64_t scan_start_for_time(std::span<const IndexEntry> entries, std::int64_t time_ns,
                                  std::uint64_t data_start) noexcept;

}  // namespace enlace::journal::detail
