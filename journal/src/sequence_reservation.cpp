#include "enlace/journal/sequence_reservation.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>
#include <system_error>

#include "bytes.hpp"
#include "enlace/journal/crc32c.hpp"
#include "file.hpp"

namespace enlace::journal {
namespace {

constexpr detail::Magic kMagic = {'E', 'N', 'L', 'Q'};
constexpr std::uint16_t kVersion = 1;
constexpr std::size_t kFileBytes = 20;

std::array<std::uint8_t, kFileBytes> encode(std::uint64_t mark) {
  std::array<std::uint8_t, kFileBytes> out{};
  detail::store_preamble(out.data(), kMagic, kVersion);
  detail::store<std::uint64_t>(out.data() + 8, mark);
  detail::store<std::uint32_t>(out.data() + 16, crc32c({out.data(), 16}));
  return out;
}

std::optional<std::uint64_t> decode(std::span<const std::uint8_t> bytes) {
  if (bytes.size() != kFileBytes || !detail::has_preamble(bytes.data(), kMagic, kVersion) ||
      detail::load<std::uint32_t>(bytes.data() + 16) != crc32c(bytes.first(16))) {
    return std::nullopt;
  }
  return detail::load<std::uint64_t>(bytes.data() + 8);
}

}  // namespace

SequenceReservation::SequenceReservation(std::filesystem::path path, std::uint64_t block,
                                         std::uint64_t next, std::uint64_t reserved)
    : path_(std::move(path)), block_(block), next_(next), reserved_(reserved) {}

Result<SequenceReservation> SequenceReservation::open(const std::filesystem::path& path,
                                                      std::uint64_t last_journaled,
                                                      std::uint64_t block) {
  if (block == 0) return ErrorInfo{Errc::invalid_argument, "a sequence block of 0"};
  std::error_code ec;
  std::filesystem::path temp = path;
  temp += ".tmp";
  std::filesystem::remove(temp, ec);  // a reservation interrupted before its rename
  std::uint64_t mark = 1;
  if (std::filesystem::exists(path, ec)) {
    auto bytes = detail::read_whole_file(path);
    if (!bytes) return bytes.error();
    const auto decoded = decode(*bytes);
    if (!decoded) {
      return ErrorInfo{
          Errc::storage_unavailable,
          detail::with_path("the sequence file is damaged: the highest sequence used is unknown",
                            path)};
    }
    mark = *decoded;
  }
  const std::uint64_t next = std::max(mark, last_journaled + 1);
  return SequenceReservation(path, block, next, mark);
}

Result<std::uint64_t> SequenceReservation::next() {
  if (next_ >= reserved_) {
    const std::uint64_t mark = next_ + block_;
    if (Status written = detail::replace_file(path_, encode(mark), /*durable=*/true); !written) {
      return written.error();
    }
    reserved_ = mark;
  }
  return next_++;
}

}  // namespace enlace::journal
