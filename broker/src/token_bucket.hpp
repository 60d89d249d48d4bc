// A token bucket: `rate` tokens per second, holding at most `burst`. Used for per-system
// publish rates and for limiting how many Error frames one peer can make the broker send.
#pragma once

#include <algorithm>
#include <cstdint>

namespace enlace::broker {

class TokenBucket {
 public:
  TokenBucket() = default;
  /// rate <= 0 means unlimited.
  TokenBucket(double rate, double burst) noexcept : rate_(rate), burst_(burst), tokens_(burst) {}

  /// Takes one token if available at time `now_ns` (monotonic nanoseconds).
  bool take(std::int64_t now_ns) noexcept {
    if (rate_ <= 0) return true;
    if (last_ns_ != 0) {
      tokens_ = std::min(burst_, tokens_ + rate_ * static_cast<double>(now_ns - last_ns_) * 1e-9);
    }
    last_ns_ = now_ns;
    if (tokens_ < 1.0) return false;
    tokens_ -= 1.0;
    return true;
  }

 private:
  double rate_ = 0;
  double burst_ = 0;
  double tokens_ = 0;
  std::int64_t last_ns_ = 0;
};

}  // namespace enlace::broker
