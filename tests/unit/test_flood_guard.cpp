// When a session's refusals amount to a flood worth ending (broker/src/flood_guard.hpp),
// driven with made-up times: no clock, no sleeping.
#include <catch2/catch.hpp>

#include "flood_guard.hpp"

using enlace::broker::CoolDowns;
using enlace::broker::FloodGuard;

namespace {

constexpr std::int64_t kSecond = 1'000'000'000;
constexpr std::int64_t kStart = 5 * kSecond;

/// Feeds `seconds` whole seconds of `refused` refusals and `accepted` accepted publishes a
/// second, spread evenly, starting at `from`; returns the time after them.
std::int64_t feed(FloodGuard& guard, std::int64_t from, int seconds, int refused, int accepted) {
  const int per_second = refused + accepted;
  for (int s = 0; s < seconds; ++s) {
    for (int i = 0; i < per_second; ++i) {
      const std::int64_t at = from + s * kSecond + kSecond * i / per_second;
      if (i % per_second < refused) {
        guard.refused(at);
      } else {
        guard.accepted(at);
      }
    }
  }
  return from + seconds * kSecond;
}

}  // namespace

TEST_CASE("three whole seconds of refusals above the threshold trip the guard", "[flood]") {
  FloodGuard guard;
  std::int64_t t = feed(guard, kStart, 3, 5000, 10);
  CHECK_FALSE(guard.tripped());  // the third window ends with the next frame
  guard.refused(t);
  CHECK(guard.tripped());
}

TEST_CASE("two flooding seconds are not enough", "[flood]") {
  FloodGuard guard;
  const std::int64_t t = feed(guard, kStart, 2, 5000, 10);
  guard.refused(t);
  CHECK_FALSE(guard.tripped());
}

TEST_CASE("refusals below the threshold never trip the guard", "[flood]") {
  FloodGuard guard;
  const int below = static_cast<int>(FloodGuard::kMinRefusals) - 1;
  const std::int64_t t = feed(guard, kStart, 30, below, 0);
  guard.refused(t);
  CHECK_FALSE(guard.tripped());
}

TEST_CASE("a session served as much as it is refused is not flooding", "[flood]") {
  FloodGuard guard;
  const std::int64_t t = feed(guard, kStart, 30, 3000, 3000);
  guard.accepted(t);
  CHECK_FALSE(guard.tripped());
}

TEST_CASE("a quiet second breaks a run of flooding seconds", "[flood]") {
  FloodGuard guard;
  std::int64_t t = feed(guard, kStart, 2, 5000, 0);
  t += kSecond;  // nothing at all for a second
  t = feed(guard, t, 2, 5000, 0);
  guard.refused(t);
  CHECK_FALSE(guard.tripped());
  t = feed(guard, t, 1, 5000, 0);
  guard.refused(t);
  CHECK(guard.tripped());
}

TEST_CASE("a second mostly served breaks a run of flooding seconds", "[flood]") {
  FloodGuard guard;
  std::int64_t t = feed(guard, kStart, 2, 5000, 0);
  t = feed(guard, t, 1, 2000, 2500);
  t = feed(guard, t, 2, 5000, 0);
  guard.refused(t);
  CHECK_FALSE(guard.tripped());
}

TEST_CASE("a cool-down lasts its time, then is forgotten", "[flood]") {
  CoolDowns cool_downs;
  CHECK(cool_downs.find("col-radar", kStart) == nullptr);
  cool_downs.start("col-radar", kStart);
  REQUIRE(cool_downs.find("col-radar", kStart + kSecond) != nullptr);
  CHECK(cool_downs.find("col-radar", kStart + kSecond)->until_ns ==
        kStart + CoolDowns::kCoolDownNs);
  CHECK(cool_downs.find("ecu-cp", kStart + kSecond) == nullptr);
  CHECK(cool_downs.find("col-radar", kStart + CoolDowns::kCoolDownNs) == nullptr);
  CHECK(cool_downs.find("col-radar", kStart + kSecond) == nullptr);  // gone for good
}

TEST_CASE("a cut-off system's frames are answered at most once a second", "[flood]") {
  CoolDowns cool_downs;
  cool_downs.start("col-radar", kStart);
  CoolDowns::Entry* entry = cool_downs.find("col-radar", kStart);
  REQUIRE(entry != nullptr);
  int answered = 0;
  for (int i = 0; i < 1000; ++i) answered += entry->answers.take(kStart + i * 1000) ? 1 : 0;
  CHECK(answered == 3);  // the burst
  CHECK(entry->answers.take(kStart + kSecond + 1000));
  CHECK_FALSE(entry->answers.take(kStart + kSecond + 2000));
}
