// The two clocks of the protocol: monotonic time for timers (heartbeats, rate limits, idle
// sessions), wall-clock UTC for what travels on the wire (publish and receive times).
// Both ends of a link read time only through these, so tests and benchmarks see one
// definition of each.
#pragma once

#include <chrono>
#include <cstdint>

namespace enlace::protocol {

/// Monotonic nanoseconds (CLOCK_MONOTONIC): never jumps, meaningless across processes.
inline std::int64_t monotonic_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

/// UTC nanoseconds since the Unix epoch, as the wire's *_time_ns fields carry them.
inline std::int64_t utc_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace enlace::protocol
