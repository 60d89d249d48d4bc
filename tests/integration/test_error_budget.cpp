// Which Error frames are rate limited (docs/protocol.md 8.2): unsolicited refusals only,
// from a budget that belongs to the connection. Answers to requests always go out: every
// Subscribe and every acked publish gets exactly one answer.
#include <catch2/catch.hpp>

#include <atomic>
#include <map>
#include <mutex>

#include "broker_process.hpp"
#include "raw_client.hpp"

using namespace enlace;
using namespace enlace::test;

namespace {

const Frame kMalformed = {0x01};  // shorter than the header: malformed_frame, unsolicited

// The documented budget: 20 per second, bursts of 50.
constexpr double kErrorsPerSecond = 20;
constexpr double kErrorBurst = 50;

std::pair<std::uint64_t, std::uint64_t> key_of(const wire::Uuid& id) {
  return {id.hi(), id.lo()};
}

}  // namespace

TEST_CASE("the error budget belongs to the connection: a new Hello does not renew it",
          "[integration][error-budget]") {
  TestCoalition coalition;
  const auto& raw_system = coalition.add("col-raw", "COL", "command_post");
  BrokerProcess broker(coalition);
  RawClient raw(broker, raw_system);
  std::size_t errors = 0;
  raw.observer = [&](const Received& r) {
    if (r.error_code() == Errc::malformed_frame) ++errors;
  };

  const auto start = std::chrono::steady_clock::now();
  constexpr int kRounds = 20;
  for (int round = 0; round < kRounds; ++round) {
    REQUIRE(raw.hello());
    for (int i = 0; i < 100; ++i) raw.send(kMalformed);
    REQUIRE(raw.marker(round));  // every answer to what came before has arrived
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  // What one budget allows in that time, however many Hellos: before, each Hello bought
  // a fresh burst (about kRounds * 50).
  const double allowed = kErrorBurst + kErrorsPerSecond * seconds + 1;
  INFO(errors << " errors answered in " << seconds << " s; the budget allows " << allowed);
  CHECK(errors >= 1);
  CHECK(static_cast<double>(errors) <= allowed);
  REQUIRE(broker.wait_metric("malformed_frame", [](auto n) { return n == kRounds * 100; }));
}

TEST_CASE("Subscribe is answered even when the connection's error budget is spent",
          "[integration][error-budget]") {
  TestCoalition coalition;
  const auto& raw_system = coalition.add("col-raw", "COL", "command_post");
  BrokerProcess broker(coalition);
  RawClient raw(broker, raw_system);
  REQUIRE(raw.hello());
  for (int i = 0; i < 300; ++i) raw.send(kMalformed);
  REQUIRE(raw.marker(1));
  REQUIRE(broker.wait_metric("errors_suppressed", [](auto n) { return n > 0; }));

  // Allowed and refused subscriptions, pipelined: each gets exactly one answer.
  std::map<std::uint32_t, Errc> expected;
  for (std::uint32_t id = 1; id <= 100; ++id) {
    const bool allowed = id % 2 == 1;
    raw.send(subscribe_frame(id, allowed ? "text.COL.s" + std::to_string(id) : "biometric.>"));
    expected[id] = allowed ? Errc::ok : Errc::subscribe_denied;
  }
  std::map<std::uint32_t, Errc> answered;
  std::size_t answers = 0;
  REQUIRE(raw.marker(2, [&](const Received& r) {
    if (r.request_id() == 0) return;
    ++answers;
    answered[r.request_id()] = r.error_code();
  }));
  CHECK(answers == 100);
  CHECK(answered == expected);
}

TEST_CASE("an SDK client that used up its error budget still gets the answer to subscribe()",
          "[integration][error-budget]") {
  TestCoalition coalition;
  const auto& cp = coalition.add("col-cp", "COL", "command_post");
  BrokerProcess broker(coalition);
  std::atomic<int> refusals{0};
  auto options = broker.options_for(cp);
  options.on_error = [&](const ErrorInfo& e) {
    if (e.code == Errc::publish_denied) ++refusals;
  };
  Client client(options);
  REQUIRE(client.wait_connected(10s).ok());
  // Publishes without acknowledgement that the role may not make: unsolicited refusals.
  for (int i = 0; i < 200; ++i) {
    REQUIRE(client
                .publish("track.COL.not-mine",
                         [](flatbuffers::FlatBufferBuilder& fbb) {
                           return wire::CreateTextDirect(fbb, "x");
                         })
                .ok());
  }
  REQUIRE(client.flush(10s).ok());
  REQUIRE(broker.wait_metric("errors_suppressed", [](auto n) { return n > 0; }));
  // Spent again right before the request (the wait above let it refill a little).
  for (int i = 0; i < 100; ++i) {
    REQUIRE(client
                .publish("track.COL.not-mine",
                         [](flatbuffers::FlatBufferBuilder& fbb) {
                           return wire::CreateTextDirect(fbb, "x");
                         })
                .ok());
  }
  REQUIRE(client.flush(10s).ok());

  const auto refused = client.subscribe("biometric.>", [](const Delivery&) {});
  CHECK(refused.code() == Errc::subscribe_denied);
  const auto accepted = client.subscribe("text.>", [](const Delivery&) {});
  CHECK(accepted.ok());
  CHECK(refusals.load() <= kErrorBurst + 40);
}

TEST_CASE("every acked publish gets exactly one answer, in a flood too",
          "[integration][error-budget]") {
  TestCoalition coalition;
  const auto& raw_system = coalition.add("col-raw", "COL", "command_post");
  BrokerProcess broker(coalition);
  RawClient raw(broker, raw_system);
  REQUIRE(raw.hello());

  // 600 acked publishes, half refused (a topic the role may not publish on), in batches.
  std::map<std::pair<std::uint64_t, std::uint64_t>, Errc> expected;
  std::vector<Frame> batch;
  for (int i = 0; i < 600; ++i) {
    const bool allowed = i % 2 == 0;
    wire::Uuid id;
    batch.push_back(publish_frame(raw_system,
                                  (allowed ? "text.COL.f" : "track.COL.f") + std::to_string(i),
                                  wire::flag::ack_requested, 10, &id));
    expected[key_of(id)] = allowed ? Errc::ok : Errc::publish_denied;
    if (batch.size() == 50) {
      raw.send(batch_frame(batch));
      batch.clear();
    }
  }
  std::map<std::pair<std::uint64_t, std::uint64_t>, Errc> answered;
  std::size_t answers = 0;
  REQUIRE(raw.marker(1, [&](const Received& r) {
    const wire::Uuid* id = r.message_id();
    if (id == nullptr) return;
    ++answers;
    answered[key_of(*id)] = r.error_code();
  }));
  CHECK(answers == 600);
  CHECK(answered == expected);
}
