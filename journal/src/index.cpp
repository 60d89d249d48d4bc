#include "index.hpp"

#include <algorithm>
#include <cstring>

#include "bytes.hpp"
#include "enlace/journal/crc32c.hpp"

namespace enlace::journal::detail {
namespace {

constexpr Magic kMagic = {'E', 'N', 'L', 'X'};
constexpr std::uint16_t kVersion = 1;
constexpr std::size_t kHeaderBytes = 56;
constexpr std::size_t kEntryBytes = 24;
constexpr std::size_t kCrcBytes = 4;

}  // namespace

std::vector<std::uint8_t> encode_index(const SegmentIndex& index) {
  std::vector<std::uint8_t> out(kHeaderBytes + kEntryBytes * index.entries.size() + kCrcBytes);
  std::uint8_t* p = out.data();
  store_preamble(p, kMagic, kVersion);
  store<std::uint64_t>(p + 8, index.first_sequence);
  store<std::uint64_t>(p + 16, index.size);
  store<std::uint64_t>(p + 24, index.records);
  store<std::uint64_t>(p + 32, index.last_sequence);
  store<std::int64_t>(p + 40, index.max_time_ns);
  store<std::uint64_t>(p + 48, index.entries.size());
  p += kHeaderBytes;
  for (const IndexEntry& e : index.entries) {
    store<std::uint64_t>(p, e.sequence);
    store<std::int64_t>(p + 8, e.max_time_ns);
    store<std::uint64_t>(p + 16, e.offset);
    p += kEntryBytes;
  }
  store<std::uint32_t>(p, crc32c({out.data(), out.size() - kCrcBytes}));
  return out;
}

std::optional<SegmentIndex> decode_index(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < kHeaderBytes + kCrcBytes) return std::nullopt;
  const std::uint8_t* p = bytes.data();
  const std::uint64_t count = load<std::uint64_t>(p + 48);
  if (!has_preamble(p, kMagic, kVersion) ||
      count != (bytes.size() - kHeaderBytes - kCrcBytes) / kEntryBytes ||
      bytes.size() != kHeaderBytes + count * kEntryBytes + kCrcBytes ||
      load<std::uint32_t>(p + bytes.size() - kCrcBytes) != crc32c({p, bytes.size() - kCrcBytes})) {
    return std::nullopt;
  }
  SegmentIndex index;
  index.first_sequence = load<std::uint64_t>(p + 8);
  index.size = load<std::uint64_t>(p + 16);
  index.records = load<std::uint64_t>(p + 24);
  index.last_sequence = load<std::uint64_t>(p + 32);
  index.max_time_ns = load<std::int64_t>(p + 40);
  index.entries.resize(static_cast<std::size_t>(count));
  const std::uint8_t* e = p + kHeaderBytes;
  for (IndexEntry& entry : index.entries) {
    entry = {load<std::uint64_t>(e), load<std::int64_t>(e + 8), load<std::uint64_t>(e + 16)};
    e += kEntryBytes;
  }
  return index;
}

std::uint64_t scan_start_for_sequence(std::span<const IndexEntry> entries, std::uint64_t sequence,
                                      std::uint64_t data_start) noexcept {
  const auto after =
      std::upper_bound(entries.begin(), entries.end(), sequence,
                       [](std::uint64_t s, const IndexEntry& entry) { return s < entry.sequence; });
  return after == entries.begin() ? data_start : std::prev(after)->offset;
}

std::uint64_t scan_start_for_time(std::span<const IndexEntry> entries, std::int64_t time_ns,
                                  std::uint64_t data_start) noexcept {
  const auto reached = std::partition_point(
      entries.begin(), entries.end(),
      [time_ns](const IndexEntry& entry) { return entry.max_time_ns < time_ns; });
  return reached == entries.begin() ? data_start : std::prev(reached)->offset;
}

}  // namespace enlace::journal::detail
