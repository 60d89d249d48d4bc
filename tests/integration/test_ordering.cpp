// One publisher's messages reach a subscriber in the order it published them, whether the
// publishing thread sent them itself (low rate) or they were queued and batched by the
// client's I/O thread (bursts), and whatever mix of the two a burst produces.
#include <catch2/catch.hpp>

#include <string>

#include "broker_process.hpp"

using namespace enlace;
using namespace enlace::test;

TEST_CASE("a publisher's messages arrive complete and in order across direct and batched sends",
          "[integration][ordering]") {
  TestCoalition coalition;
  const auto& publisher = coalition.add("col-cp", "COL", "command_post");
  const auto& subscriber = coalition.add("ecu-cp", "ECU", "command_post");
  BrokerProcess broker(coalition);

  auto options = broker.options_for(publisher);
  options.send_queue_bytes = 64 * 1024;  // small: the burst also meets a full queue
  options.send_queue_wait = std::chrono::seconds(30);
  Client pub(options);
  Client sub(broker.options_for(subscriber));
  REQUIRE(pub.wait_connected(10s).ok());
  REQUIRE(sub.wait_connected(10s).ok());
  Inbox inbox;
  REQUIRE(sub.subscribe("text.COL.sequence", inbox.handler()).ok());

  // Bursts far beyond the direct-send budget, then a few spaced messages; every message is
  // labelled for ECU so the subscriber may receive all of them. Each burst waits for the
  // subscriber to catch up, so that no delivery is dropped for a slow consumer (the
  // broker's policy under overload) however slow the machine.
  constexpr int kBursts = 15, kBurst = 200, kSpaced = 5, kTotal = kBursts * kBurst + kSpaced;
  PublishOptions releasable;
  releasable.label.releasable_to = {"ECU"};
  const auto publish_number = [&](int n) {
    const std::string body = std::to_string(n);
    return pub.publish(
        "text.COL.sequence",
        [&](flatbuffers::FlatBufferBuilder& fbb) {
          return wire::CreateTextDirect(fbb, body.c_str());
        },
        releasable);
  };
  const auto received = [&](std::size_t count) {
    return inbox.wait_until([&](const auto& got) { return got.size() >= count; }, 60s);
  };
  int next = 0;
  for (int burst = 0; burst < kBursts; ++burst) {
    for (int i = 0; i < kBurst; ++i) REQUIRE(publish_number(next++).ok());
    REQUIRE(received(static_cast<std::size_t>(next)));
  }
  for (int i = 0; i < kSpaced; ++i) {
    REQUIRE(publish_number(next++).ok());
    REQUIRE(received(static_cast<std::size_t>(next)));
  }

  const auto got = inbox.snapshot();
  REQUIRE(got.size() == kTotal);
  std::uint64_t previous_sequence = 0;
  for (int n = 0; n < kTotal; ++n) {
    const auto* text = got[static_cast<std::size_t>(n)].as<wire::Text>();
    REQUIRE(text != nullptr);
    REQUIRE(text->body()->string_view() == std::to_string(n));
    CHECK(got[static_cast<std::size_t>(n)].sequence() > previous_sequence);
    previous_sequence = got[static_cast<std::size_t>(n)].sequence();
  }
  CHECK(pub.stats().published == kTotal);
}
