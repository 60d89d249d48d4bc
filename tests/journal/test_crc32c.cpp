// CRC-32C against the test vectors of RFC 3720 B.4, in both implementations.
#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <numeric>
#include <string_view>
#include <vector>

#include "enlace/journal/crc32c.hpp"

using namespace enlace::journal;

namespace {

std::span<const std::uint8_t> bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace

TEST_CASE("crc32c matches the RFC 3720 test vectors", "[journal][crc32c]") {
  std::array<std::uint8_t, 32> zeros{};
  std::array<std::uint8_t, 32> ones{};
  ones.fill(0xff);
  std::array<std::uint8_t, 32> ascending{};
  std::iota(ascending.begin(), ascending.end(), std::uint8_t{0});
  std::array<std::uint8_t, 32> descending{};
  for (std::size_t i = 0; i < descending.size(); ++i)
    descending[i] = static_cast<std::uint8_t>(31 - i);

  for (const auto crc : {&crc32c, &crc32c_portable}) {
    CHECK(crc(bytes("123456789"), 0) == 0xE3069283u);
    CHECK(crc(zeros, 0) == 0x8A9136AAu);
    CHECK(crc(ones, 0) == 0x62A8AB43u);
    CHECK(crc(ascending, 0) == 0x46DD794Eu);
    CHECK(crc(descending, 0) == 0x113FDB5Cu);
    CHECK(crc({}, 0) == 0u);
  }
}

TEST_CASE("crc32c continues over pieces and agrees with the table at every length",
          "[journal][crc32c]") {
  std::vector<std::uint8_t> data(1000);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i * 7 + 3);
  const std::span<const std::uint8_t> all(data);
  for (std::size_t n = 0; n <= 64; ++n)
    CHECK(crc32c(all.first(n)) == crc32c_portable(all.first(n)));
  for (std::size_t cut : {0, 1, 7, 8, 9, 500, 999, 1000}) {
    CHECK(crc32c(all.subspan(cut), crc32c(all.first(cut))) == crc32c(all));
  }
  INFO("hardware crc32: " << crc32c_uses_hardware());
  CHECK(crc32c(all.subspan(3)) == crc32c_portable(all.subspan(3)));  // unaligned start
}
