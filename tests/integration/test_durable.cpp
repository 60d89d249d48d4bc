// Durable streams (docs/policy.md `[[durable]]`, docs/protocol.md 6.2) over real CURVE
// connections and real files: a publish on a durable topic is acknowledged once its journal
// stored it, what was acknowledged is in the journal after kill -9, sequences continue
// above it after a restart, and a storage failure is answered storage_unavailable while
// other traffic flows. What the journal holds is read back with the journal library itself.
#include <stdlib.h>
#include <catch2/catch.hpp>

#include <cstring>
#include <fstream>
#include <iterator>
#include <set>
#include <vector>

#include "broker_process.hpp"
#include "enlace/journal/journal.hpp"

using namespace enlace;
using namespace enlace::test;

namespace {

constexpr const char* kDurable = R"(
[[durable]]
name = "log"
topics = ["text.*.log.>"]
)";

using Id = std::pair<std::uint64_t, std::uint64_t>;
Id id_of(const wire::Uuid& id) {
  return {id.hi(), id.lo()};
}

/// Message ids and sequences of what the stream's journal holds, in order.
std::vector<std::pair<Id, std::uint64_t>> journaled(const std::filesystem::path& data,
                                                    const std::string& stream) {
  auto opened = journal::Journal::open(data / "journal" / stream);
  REQUIRE(opened.ok());
  journal::Cursor cursor = (*opened)->cursor();
  std::vector<std::uint8_t> buffer(1 << 20);
  std::vector<std::pair<Id, std::uint64_t>> out;
  while (true) {
    auto records = cursor.read(buffer, 1000);
    REQUIRE(records.ok());
    if (records->empty()) break;
    for (const journal::Record& r : *records) {
      // Records are packed: an envelope may start at any byte, so it is read from a copy.
      std::vector<std::uint64_t> aligned((r.envelope.size() + 7) / 8);
      std::memcpy(aligned.data(), r.envelope.data(), r.envelope.size());
      out.emplace_back(id_of(*wire::GetEnvelope(aligned.data())->id()), r.sequence);
    }
  }
  return out;
}

}  // namespace

TEST_CASE("durable publishes are acknowledged once stored, and survive kill -9 of the broker",
          "[integration][durable]") {
  ScratchDir data;
  TestCoalition coalition;
  coalition.extra = kDurable;
  coalition.add("col-cp", "COL", "command_post");
  coalition.add("ecu-cp", "ECU", "command_post");
  BrokerProcess broker(coalition, {"--data-dir", data.path.string()});
  Client publisher(broker.options_for(coalition["col-cp"]));
  Client subscriber(broker.options_for(coalition["ecu-cp"]));
  REQUIRE(publisher.wait_connected(10s).ok());
  REQUIRE(subscriber.wait_connected(10s).ok());
  Inbox inbox;
  REQUIRE(subscriber.subscribe("text.>", inbox.handler()).ok());

  // Durable and not, interleaved: each acknowledged, each delivered live.
  std::set<Id> acked_durable;
  std::uint64_t last_sequence = 0;
  for (int i = 0; i < 200; ++i) {
    const bool durable = i % 2 == 0;
    const std::string topic = durable ? "text.COL.log.r" + std::to_string(i) : "text.COL.chat";
    auto ack = publish_text(publisher, topic, "entry " + std::to_string(i), {"ECU"});
    REQUIRE(ack.ok());
    CHECK(ack->sequence > last_sequence);
    last_sequence = ack->sequence;
    if (durable) acked_durable.insert(id_of(ack->message_id));
  }
  CHECK(inbox.wait_until([](const auto& d) { return d.size() == 200; }, 20s));

  // kill -9: no clean close, no index written for the active segment.
  broker.stop(true);
  const auto stored = journaled(data.path, "log");
  std::set<Id> stored_ids;
  for (const auto& [id, sequence] : stored) stored_ids.insert(id);
  CHECK(stored.size() == acked_durable.size());  // the durable ones only, each once
  CHECK(stored_ids == acked_durable);
  for (std::size_t i = 1; i < stored.size(); ++i) CHECK(stored[i].second > stored[i - 1].second);

  // A restart recovers the journal and numbers above everything used before.
  broker.start();
  CHECK(broker.wait_metric("journal_records_recovered", [](auto n) { return n == 100; }));
  Client again(broker.options_for(coalition["col-cp"]));
  REQUIRE(again.wait_connected(10s).ok());
  auto after = publish_text(again, "text.COL.log.after-restart", "after", {"ECU"});
  REQUIRE(after.ok());
  CHECK(after->sequence > last_sequence);
  std::ifstream log(broker.directory() / "broker.log");
  const std::string logged((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  CHECK_THAT(logged, Catch::Contains("durable stream 'log': 100 messages"));
}

TEST_CASE("a durable stream needs a data directory: the broker says so at start",
          "[integration][durable]") {
  TestCoalition coalition;
  coalition.extra = kDurable;
  coalition.add("col-cp", "COL", "command_post");
  try {
    BrokerProcess broker(coalition);
    FAIL("the broker started without a data directory for its durable stream");
  } catch (const std::runtime_error& e) {
    CHECK_THAT(e.what(), Catch::Contains("names 1 durable stream(s)"));
    CHECK_THAT(e.what(), Catch::Contains("give --data-dir"));
  }
}

TEST_CASE("a journal that cannot write answers storage_unavailable, and other traffic flows",
          "[integration][durable]") {
  ScratchDir data;
  TestCoalition coalition;
  coalition.extra = kDurable;
  coalition.add("col-cp", "COL", "command_post");
  coalition.add("ecu-cp", "ECU", "command_post");
  // A real write failure: files of the broker may not grow past 256 KiB (EFBIG), so the
  // journal's segment fills after about a thousand messages.
  ::setenv("ENLACE_BROKER_WRAPPER", "prlimit --fsize=262144", 1);
  BrokerProcess broker(coalition, {"--data-dir", data.path.string()});
  ::unsetenv("ENLACE_BROKER_WRAPPER");
  Client publisher(broker.options_for(coalition["col-cp"]));
  Client subscriber(broker.options_for(coalition["ecu-cp"]));
  REQUIRE(publisher.wait_connected(10s).ok());
  REQUIRE(subscriber.wait_connected(10s).ok());
  Inbox inbox;
  REQUIRE(subscriber.subscribe("text.>", inbox.handler()).ok());

  const std::string body(200, 'x');
  std::optional<ErrorInfo> refused;
  int acked = 0;
  for (int i = 0; i < 5000 && !refused; ++i) {
    auto ack = publish_text(publisher, "text.COL.log.r" + std::to_string(i), body, {"ECU"});
    if (ack.ok()) {
      ++acked;
    } else {
      refused = ack.error();
    }
  }
  REQUIRE(refused);
  CHECK(refused->code == Errc::storage_unavailable);
  CHECK_THAT(refused->reason,
             Catch::Contains("durable stream 'log': storing in the journal failed: write: "));
  CHECK_THAT(refused->reason, Catch::Contains(std::strerror(EFBIG)));
  // The stream and the cause, never the broker's paths; those are in its log.
  CHECK(refused->reason.find(data.path.string()) == std::string::npos);
  CHECK(refused->reason.find(".seg") == std::string::npos);
  CHECK(acked > 100);

  // Right after, the stream refuses before routing (for a second after a failure): not
  // stored, and not delivered either. On a machine so slow that the second is over, the
  // publish is tried again, delivered live, and refused by the full file.
  auto again = publish_text(publisher, "text.COL.log.refused", body, {"ECU"});
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == Errc::storage_unavailable);
  CHECK(again.error().reason.find(data.path.string()) == std::string::npos);
  const bool before_routing = again.error().reason.find("retried in a second") != std::string::npos;
  // Non-durable traffic is served throughout; its delivery is the marker for the refusal.
  REQUIRE(publish_text(publisher, "text.COL.chat", "still here", {"ECU"}).ok());
  CHECK(inbox.wait_for_topic("text.COL.chat"));
  if (before_routing) CHECK_FALSE(inbox.has_topic("text.COL.log.refused"));
  CHECK(broker.wait_metric("journal_store_failed", [](auto n) { return n >= 1; }));
  CHECK(broker.wait_metric("journal_refused", [](auto n) { return n >= 1; }));

  std::ifstream log(broker.directory() / "broker.log");
  const std::string logged((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  CHECK_THAT(logged,
             Catch::Contains("durable stream 'log': storing in the journal failed: write: "));
  CHECK_THAT(logged, Catch::Contains((data.path / "journal" / "log").string()));

  // Every acknowledged message is in the journal.
  broker.stop();
  CHECK(journaled(data.path, "log").size() >= static_cast<std::size_t>(acked));
}
