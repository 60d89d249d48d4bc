// A replay whose journal cannot be read (docs/protocol.md 5.3, "Replay", "Ending early"):
// the fault is real, a segment file of a running broker cut short underneath it, as a
// failing disk, a full-disk repair or another process truncating it would leave it. The
// broker's reader then finds the file shorter than the records it committed; the replay
// ends with Error{storage_unavailable, request_id} naming the stream, no EndOfReplay, the
// subscription stays live, and the broker serves everyone else: other replays, durable and
// non-durable publishes, live deliveries. Counted as replays_failed.
#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "broker_process.hpp"
#include "enlace/journal/format.hpp"
#include "enlace/protocol/control.hpp"
#include "raw_client.hpp"

using namespace enlace;
using namespace enlace::test;

namespace {

constexpr const char* kDurable = R"(
[[durable]]
name = "river"
topics = ["alert.*.river.>"]

[[durable]]
name = "logs"
topics = ["alert.*.log.>"]
)";

constexpr int kStored = 50;  // messages journaled in each stream before the fault

/// A broker whose "river" journal has lost the data of its records: kStored messages
/// were journaled in each stream, then half of river's records were cut off its segment file.
struct BrokenRiver {
  ScratchDir data;
  TestCoalition coalition;
  std::optional<BrokerProcess> broker;
  std::optional<Client> publisher;
  std::filesystem::path segment;  // river's, cut short

  BrokenRiver() {
    coalition.extra = kDurable;
    coalition.add("col-cp", "COL", "command_post");
    coalition.add("ecu-cp", "ECU", "command_post");
    coalition.add("ecu-raw", "ECU", "command_post");
    broker.emplace(coalition, std::vector<std::string>{"--data-dir", data.path.string()});
    publisher.emplace(broker->options_for(coalition["col-cp"]));
    REQUIRE(publisher->wait_connected(10s).ok());
    for (int i = 0; i < kStored; ++i) {
      const std::string n = std::to_string(i);
      REQUIRE(publish_text(*publisher, "alert.COL.river." + n, "river " + n, {"ECU"}).ok());
      REQUIRE(publish_text(*publisher, "alert.COL.log." + n, "log " + n, {"ECU"}).ok());
    }
    // Acknowledged, so written (mode write): the journal holds them, and river's only
    // segment is cut short behind the broker's back.
    std::vector<std::filesystem::path> segments;
    for (const auto& entry : std::filesystem::directory_iterator(data.path / "journal" / "river"))
      if (entry.path().extension() == ".seg") segments.push_back(entry.path());
    REQUIRE(segments.size() == 1);
    segment = segments.front();
    const std::uint64_t header = journal::format::kSegmentHeaderBytes;
    const auto size = std::filesystem::file_size(segments.front());
    REQUIRE(size > header);
    std::filesystem::resize_file(segments.front(), header + (size - header) / 2);
  }
};

/// A replay subscription's deliveries, its EndOfReplay, for the test thread.
struct ReplayInbox {
  Inbox inbox;
  std::atomic<bool> ended{false};

  SubscribeOptions options() {
    SubscribeOptions o;
    o.replay_from = wire::ReplayFrom::Earliest;
    o.on_replay_end = [this](const ReplayEnd&) { ended = true; };
    return o;
  }
};

/// The errors a client reports to on_error, for the test thread.
struct Errors {
  std::mutex mutex;
  std::vector<ErrorInfo> seen;

  void install(ClientOptions& options) {
    options.on_error = [this](const ErrorInfo& e) {
      std::lock_guard lock(mutex);
      seen.push_back(e);
    };
  }
  std::optional<ErrorInfo> first(Errc code) {
    std::lock_guard lock(mutex);
    for (const ErrorInfo& e : seen)
      if (e.code == code) return e;
    return std::nullopt;
  }
};

std::string broker_log(const BrokerProcess& broker) {
  std::ifstream in(broker.directory() / "broker.log");
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

Frame replay_subscribe_frame(std::uint32_t request_id, std::string_view pattern) {
  flatbuffers::FlatBufferBuilder fbb;
  protocol::build_subscribe(
      fbb,
      {.request_id = request_id, .pattern = pattern, .replay_from = wire::ReplayFrom::Earliest});
  return with_header(wire::Command::control, {fbb.GetBufferPointer(), fbb.GetSize()});
}

}  // namespace

TEST_CASE(
    "a replay whose journal cannot be read is answered Error{storage_unavailable, request_id} "
    "naming the stream, without EndOfReplay",
    "[integration][durable][replay][faults]") {
  BrokenRiver f;
  RawClient raw(*f.broker, f.coalition["ecu-raw"]);
  REQUIRE(raw.hello());
  raw.send(replay_subscribe_frame(7, "alert.COL.river.>"));
  const auto frames = raw.until([](const Received& r) {
    return r.control_type() == wire::Control::Error ||
           r.control_type() == wire::Control::EndOfReplay;
  });
  REQUIRE(frames.size() >= 2);
  // The Subscribe is acknowledged first (the subscription takes effect at once), and the
  // replay then ends with the error, answering the same request.
  CHECK(frames.front().control_type() == wire::Control::Ack);
  CHECK(frames.front().request_id() == 7);
  const Received& error = frames.back();
  REQUIRE(error.control_type() == wire::Control::Error);
  CHECK(error.error_code() == Errc::storage_unavailable);
  CHECK(error.request_id() == 7);
  CHECK(error.message_id() == nullptr);
  CHECK(error.control()->body_as_Error()->retryable());
  CHECK_THAT(error.reason(), Catch::Contains("durable stream 'river': reading the journal failed: "
                                             "the segment file is shorter than its committed "
                                             "records"));
  // The broker's files are its own business: no path in what the client is told, the file
  // in the broker's log.
  CHECK(error.reason().find(f.data.path.string()) == std::string::npos);
  CHECK(error.reason().find(".seg") == std::string::npos);
  CHECK_THAT(broker_log(*f.broker), Catch::Contains(f.segment.string()));
  // Nothing more for that replay: every frame before the marker's Pong, none an EndOfReplay.
  const auto after = raw.until_pong();
  REQUIRE(!after.empty());
  for (const Received& r : after) CHECK(r.control_type() != wire::Control::EndOfReplay);

  // The storage is still broken: a second replay of it fails the same way, and the broker
  // has counted both.
  raw.send(replay_subscribe_frame(8, "alert.>"));
  const Received again = raw.next_error();
  CHECK(again.error_code() == Errc::storage_unavailable);
  CHECK(again.request_id() == 8);
  CHECK(f.broker->wait_metric("replays_failed", [](auto n) { return n == 2; }));
  CHECK(f.broker->wait_metric("storage_unavailable", [](auto n) { return n == 2; }));
}

TEST_CASE(
    "after a replay's journal read fails, its subscription stays live and the broker serves "
    "everyone else",
    "[integration][durable][replay][faults]") {
  BrokenRiver f;
  Errors errors;
  ClientOptions options = f.broker->options_for(f.coalition["ecu-cp"]);
  errors.install(options);
  Client subscriber(options);
  REQUIRE(subscriber.wait_connected(10s).ok());

  ReplayInbox broken;
  REQUIRE(subscriber.subscribe("alert.COL.river.>", broken.inbox.handler(), broken.options()).ok());
  REQUIRE(eventually([&] { return errors.first(Errc::storage_unavailable).has_value(); }, 20s));
  CHECK_THAT(errors.first(Errc::storage_unavailable)->reason,
             Catch::Contains("durable stream 'river'"));
  CHECK(errors.first(Errc::storage_unavailable)->reason.find(f.data.path.string()) ==
        std::string::npos);

  // The subscription is live: a river message published now arrives (its publish is stored
  // and acknowledged too: the journal writes where it left off). Deliveries and control
  // frames share one queue, so an EndOfReplay would have arrived before it.
  REQUIRE(publish_text(*f.publisher, "alert.COL.river.after", "after", {"ECU"}).ok());
  CHECK(broken.inbox.wait_for_topic("alert.COL.river.after", 20s));
  CHECK(!broken.ended.load());

  // Everyone else: the other stream replays in full, from another client of the same
  // nation, and durable and non-durable traffic flows to a live subscriber.
  Client other(f.broker->options_for(f.coalition["ecu-raw"]));
  REQUIRE(other.wait_connected(10s).ok());
  ReplayInbox logs;
  REQUIRE(other.subscribe("alert.COL.log.>", logs.inbox.handler(), logs.options()).ok());
  REQUIRE(eventually([&] { return logs.ended.load(); }, 20s));
  std::size_t replayed = 0;
  for (const Delivery& d : logs.inbox.snapshot()) replayed += d.replayed() ? 1 : 0;
  CHECK(replayed == kStored);
  Inbox live;
  REQUIRE(other.subscribe("alert.COL.plain.>", live.handler()).ok());
  REQUIRE(publish_text(*f.publisher, "alert.COL.plain.after", "not durable", {"ECU"}).ok());
  REQUIRE(publish_text(*f.publisher, "alert.COL.log.after", "durable", {"ECU"}).ok());
  CHECK(live.wait_for_topic("alert.COL.plain.after", 20s));
  CHECK(logs.inbox.wait_for_topic("alert.COL.log.after", 20s));

  CHECK(f.broker->wait_metric("replays_failed", [](auto n) { return n == 1; }));
  CHECK(f.broker->wait_metric("replays_served", [](auto n) { return n == 1; }));
  CHECK(f.broker->running());
}
