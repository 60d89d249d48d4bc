// The lock-free ring the routing and journal threads hand batches over (spsc_ring.hpp).
#include <catch2/catch.hpp>

#include <thread>

#include "spsc_ring.hpp"

using enlace::broker::SpscRing;

TEST_CASE("a ring of N slots holds N - 1 values, first in first out", "[unit][journal]") {
  SpscRing<int, 4> ring;
  CHECK_FALSE(ring.pop());
  CHECK(ring.push(1));
  CHECK(ring.push(2));
  CHECK(ring.push(3));
  CHECK_FALSE(ring.push(4));  // full
  CHECK(ring.pop() == 1);
  CHECK(ring.push(4));  // wraps around
  CHECK(ring.pop() == 2);
  CHECK(ring.pop() == 3);
  CHECK(ring.pop() == 4);
  CHECK_FALSE(ring.pop());
}

TEST_CASE("a producer and a consumer thread pass a million values in order", "[unit][journal]") {
  SpscRing<std::uint64_t, 8> ring;
  constexpr std::uint64_t kCount = 1'000'000;
  std::thread producer([&] {
    for (std::uint64_t i = 1; i <= kCount;) {
      if (ring.push(i)) ++i;
    }
  });
  std::uint64_t expected = 1;
  bool in_order = true;
  while (expected <= kCount) {
    if (auto value = ring.pop()) {
      in_order = in_order && *value == expected;
      ++expected;
    }
  }
  producer.join();
  CHECK(in_order);
}
