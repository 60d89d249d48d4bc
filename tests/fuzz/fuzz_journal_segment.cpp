// fuzz_journal_segment: the journal's recovery decoder (journal/include/enlace/journal/
// format.hpp, scan_segment) on the bytes of one segment file, as Journal::open meets a file
// left by a crash, a full disk or bit rot. Properties:
//   - the scanner reads only inside the file (the ReadAt below checks every request), and
//     the input lives in an allocation of exactly its size, so AddressSanitizer sees any
//     read past it;
//   - every record reported lies inside the file, right after the previous one (the first
//     right after the header), and its CRC-32C, recomputed here from the input bytes,
//     holds; its sequences increase and its views lie inside the scanner's buffer's copy
//     of exactly those bytes;
//   - the result's end is the end of the last record reported; a scan that stopped at
//     end_of_data consumed the whole file;
//   - reading in 64-byte chunks (records straddling every chunk boundary) finds exactly
//     what reading in one 1 MiB chunk finds;
//   - a scan that stopped at a zero length stopped torn when only zeros follow it, and
//     corrupt (a hole) when anything else does.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "enlace/journal/crc32c.hpp"
#include "enlace/journal/format.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace enlace;
using namespace enlace::journal;

struct Found {
  std::uint64_t offset;
  std::size_t size;
  std::uint64_t sequence;
  bool operator==(const Found&) const = default;
};

format::ScanResult scan(const std::uint8_t* data, std::size_t size, std::size_t chunk,
                        std::vector<Found>& found) {
  const format::ReadAt read = [&](std::uint64_t offset,
                                  std::span<std::uint8_t> into) -> Result<std::size_t> {
    FUZZ_CHECK(offset <= size);
    const std::size_t n = std::min<std::size_t>(into.size(), size - offset);
    if (n > 0) std::memcpy(into.data(), data + offset, n);
    return n;
  };
  std::uint64_t expected_at = format::kSegmentHeaderBytes;
  const format::OnRecord on_record = [&](std::uint64_t offset, std::size_t bytes,
                                         const Record& record) {
    FUZZ_CHECK(offset == expected_at);
    FUZZ_CHECK(bytes >= format::kRecordFrameBytes + format::kRecordFixedBytes);
    FUZZ_CHECK(offset + bytes <= size);
    const std::uint8_t* p = data + offset;
    std::uint32_t stored;
    std::memcpy(&stored, p + 4, sizeof(stored));
    const std::uint32_t crc =
        crc32c({p + format::kRecordFrameBytes, bytes - format::kRecordFrameBytes}, crc32c({p, 4}));
    FUZZ_CHECK(crc == stored);
    FUZZ_CHECK(crc ==
               crc32c_portable({p + format::kRecordFrameBytes, bytes - format::kRecordFrameBytes},
                               crc32c_portable({p, 4})));
    const std::size_t variable =
        record.topic.size() + record.header.size() + record.envelope.size();
    FUZZ_CHECK(variable == bytes - format::kRecordFrameBytes - format::kRecordFixedBytes);
    // The views hold the same bytes as the input at their place in the record.
    const std::uint8_t* topic = p + format::kRecordFrameBytes + format::kRecordFixedBytes;
    FUZZ_CHECK(std::memcmp(record.topic.data(), topic, record.topic.size()) == 0);
    FUZZ_CHECK(
        record.header.empty() ||
        std::memcmp(record.header.data(), topic + record.topic.size(), record.header.size()) == 0);
    FUZZ_CHECK(record.envelope.empty() ||
               std::memcmp(record.envelope.data(),
                           topic + record.topic.size() + record.header.size(),
                           record.envelope.size()) == 0);
    FUZZ_CHECK(found.empty() || record.sequence > found.back().sequence);
    found.push_back({offset, bytes, record.sequence});
    expected_at = offset + bytes;
  };
  auto result = format::scan_segment(read, size, 0, on_record, chunk);
  FUZZ_CHECK(result.ok());  // the ReadAt never fails
  return *result;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Exactly the input's size: a read one byte past the end is an ASan report.
  const std::unique_ptr<std::uint8_t[]> copy(new std::uint8_t[size == 0 ? 1 : size]);
  if (size > 0) std::memcpy(copy.get(), data, size);

  std::vector<Found> whole, pieces;
  const format::ScanResult a = scan(copy.get(), size, format::kScanChunkBytes, whole);
  const format::ScanResult b = scan(copy.get(), size, 64, pieces);
  FUZZ_CHECK(whole == pieces);
  FUZZ_CHECK(a.end == b.end && a.stop == b.stop && a.records == b.records &&
             a.last_sequence == b.last_sequence && a.header.has_value() == b.header.has_value());

  FUZZ_CHECK(a.records == whole.size());
  if (!a.header) {
    FUZZ_CHECK(a.stop == format::ScanStop::corrupt && whole.empty() && a.end == 0);
    return 0;
  }
  FUZZ_CHECK(size >= format::kSegmentHeaderBytes);
  FUZZ_CHECK(a.end == (whole.empty() ? format::kSegmentHeaderBytes
                                     : whole.back().offset + whole.back().size));
  FUZZ_CHECK(a.end <= size);
  FUZZ_CHECK(a.last_sequence == (whole.empty() ? 0 : whole.back().sequence));
  if (!whole.empty()) FUZZ_CHECK(whole.front().sequence >= a.header->first_sequence);
  if (a.stop == format::ScanStop::end_of_data) FUZZ_CHECK(a.end == size);
  if (a.stop != format::ScanStop::end_of_data) FUZZ_CHECK(a.end < size);
  if (a.stop != format::ScanStop::end_of_data && size - a.end >= format::kRecordFrameBytes) {
    std::uint32_t length = 0;
    std::memcpy(&length, copy.get() + a.end, sizeof(length));
    if (length == 0) {
      const bool zeros =
          std::all_of(copy.get() + a.end, copy.get() + size, [](std::uint8_t b) { return b == 0; });
      FUZZ_CHECK(a.stop == (zeros ? format::ScanStop::torn : format::ScanStop::corrupt));
    }
  }
  return 0;
}
