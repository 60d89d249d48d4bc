// The ingest-to-send latency of published messages, measured inside the broker: from the
// moment the routing thread read a publish frame off the ROUTER socket to the end of the
// loop pass that handed the message's deliveries to ZeroMQ (or put them in a subscriber's
// queue, when ZeroMQ's pipe to it was full: time spent in that queue is not counted).
//
// Routing thread only. Costs one array store per inbound publish frame (a batch's messages
// share their frame's arrival time) and, per loop pass, one clock read and a bucket search
// per frame: no allocation, no lock. The HTTP thread reads a copy (status_snapshot.hpp).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace enlace::broker {

/// A Prometheus-style histogram with fixed bucket bounds, in nanoseconds.
struct LatencyHistogram {
  /// Upper bounds (inclusive) of the buckets; a last, implicit one is +Inf.
  static constexpr std::array<std::int64_t, 16> kBoundsNs = {
      10'000,      25'000,      50'000,      100'000,      250'000,    500'000,
      1'000'000,   2'500'000,   5'000'000,   10'000'000,   25'000'000, 50'000'000,
      100'000'000, 250'000'000, 500'000'000, 1'000'000'000};

  std::array<std::uint64_t, kBoundsNs.size() + 1> buckets{};  // not cumulative; last: +Inf
  std::uint64_t count = 0;
  std::uint64_t sum_ns = 0;

  void observe(std::int64_t ns, std::uint64_t times) noexcept {
    if (ns < 0) ns = 0;
    std::size_t i = 0;
    while (i < kBoundsNs.size() && ns > kBoundsNs[i]) ++i;
    buckets[i] += times;
    count += times;
    sum_ns += static_cast<std::uint64_t>(ns) * times;
  }
};

/// The arrival times of the publish frames read in the current loop pass, each with the
/// number of messages it carried, until the pass ends (Broker::flush_connections).
class PassArrivals {
 public:
  void note(std::int64_t arrival_ns) noexcept {
    if (size_ > 0 && entries_[size_ - 1].arrival_ns == arrival_ns) {
      ++entries_[size_ - 1].messages;
    } else if (size_ < entries_.size()) {
      entries_[size_++] = {arrival_ns, 1};
    } else {
      // Full: counted with the last frame kept, which arrived earlier, so the figure errs
      // on the long side.
      ++entries_[size_ - 1].messages;
    }
  }
  bool empty() const noexcept { return size_ == 0; }
  /// Observes every message noted as sent at `now_ns`, and forgets them.
  void flush_into(LatencyHistogram& histogram, std::int64_t now_ns) noexcept {
    for (std::size_t i = 0; i < size_; ++i)
      histogram.observe(now_ns - entries_[i].arrival_ns, entries_[i].messages);
    size_ = 0;
  }

 private:
  struct Entry {
    std::int64_t arrival_ns = 0;
    std::uint64_t messages = 0;
  };
  std::array<Entry, 256> entries_{};
  std::size_t size_ = 0;
};

}  // namespace enlace::broker
