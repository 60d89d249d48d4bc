// Monotonic time for the broker's timers (rate limits, idle sessions, metrics). Wall-clock
// UTC for the wire comes from enlace::now_ns() (envelope_builder.hpp).
#pragma once

#include <chrono>
#include <cstdint>

#include "enlace/envelope_builder.hpp"  // enlace::now_ns

namespace enlace::broker {

inline std::int64_t monotonic_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace enlace::broker
