// The on-disk format of a journal segment, and its decoder: what recovery, readers and the
// fuzz target (tests/fuzz/fuzz_journal_segment.cpp) share. journal/FORMAT.md is the
// normative description; this header and format.cpp implement it.
//
// A segment is a header followed by records, each self-delimiting and checksummed:
//
//   header  "ENLS" u16 version u16 flags u64 first_sequence i64 created_ns u32 0 u32 crc
//   record  u32 length u32 crc u64 sequence i64 time_ns u16 topic_len u32 header_len
//           topic header envelope
//
// Everything here is pure (no I/O but through the caller's ReadAt) and safe on hostile
// bytes: no length is used before it is checked against the bytes at hand.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string_view>

#include "enlace/result.hpp"

namespace enlace::journal {

/// One journaled message. On append, the views point into the caller's memory for the
/// duration of the call; from a Cursor, into the caller's read buffer.
struct Record {
  std::uint64_t sequence = 0;            // the broker's delivery sequence; strictly increasing
  std::int64_t time_ns = 0;              // broker receive time, ns since the Unix epoch (UTC)
  std::string_view topic;                // at most kMaxTopicBytes
  std::span<const std::uint8_t> header;  // opaque to the journal (the authenticated origin)
  // The envelope bytes as published. Records are packed, so from a Cursor they start at
  // any alignment: copy them to 8-byte aligned memory before reading them as a FlatBuffer.
  std::span<const std::uint8_t> envelope;
};

namespace format {

inline constexpr std::uint16_t kVersion = 1;
inline constexpr std::size_t kSegmentHeaderBytes = 32;
/// length and crc: the part of a record before the checksummed body.
inline constexpr std::size_t kRecordFrameBytes = 8;
/// sequence, time, topic length, header length: the fixed part of the body.
inline constexpr std::size_t kRecordFixedBytes = 22;
/// A record as a whole (frame and body): what append() accepts and a decoder believes.
inline constexpr std::size_t kMaxRecordBytes = 16 * 1024 * 1024;
inline constexpr std::size_t kMaxTopicBytes = 0xffff;

struct SegmentHeader {
  std::uint64_t first_sequence = 0;  // no record of the segment has a lower sequence
  std::int64_t created_ns = 0;       // wall clock when the segment was created
};

void encode_segment_header(const SegmentHeader& header, std::uint8_t* out) noexcept;
/// The header, if magic, version, flags, reserved bytes and checksum are right.
std::optional<SegmentHeader> decode_segment_header(std::span<const std::uint8_t> bytes) noexcept;

/// Bytes the record takes in a segment, frame included.
std::size_t encoded_size(const Record& record) noexcept;
/// Writes the record's encoded_size() bytes at `out`.
void encode_record(const Record& record, std::uint8_t* out) noexcept;

enum class Decoded : std::uint8_t {
  ok,          // a whole record whose checksum holds; `size` bytes
  incomplete,  // the bytes end inside the record: `size` bytes are needed from its start
  zero,        // a zero length: space never written (a torn tail, preallocation)
  bad_length,  // a length below the fixed part or above kMaxRecordBytes
  bad_crc,     // the checksum does not hold
  bad_fields,  // checksum fine, but topic and header lengths exceed the record
};

struct DecodeResult {
  Decoded status = Decoded::incomplete;
  std::size_t size = 0;
  Record record;  // for ok only: views into the decoded bytes
};

/// Decodes the record at the start of `bytes`.
DecodeResult decode_record(std::span<const std::uint8_t> bytes) noexcept;

/// What was wrong with a record that decoded as neither ok nor incomplete, in a few words
/// for a log line or an error reason ("checksum mismatch", ...).
std::string_view describe(Decoded status) noexcept;

// ---- the segment scanner (recovery) ------------------------------------------------------

/// Reads up to into.size() bytes at `offset`; fewer only at the end of the data.
using ReadAt =
    std::function<Result<std::size_t>(std::uint64_t offset, std::span<std::uint8_t> into)>;
/// Called for each good record, in order, with its offset and size in the segment. The
/// record's views are valid during the call only.
using OnRecord = std::function<void(std::uint64_t offset, std::size_t size, const Record& record)>;

enum class ScanStop : std::uint8_t {
  end_of_data,  // every byte belongs to a good record
  torn,         // the data ends inside a record, or in zeros up to its end: an interrupted write
  corrupt,      // a bad header, length or checksum, a sequence out of order, or a zero length
                // with data after the zeros (a hole: the file was cut and written past its end)
};

struct ScanResult {
  std::optional<SegmentHeader> header;  // absent when the header is bad (stop == corrupt)
  std::uint64_t end = 0;            // offset after the last good record: where the segment is cut
  std::uint64_t records = 0;        // good records
  std::uint64_t last_sequence = 0;  // of the last good record; 0 when there is none
  ScanStop stop = ScanStop::end_of_data;
  /// Why the scan stopped before the end, in a few words for a log line (static text;
  /// empty at end_of_data).
  std::string_view cause;
};

/// Bytes the scanner reads at a time.
inline constexpr std::size_t kScanChunkBytes = 1024 * 1024;

/// Reads the segment of `size` bytes through `read`, a chunk at a time (a record larger than
/// the chunk is read whole), and reports each good record to `on_record` until the first
/// that is not: its offset is the result's `end`. A record must have a sequence above
/// `after_sequence`, at least the header's first sequence, and above its predecessor's.
/// Fails only when `read` fails.
Result<ScanResult> scan_segment(const ReadAt& read, std::uint64_t size,
                                std::uint64_t after_sequence, const OnRecord& on_record,
                                std::size_t chunk_bytes = kScanChunkBytes);

}  // namespace format
}  // namespace enlace::journal
