#include "enlace/journal/format.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "bytes.hpp"
#include "enlace/journal/crc32c.hpp"

namespace enlace::journal::format {
namespace {

using detail::load;
using detail::store;

constexpr detail::Magic kSegmentMagic = {'E', 'N', 'L', 'S'};
constexpr std::size_t kHeaderCrcAt = 28;

// Offsets inside a record (FORMAT.md, "Record").
constexpr std::size_t kLengthAt = 0;
constexpr std::size_t kCrcAt = 4;
constexpr std::size_t kSequenceAt = 8;
constexpr std::size_t kTimeAt = 16;
constexpr std::size_t kTopicLengthAt = 24;
constexpr std::size_t kHeaderLengthAt = 26;
constexpr std::size_t kTopicAt = kRecordFrameBytes + kRecordFixedBytes;

/// The record checksum covers the length field, then the body after the checksum field:
/// every byte of the record but the checksum itself.
std::uint32_t record_crc(const std::uint8_t* record, std::size_t body_bytes) noexcept {
  const std::uint32_t crc = crc32c({record + kLengthAt, 4});
  return crc32c({record + kRecordFrameBytes, body_bytes}, crc);
}

}  // namespace

void encode_segment_header(const SegmentHeader& header, std::uint8_t* out) noexcept {
  detail::store_preamble(out, kSegmentMagic, kVersion);
  store<std::uint64_t>(out + 8, header.first_sequence);
  store<std::int64_t>(out + 16, header.created_ns);
  store<std::uint32_t>(out + 24, 0);
  store<std::uint32_t>(out + kHeaderCrcAt, crc32c({out, kHeaderCrcAt}));
}

std::optional<SegmentHeader> decode_segment_header(std::span<const std::uint8_t> bytes) noexcept {
  if (bytes.size() < kSegmentHeaderBytes) return std::nullopt;
  const std::uint8_t* p = bytes.data();
  if (!detail::has_preamble(p, kSegmentMagic, kVersion) || load<std::uint32_t>(p + 24) != 0 ||
      load<std::uint32_t>(p + kHeaderCrcAt) != crc32c({p, kHeaderCrcAt})) {
    return std::nullopt;
  }
  return SegmentHeader{load<std::uint64_t>(p + 8), load<std::int64_t>(p + 16)};
}

std::size_t encoded_size(const Record& record) noexcept {
  return kRecordFrameBytes + kRecordFixedBytes + record.topic.size() + record.header.size() +
         record.envelope.size();
}

void encode_record(const Record& record, std::uint8_t* out) noexcept {
  const std::size_t body = encoded_size(record) - kRecordFrameBytes;
  store<std::uint32_t>(out + kLengthAt, static_cast<std::uint32_t>(body));
  store<std::uint64_t>(out + kSequenceAt, record.sequence);
  store<std::int64_t>(out + kTimeAt, record.time_ns);
  store<std::uint16_t>(out + kTopicLengthAt, static_cast<std::uint16_t>(record.topic.size()));
  store<std::uint32_t>(out + kHeaderLengthAt, static_cast<std::uint32_t>(record.header.size()));
  std::uint8_t* p = out + kTopicAt;
  // memcpy with a null source is undefined even for zero bytes: empty views may be null.
  const auto put = [&p](const void* data, std::size_t n) {
    if (n > 0) std::memcpy(p, data, n);
    p += n;
  };
  put(record.topic.data(), record.topic.size());
  put(record.header.data(), record.header.size());
  put(record.envelope.data(), record.envelope.size());
  store<std::uint32_t>(out + kCrcAt, record_crc(out, body));
}

DecodeResult decode_record(std::span<const std::uint8_t> bytes) noexcept {
  if (bytes.size() < kRecordFrameBytes) return {Decoded::incomplete, kRecordFrameBytes, {}};
  const std::uint8_t* p = bytes.data();
  const std::size_t body = load<std::uint32_t>(p + kLengthAt);
  if (body == 0) return {Decoded::zero, 0, {}};
  if (body < kRecordFixedBytes || body > kMaxRecordBytes - kRecordFrameBytes) {
    return {Decoded::bad_length, 0, {}};
  }
  const std::size_t size = kRecordFrameBytes + body;
  if (bytes.size() < size) return {Decoded::incomplete, size, {}};
  if (load<std::uint32_t>(p + kCrcAt) != record_crc(p, body)) return {Decoded::bad_crc, size, {}};

  const std::size_t topic = load<std::uint16_t>(p + kTopicLengthAt);
  const std::size_t header = load<std::uint32_t>(p + kHeaderLengthAt);
  if (topic + header > body - kRecordFixedBytes) return {Decoded::bad_fields, size, {}};
  Record record;
  record.sequence = load<std::uint64_t>(p + kSequenceAt);
  record.time_ns = load<std::int64_t>(p + kTimeAt);
  record.topic = {reinterpret_cast<const char*>(p + kTopicAt), topic};
  record.header = {p + kTopicAt + topic, header};
  record.envelope = {p + kTopicAt + topic + header, size - kTopicAt - topic - header};
  return {Decoded::ok, size, record};
}

std::string_view describe(Decoded status) noexcept {
  switch (status) {
    case Decoded::ok:
      return "a good record";
    case Decoded::incomplete:
      return "a record cut short";
    case Decoded::zero:
      return "zeros where a record should begin";
    case Decoded::bad_length:
      return "a length out of bounds";
    case Decoded::bad_crc:
      return "a checksum mismatch";
    case Decoded::bad_fields:
      return "topic and header lengths beyond the record";
  }
  return "an unknown decoding result";
}

Result<ScanResult> scan_segment(const ReadAt& read, std::uint64_t size,
                                std::uint64_t after_sequence, const OnRecord& on_record,
                                std::size_t chunk_bytes) {
  ScanResult result;
  // No larger than the file: small segments (and fuzz inputs) cost a small buffer.
  std::vector<std::uint8_t> buffer(static_cast<std::size_t>(
      std::max<std::uint64_t>(std::min<std::uint64_t>(chunk_bytes, size), kSegmentHeaderBytes)));
  std::uint64_t buffer_at = 0;  // file offset of buffer[0]
  std::size_t buffered = 0;     // bytes of the buffer holding file data

  // Reads from `offset` to the end of the buffer or of the file, at least `need` bytes
  // (the caller checked that the file has them). False when the file ended sooner.
  const auto fill = [&](std::uint64_t offset, std::size_t need) -> Result<bool> {
    if (buffer.size() < need) buffer.resize(need);
    const std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), size - offset));
    auto got = read(offset, {buffer.data(), want});
    if (!got) return got.error();
    buffer_at = offset;
    buffered = *got;
    return buffered >= need;
  };

  auto filled = fill(0, std::min<std::uint64_t>(size, kSegmentHeaderBytes));
  if (!filled) return filled.error();
  result.header = decode_segment_header({buffer.data(), buffered});
  if (!result.header) {
    result.stop = ScanStop::corrupt;
    result.cause = "a bad segment header";
    return result;
  }
  // Whether every byte from `offset` (inside the buffer) to the end of the file is zero:
  // zeros to the end are a torn tail, data after them a hole in the file.
  const auto zeros_to_end = [&](std::uint64_t offset) -> Result<bool> {
    while (true) {
      const std::size_t from = static_cast<std::size_t>(offset - buffer_at);
      if (std::any_of(buffer.begin() + static_cast<std::ptrdiff_t>(from),
                      buffer.begin() + static_cast<std::ptrdiff_t>(buffered),
                      [](std::uint8_t b) { return b != 0; })) {
        return false;
      }
      offset = buffer_at + buffered;
      if (offset >= size) return true;
      auto more = fill(offset, 1);
      if (!more) return more.error();
      if (!*more) return true;  // the file shrank while being read
    }
  };
  // Every record's sequence is above `after`, and at least `first` (kept in a form that
  // cannot overflow: sequence u64 max is a valid last record).
  std::uint64_t after = after_sequence;
  const std::uint64_t first = result.header->first_sequence;
  std::uint64_t at = kSegmentHeaderBytes;
  while (at < size) {
    const std::size_t offset_in_buffer = static_cast<std::size_t>(at - buffer_at);
    const DecodeResult decoded =
        decode_record({buffer.data() + offset_in_buffer, buffered - offset_in_buffer});
    if (decoded.status == Decoded::incomplete) {
      if (decoded.size > size - at) {
        result.stop = ScanStop::torn;
        result.cause = "the file ends inside a record";
        break;
      }
      filled = fill(at, decoded.size);
      if (!filled) return filled.error();
      if (!*filled) {  // the file shrank while being read
        result.stop = ScanStop::torn;
        result.cause = "the file ends inside a record";
        break;
      }
      continue;
    }
    if (decoded.status == Decoded::zero) {
      auto zeros = zeros_to_end(at);
      if (!zeros) return zeros.error();
      result.stop = *zeros ? ScanStop::torn : ScanStop::corrupt;
      result.cause =
          *zeros ? "zeros to the end of the file" : "a run of zeros with records after it";
      break;
    }
    if (decoded.status != Decoded::ok) {
      result.stop = ScanStop::corrupt;
      result.cause = describe(decoded.status);
      break;
    }
    if (decoded.record.sequence <= after || decoded.record.sequence < first) {
      result.stop = ScanStop::corrupt;
      result.cause = "a sequence out of order";
      break;
    }
    on_record(at, decoded.size, decoded.record);
    after = decoded.record.sequence;
    result.last_sequence = decoded.record.sequence;
    ++result.records;
    at += decoded.size;
  }
  result.end = at;
  return result;
}

}  // namespace enlace::journal::format
