// Unpredictable numbers, from libsodium's generator (the operating system's CSPRNG).
// Thread-safe.
#pragma once

#include <cstdint>

namespace enlace::protocol {

/// A uniformly random 64-bit value, for tokens a peer must not be able to guess.
std::uint64_t random_u64() noexcept;

}  // namespace enlace::protocol
