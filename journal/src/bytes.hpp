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

}  // namespace enlace::journal::detail
