#include "enlace/protocol/random.hpp"

#include <sodium.h>

#include <cstdlib>

namespace enlace::protocol {

std::uint64_t random_u64() noexcept {
  // sodium_init() is idempotent and thread-safe; it fails only when the OS has no
  // randomness to give, and a token then cannot be made safely at all.
  static const bool ready = sodium_init() >= 0;
  if (!ready) std::abort();
  std::uint64_t value;
  randombytes_buf(&value, sizeof(value));
  return value;
}

}  // namespace enlace::protocol
