// Cutting off sustained abusers (docs/protocol.md 8.2). Refusing is cheap, but not free: a
// client that keeps sending what the broker refuses (a rate-limited flood, a stream of
// denied or malformed frames) still costs decryption and a little routing-thread time per
// frame, and other clients' latency pays for it. So the broker watches each session's
// refusals quarter-second by quarter-second; a session that has been refused more than it
// was served, at a rate worth stopping, for kFloodWindows whole windows in a row (one
// second) is closed with Error{rate_limited}, its connection is shut, and its system may
// not connect again for kCoolDownNs.
//
// Both classes run on the routing thread only, and take the time as an argument
// (monotonic nanoseconds), so tests drive them without a clock.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "string_hash.hpp"
#include "token_bucket.hpp"

namespace enlace::broker {

/// One session's refusals, judged per quarter-second window. Two increments and a
/// comparison per frame; no allocation.
class FloodGuard {
 public:
  static constexpr std::int64_t kWindowNs = 250'000'000;
  /// A window floods when it holds at least this many refusals (1,000 a second), and more
  /// refusals than accepted publishes. Below it, refusing costs the broker too little to
  /// act on (a client slightly over its rate, or with a bug, is refused and stays
  /// connected).
  static constexpr std::uint32_t kMinRefusals = 250;
  /// Consecutive flooding windows after which the session is cut off: one second. Short,
  /// because every flooding window costs the other clients latency; long enough that a
  /// client that backs off at its first rate_limited answer is never cut off.
  static constexpr int kFloodWindows = 4;
  static constexpr std::int64_t kFloodNs = kFloodWindows * kWindowNs;

  void accepted(std::int64_t now_ns) noexcept {
    roll(now_ns);
    ++accepted_;
  }
  void refused(std::int64_t now_ns) noexcept {
    roll(now_ns);
    ++refused_;
  }
  /// Whether the session has flooded for kFloodWindows whole windows: close it.
  bool tripped() const noexcept { return flooding_windows_ >= kFloodWindows; }

 private:
  void roll(std::int64_t now_ns) noexcept {
    if (start_ns_ == 0) start_ns_ = now_ns;
    if (now_ns - start_ns_ < kWindowNs) return;
    const bool flooding = refused_ >= kMinRefusals && refused_ > accepted_;
    // A window that began two or more windows ago was followed by a quiet one: the run of
    // flooding windows is broken.
    const bool adjacent = now_ns - start_ns_ < 2 * kWindowNs;
    flooding_windows_ = flooding && adjacent ? flooding_windows_ + 1 : 0;
    start_ns_ = now_ns;
    accepted_ = refused_ = 0;
  }

  std::int64_t start_ns_ = 0;  // start of the current window
  std::uint32_t accepted_ = 0;
  std::uint32_t refused_ = 0;
  int flooding_windows_ = 0;
};

/// Systems whose session was cut off, until their cool-down ends. Holds at most one entry
/// per system of the policy; expired entries go when next looked at.
class CoolDowns {
 public:
  static constexpr std::int64_t kCoolDownNs = 30'000'000'000;

  struct Entry {
    std::int64_t until_ns = 0;
    /// Answers to the system's frames during the cool-down: a flooder that ignores the
    /// cut-off gets at most one a second, counted all the same.
    TokenBucket answers{1, 3};
  };

  void start(const std::string& system_id, std::int64_t now_ns) {
    systems_[system_id] = Entry{now_ns + kCoolDownNs, TokenBucket{1, 3}};
  }

  /// The system's entry while its cool-down lasts, else nullptr. Free when nobody was cut
  /// off (the usual case): one emptiness test.
  Entry* find(std::string_view system_id, std::int64_t now_ns) {
    if (systems_.empty()) return nullptr;
    const auto it = systems_.find(system_id);
    if (it == systems_.end()) return nullptr;
    if (now_ns < it->second.until_ns) return &it->second;
    systems_.erase(it);
    return nullptr;
  }

 private:
  StringMap<Entry> systems_;
};

}  // namespace enlace::broker
