// When a session's refusals amount to a flood worth ending (broker/src/flood_guard.hpp),
// driven with made-up times: no clock, no sleeping.
#include <catch2/catch.hpp>

#include "flood_guard.hpp"

using enlace::broker::CoolDowns;
using enlace::broker::FloodGuard;

namespace {

constexpr std::int64_t kSecond = 1'000'000'000;
constexpr std::int64_t kWindow = FloodGuard::kWindowNs;
constexpr std::int64_t kStart = 5 * kSecond;
constexpr int kFlood = 5 * static_cast<int>(FloodGuard::kMinRefusals);  // refusals a window

/// Feeds `windows` whole windows of `refused` refusals and `accepted` accepted publishes
/// each, spread evenly, starting at `from`; returns the time after them.
std::int64_t feed(FloodGuard& guard, std::int64_t from, int windows, int refused, int accepted) {
  const int per_window = refused + accepted;
  for (int w = 0; w < windows; ++w) {
    for (int i = 0; i < per_window; ++i) {
      const std::int64_t at = from + w * kWindow + kWindow * i / per_window;
      if (i < refused) {
        guard.refused(at);
      } else {
        guard.accepted(at);
      }
    }
  }
  return from + windows * kWindow;
}

}  // namespace

TEST_CASE("one second of refusals above the threshold trips the guard", "[flood]") {
  STATIC_REQUIRE(FloodGuard::kFloodNs == kSecond);
  FloodGuard guard;
  std::int64_t t = feed(guard, kStart, FloodGuard::kFloodWindows, kFlood, 10);
  CHECK_FALSE(guard.tripped());  // the last window ends with the next frame
  guard.refused(t);
  CHECK(guard.tripped());
}

TEST_CASE("flooding windows fewer than the run are not enough", "[flood]") {
  FloodGuard guard;
  const std::int64_t t = feed(guard, kStart, FloodGuard::kFloodWindows - 1, kFlood, 10);
  guard.refused(t);
  CHECK_FALSE(guard.tripped());
}

TEST_CASE("refusals below the threshold never trip the guard", "[flood]") {
  FloodGuard guard;
  const int below = static_cast<int>(FloodGuard::kMinRefusals) - 1;
  const std::int64_t t = feed(guard, kStart, 120, below, 0);
  guard.refused(t);
  CHECK_FALSE(guard.tripped());
}

TEST_CASE("a session served as much as it is refused is not flooding", "[flood]") {
  FloodGuard guard;
  const std::int64_t t = feed(guard, kStart, 120, kFlood, kFlood);
  guard.accepted(t);
  CHECK_FALSE(guard.tripped());
}

TEST_CASE("a quiet window breaks a run of flooding windows", "[flood]") {
  FloodGuard guard;
  const int almost = FloodGuard::kFloodWindows - 1;
  std::int64_t t = feed(guard, kStart, almost, kFlood, 0);
  t += kWindow;  // nothing at all for a window
  t = feed(guard, t, almost, kFlood, 0);
  guard.refused(t);
  CHECK_FALSE(guard.tripped());
  t = feed(guard, t, 1, kFlood, 0);
  guard.refused(t);
  CHECK(guard.tripped());
}

TEST_CASE("a window mostly served breaks a run of flooding windows", "[flood]") {
  FloodGuard guard;
  const int almost = FloodGuard::kFloodWindows - 1;
  std::int64_t t = feed(guard, kStart, almost, kFlood, 0);
  t = feed(guard, t, 1, kFlood / 2, kFlood);
  t = feed(guard, t, almost, kFlood, 0);
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
