// A latency histogram with logarithmic buckets: eight buckets per power of two from 1 us
// to about 17 s, so recording a sample is an index computation and an increment, with no
// allocation, and every quantile is read with at most 9% relative error.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>

namespace enlace::bench {

class LogHistogram {
 public:
  static constexpr int kBucketsPerOctave = 8;
  static constexpr int kOctaves = 24;  // 1 us .. 2^24 us (about 17 s)

  void record(double microseconds) noexcept {
    ++count_;
    if (microseconds > max_) max_ = microseconds;
    const double clamped = microseconds < 1.0 ? 1.0 : microseconds;
    int index = static_cast<int>(std::log2(clamped) * kBucketsPerOctave);
    if (index >= static_cast<int>(buckets_.size())) index = static_cast<int>(buckets_.size()) - 1;
    ++buckets_[static_cast<std::size_t>(index)];
  }

  /// The value below which a fraction q of the samples lie (upper edge of its bucket).
  double quantile(double q) const noexcept {
    if (count_ == 0) return 0;
    const auto target = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_)));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < buckets_.size(); ++i) {
      seen += buckets_[i];
      if (seen >= target && seen > 0) {
        const double upper = std::exp2(static_cast<double>(i + 1) / kBucketsPerOctave);
        return upper < max_ ? upper : max_;
      }
    }
    return max_;
  }

  std::uint64_t count() const noexcept { return count_; }
  double max() const noexcept { return max_; }

 private:
  std::array<std::uint64_t, kBucketsPerOctave * kOctaves> buckets_{};
  std::uint64_t count_ = 0;
  double max_ = 0;
};

}  // namespace enlace::bench
