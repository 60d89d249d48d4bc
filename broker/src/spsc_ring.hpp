// SpscRing<T, N>: a bounded queue of N - 1 values between exactly one producer thread and
// one consumer thread, without locks (Lamport's ring: each index is written by one side
// only; release on publish, acquire on read). The broker hands journal batches over it, so
// that the routing thread never waits for the journal thread.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <optional>

namespace enlace::broker {

template <class T, std::size_t N>
class SpscRing {
  static_assert(N >= 2, "a ring of N slots holds N - 1 values");

 public:
  /// Producer: false when full (the value stays with the caller).
  bool push(T value) noexcept {
    const std::size_t head = head_.load(std::memory_order_relaxed);
    const std::size_t next = (head + 1) % N;
    if (next == tail_.load(std::memory_order_acquire)) return false;
    slots_[head] = std::move(value);
    head_.store(next, std::memory_order_release);
    return true;
  }

  /// Consumer: the oldest value, or nothing when empty.
  std::optional<T> pop() noexcept {
    const std::size_t tail = tail_.load(std::memory_order_relaxed);
    if (tail == head_.load(std::memory_order_acquire)) return std::nullopt;
    std::optional<T> value(std::move(slots_[tail]));
    tail_.store((tail + 1) % N, std::memory_order_release);
    return value;
  }

 private:
  std::array<T, N> slots_{};
  alignas(64) std::atomic<std::size_t> head_{0};  // next slot the producer fills
  alignas(64) std::atomic<std::size_t> tail_{0};  // next slot the consumer empties
};

}  // namespace enlace::broker
