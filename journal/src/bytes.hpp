// Little-endian fields at unaligned addresses: how every journal file stores its integers
// (journal/FORMAT.md). Reads and writes go through memcpy, which compilers turn into one
// load or store, so a hostile offset can never cause a misaligned access.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>

namespace enlace::journal::detail {

static_assert(std::endian::native == std::endian::little,
              "the journal's files are little-endian and read in place");

template <class T>
T load(const std::uint8_t* p) noexcept {
  T value;
  std::memcpy(&value, p, sizeof(value));
  return value;
}

template <class T>
void store(std::uint8_t* p, T value) noexcept {
  std::memcpy(p, &value, sizeof(value));
}

/// Every journal file starts with the same 8 bytes: a 4-byte magic naming the kind of file,
/// a u16 format version, and a u16 that is 0 (FORMAT.md).
using Magic = std::uint8_t[4];

inline void store_preamble(std::uint8_t* p, const Magic& magic, std::uint16_t version) noexcept {
  std::memcpy(p, magic, sizeof(Magic));
  store<std::uint16_t>(p + 4, version);
  store<std::uint16_t>(p + 6, 0);
}

inline bool has_preamble(const std::uint8_t* p, const Magic& magic,
                         std::uint16_t version) noexcept {
  return std::memcmp(p, magic, sizeof(Magic)) == 0 && load<std::uint16_t>(p + 4) == version &&
         load<std::uint16_t>(p + 6) == 0;
}

}  // namespace enlace::journal::detail
