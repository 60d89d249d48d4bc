// Subscribing and unsubscribing cost O(pattern length), however many subscriptions a
// session holds: 100,000 of them are a matter of seconds, not minutes.
#include <catch2/catch.hpp>

#include <cstdio>
#include <set>

#include "broker_process.hpp"
#include "enlace/protocol/control.hpp"
#include "raw_client.hpp"

using namespace enlace;
using namespace enlace::test;

namespace {

std::string pattern_of(std::uint32_t n) {
  // Distinct patterns, literal and wildcard, spread over a few levels of the trie.
  const std::string tail = std::to_string(n);
  switch (n % 4) {
    case 0:
      return "text.COL.scale." + tail;
    case 1:
      return "alert.*.scale." + tail;
    case 2:
      return "text.COL.s" + std::to_string(n % 97) + "." + tail + ".>";
    default:
      return "spot.*." + tail + ".*";
  }
}

// Sends one request per pattern, 200 to a batch frame, reading answers as they come;
// returns when `count` answers with ids 1..count arrived (each once), or false on timeout.
bool pipeline(RawClient& raw, std::uint32_t count,
              const std::function<Frame(std::uint32_t)>& request,
              std::chrono::steady_clock::time_point deadline, std::set<std::uint32_t>& answered) {
  std::vector<Frame> batch;
  const auto seen = [&](const Received& r) {
    if (r.control_type() == wire::Control::Ack && r.request_id() != 0)
      answered.insert(r.request_id());
  };
  for (std::uint32_t id = 1; id <= count; ++id) {
    batch.push_back(request(id));
    if (batch.size() == 200 || id == count) {
      raw.send(batch_frame(batch));
      batch.clear();
      raw.read_available(seen);
    }
  }
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return answered.size() == count || raw.read_until(
                                         [&](const Received& r) {
                                           seen(r);
                                           return answered.size() == count;
                                         },
                                         std::max(left, std::chrono::milliseconds(1)));
}

}  // namespace

TEST_CASE("one session subscribes to 100,000 patterns, and leaves them, in linear time",
          "[integration][scale]") {
  constexpr std::uint32_t kPatterns = 100'000;
  TestCoalition coalition;
  coalition.edits.emplace_back("max_subscriptions = 64", "max_subscriptions = 100000");
  const auto& raw_system = coalition.add("col-raw", "COL", "command_post");
  BrokerProcess broker(coalition);
  RawClient raw(broker, raw_system);
  REQUIRE(raw.hello());

  // Generous: the linear work takes under a second in a release build and a few seconds
  // in a Debug build with sanitizers; the quadratic kind took 47 s in a release build.
  const auto start = std::chrono::steady_clock::now();
  std::set<std::uint32_t> acked;
  REQUIRE(pipeline(
      raw, kPatterns, [](std::uint32_t id) { return subscribe_frame(id, pattern_of(id)); },
      start + 30s, acked));
  const double subscribe_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("subscribing to %u patterns took %.2f s\n", kPatterns, subscribe_s);
  CHECK(acked.size() == kPatterns);

  // The limit still holds, and subscribing again to a held pattern changes nothing.
  raw.send(subscribe_frame(kPatterns + 1, "text.COL.one-too-many"));
  raw.send(subscribe_frame(kPatterns + 2, pattern_of(17)));
  Errc over = Errc::ok, again = Errc::internal_error;
  REQUIRE(raw.marker(1, [&](const Received& r) {
    if (r.request_id() == kPatterns + 1) over = r.error_code();
    if (r.request_id() == kPatterns + 2) again = r.error_code();
  }));
  CHECK(over == Errc::too_many_subscriptions);
  CHECK(again == Errc::ok);
  CHECK(broker.wait_metric("subscriptions", [](auto n) { return n == kPatterns; }));

  // A message still finds its one subscription among them.
  Client publisher(broker.options_for(raw_system));
  REQUIRE(publisher.wait_connected(10s).ok());
  REQUIRE(publish_text(publisher, "text.COL.scale.40000", "found").ok());
  CHECK(raw.read_until([](const Received& r) { return r.topic() == "text.COL.scale.40000"; }));

  const auto unsubscribe_start = std::chrono::steady_clock::now();
  std::set<std::uint32_t> removed;
  REQUIRE(pipeline(
      raw, kPatterns,
      [](std::uint32_t id) {
        flatbuffers::FlatBufferBuilder fbb;
        protocol::build_unsubscribe(fbb, id, pattern_of(id));
        return with_header(wire::Command::control, {fbb.GetBufferPointer(), fbb.GetSize()});
      },
      unsubscribe_start + 30s, removed));
  std::printf(
      "unsubscribing from them took %.2f s\n",
      std::chrono::duration<double>(std::chrono::steady_clock::now() - unsubscribe_start).count());
  CHECK(removed.size() == kPatterns);
  CHECK(broker.wait_metric("subscriptions", [](auto n) { return n == 0; }));
}
