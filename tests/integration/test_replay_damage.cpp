// A replay across damaged journal records (docs/protocol.md 5.3, "Replay", "Damage"): the
// damage is real, bytes of a running broker's segment files changed underneath it, as bit
// rot or another process would. The replay skips what cannot be read, replays every record
// it can, in order, and ends with EndOfReplay whose `damaged` counts what it met; the broker
// counts it (replay_records_damaged) and logs the stream, the file and the offset. At the
// next start the damage is found again, counted (journal_corrupt_records) and logged: by the
// COP cache's restore in a sealed segment recovery does not re-read, by recovery itself in
// the active segment.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
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

// max_bytes of 1 MiB makes segments of 128 KiB (JournalStage::open): a few hundred
// messages of 800 bytes fill more than two.
constexpr const char* kDurable = R"(
[[durable]]
name = "river"
topics = ["alert.*.river.>"]
max_bytes = 1048576

[cop]
cached = ["alert.>"]
)";

struct StoredRecord {
  std::uint64_t offset = 0;
  std::size_t size = 0;
  std::uint64_t sequence = 0;
};

std::vector<std::uint8_t> file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// The good records of a segment file, read with the journal's own decoder, up to the first
/// that is not one.
std::vector<StoredRecord> records_in(const std::filesystem::path& segment) {
  const std::vector<std::uint8_t> bytes = file_bytes(segment);
  std::vector<StoredRecord> out;
  std::size_t at = journal::format::kSegmentHeaderBytes;
  while (at < bytes.size()) {
    const auto decoded = journal::format::decode_record({bytes.data() + at, bytes.size() - at});
    if (decoded.status != journal::format::Decoded::ok) break;
    out.push_back({at, decoded.size, decoded.record.sequence});
    at += decoded.size;
  }
  return out;
}

std::vector<std::filesystem::path> segments_of(const std::filesystem::path& data) {
  std::vector<std::filesystem::path> out;
  for (const auto& entry : std::filesystem::directory_iterator(data / "journal" / "river"))
    if (entry.path().extension() == ".seg") out.push_back(entry.path());
  std::sort(out.begin(), out.end());
  return out;
}

/// Flips a byte of the file in place: the broker's descriptor reads the change.
void flip_byte(const std::filesystem::path& file, std::uint64_t offset) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  REQUIRE(f.good());
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.get(c);
  f.seekp(static_cast<std::streamoff>(offset));
  f.put(static_cast<char>(c ^ 0x40));
  f.flush();
  REQUIRE(f.good());
}

std::vector<std::string> log_lines_with(const BrokerProcess& broker, const std::string& text) {
  std::ifstream in(broker.directory() / "broker.log");
  std::vector<std::string> found;
  for (std::string line; std::getline(in, line);)
    if (line.find(text) != std::string::npos) found.push_back(line);
  return found;
}

/// What a raw subscriber's replay brought: the replayed deliveries' sequences in arrival
/// order, and the EndOfReplay.
struct Replayed {
  std::vector<std::uint64_t> sequences;
  std::optional<Received> end;
  bool errors = false;
};

Replayed replay_earliest(RawClient& raw, std::uint32_t request_id) {
  flatbuffers::FlatBufferBuilder fbb;
  protocol::build_subscribe(fbb, {.request_id = request_id,
                                  .pattern = "alert.COL.river.>",
                                  .replay_from = wire::ReplayFrom::Earliest});
  raw.send(with_header(wire::Command::control, {fbb.GetBufferPointer(), fbb.GetSize()}));
  Replayed out;
  const bool ended = raw.read_until(
      [&](const Received& r) {
        if (r.command == wire::Command::deliver) {
          const auto* delivery = wire::GetDelivery(r.bytes.data() + wire::kHeaderSize);
          if (delivery->replayed()) out.sequences.push_back(delivery->sequence());
          return false;
        }
        if (r.control_type() == wire::Control::Error) out.errors = true;
        if (r.control_type() == wire::Control::EndOfReplay &&
            r.control()->body_as_EndOfReplay()->request_id() == request_id) {
          out.end = r;
          return true;
        }
        return false;
      },
      60s);
  CHECK(ended);
  return out;
}

const wire::EndOfReplay& end_of(const Replayed& replayed) {
  return *replayed.end->control()->body_as_EndOfReplay();
}

}  // namespace

TEST_CASE(
    "a replay across a flipped byte in a sealed segment replays every readable record in "
    "order and says in EndOfReplay that it met damage",
    "[integration][durable][replay][faults]") {
  ScratchDir data;
  TestCoalition coalition;
  coalition.extra = kDurable;
  coalition.add("col-cp", "COL", "command_post");
  coalition.add("ecu-raw", "ECU", "command_post");
  coalition.add("ecu-sdk", "ECU", "command_post");
  BrokerProcess broker(coalition, {"--data-dir", data.path.string()});
  std::vector<std::uint64_t> published;
  {
    Client publisher(broker.options_for(coalition["col-cp"]));
    REQUIRE(publisher.wait_connected(10s).ok());
    const std::string padding(800, 'x');
    for (int i = 0; i < 300; ++i) {
      auto ack = publish_text(publisher, "alert.COL.river." + std::to_string(i),
                              "river " + std::to_string(i) + padding, {"ECU"});
      REQUIRE(ack.ok());
      published.push_back(ack->sequence);
    }
  }
  // Acknowledged, so written: the first segment is sealed (later ones follow it) and its
  // index is valid. A byte inside the envelope of its middle record flips.
  const auto segments = segments_of(data.path);
  REQUIRE(segments.size() >= 3);
  const std::filesystem::path damaged_segment = segments.front();
  const auto stored = records_in(damaged_segment);
  REQUIRE(stored.size() > 10);
  const std::size_t k = stored.size() / 2;
  flip_byte(damaged_segment, stored[k].offset + stored[k].size - 5);
  // Lost: that record and the rest of its segment, which nothing can frame any more.
  std::vector<std::uint64_t> expected;
  for (std::uint64_t sequence : published) {
    const bool lost = std::any_of(stored.begin() + static_cast<std::ptrdiff_t>(k), stored.end(),
                                  [&](const StoredRecord& r) { return r.sequence == sequence; });
    if (!lost) expected.push_back(sequence);
  }
  REQUIRE(expected.size() == published.size() - (stored.size() - k));

  RawClient raw(broker, coalition["ecu-raw"]);
  REQUIRE(raw.hello());
  const Replayed replayed = replay_earliest(raw, 7);
  REQUIRE(replayed.end);
  CHECK_FALSE(replayed.errors);
  // Every record that can be read, once each, in sequence order; and the subscriber told.
  CHECK(replayed.sequences == expected);
  CHECK(end_of(replayed).count() == expected.size());
  CHECK(end_of(replayed).damaged() == 1);
  CHECK(end_of(replayed).horizon() >= published.back());

  // Counted, and logged with the stream, the file and the offset (the log line is written
  // before EndOfReplay is sent).
  CHECK(broker.wait_metric("replay_records_damaged", [](auto n) { return n == 1; }));
  CHECK(broker.wait_metric("replays_served", [](auto n) { return n == 1; }));
  const auto lines = log_lines_with(broker, "durable stream 'river': damaged record in segment '" +
                                                damaged_segment.string() + "' at offset " +
                                                std::to_string(stored[k].offset));
  REQUIRE(lines.size() == 1);
  CHECK_THAT(lines.front(), Catch::Contains("(a checksum mismatch)"));
  CHECK_THAT(lines.front(), Catch::Contains("a replay for session"));

  // At the next start the segment is not re-read by recovery (its index still matches);
  // the COP cache's restore reads it, meets the damage, counts and logs it, and restores
  // every message it can read.
  broker.stop();
  broker.start();
  CHECK(broker.wait_metric("journal_corrupt_records", [](auto n) { return n == 1; }));
  CHECK(broker.wait_metric("cop_restored", [&](auto n) { return n == expected.size(); }));
  const auto restore_lines =
      log_lines_with(broker, "damaged record in segment '" + damaged_segment.string() + "'");
  REQUIRE(restore_lines.size() == 2);
  CHECK_THAT(restore_lines.back(), Catch::Contains("restoring the COP cache skipped"));

  // The SDK tells the application too: ReplayEnd::damaged.
  Client sdk(broker.options_for(coalition["ecu-sdk"]));
  REQUIRE(sdk.wait_connected(10s).ok());
  std::promise<ReplayEnd> ended;
  SubscribeOptions options;
  options.replay_from = wire::ReplayFrom::Earliest;
  options.on_replay_end = [&](const ReplayEnd& end) { ended.set_value(end); };
  REQUIRE(sdk.subscribe(
                 "alert.COL.river.>", [](const Delivery&) {}, options)
              .ok());
  auto end = ended.get_future();
  REQUIRE(end.wait_for(30s) == std::future_status::ready);
  const ReplayEnd got = end.get();
  CHECK(got.damaged == 1);
  CHECK(got.replayed == expected.size());
  CHECK(got.horizon >= published.back());
}

TEST_CASE(
    "a segment cut short under a running broker, then appended to, is damage: the replay says "
    "so, and the next start's recovery counts and logs it",
    "[integration][durable][replay][faults]") {
  ScratchDir data;
  TestCoalition coalition;
  coalition.extra = kDurable;
  coalition.add("col-cp", "COL", "command_post");
  coalition.add("ecu-raw", "ECU", "command_post");
  BrokerProcess broker(coalition, {"--data-dir", data.path.string()});
  std::vector<std::uint64_t> published;
  Client publisher(broker.options_for(coalition["col-cp"]));
  REQUIRE(publisher.wait_connected(10s).ok());
  const auto publish = [&](int from, int to) {
    for (int i = from; i < to; ++i) {
      auto ack = publish_text(publisher, "alert.COL.river." + std::to_string(i), "river", {"ECU"});
      REQUIRE(ack.ok());
      published.push_back(ack->sequence);
    }
  };
  publish(0, 40);
  const auto segments = segments_of(data.path);
  REQUIRE(segments.size() == 1);
  const std::filesystem::path segment = segments.front();
  const auto stored = records_in(segment);
  REQUIRE(stored.size() == 40);
  // Cut at the 21st record; the broker appends the next ones at its own end, past a hole
  // of zeros where the 21st to 40th were.
  const std::uint64_t cut = stored[20].offset;
  std::filesystem::resize_file(segment, cut);
  publish(40, 50);
  REQUIRE(std::filesystem::file_size(segment) > stored.back().offset + stored.back().size);
  const std::vector<std::uint64_t> before_cut(published.begin(), published.begin() + 20);

  RawClient raw(broker, coalition["ecu-raw"]);
  REQUIRE(raw.hello());
  const Replayed replayed = replay_earliest(raw, 7);
  REQUIRE(replayed.end);
  CHECK_FALSE(replayed.errors);
  // What lies after the hole cannot be framed: the records before the cut, in order.
  CHECK(replayed.sequences == before_cut);
  CHECK(end_of(replayed).count() == before_cut.size());
  CHECK(end_of(replayed).damaged() == 1);
  CHECK(broker.wait_metric("replay_records_damaged", [](auto n) { return n == 1; }));
  const auto lines =
      log_lines_with(broker, "durable stream 'river': damaged record in segment '" +
                                 segment.string() + "' at offset " + std::to_string(cut));
  REQUIRE(lines.size() == 1);
  CHECK_THAT(lines.front(), Catch::Contains("zeros where a record should begin"));

  // kill -9, then recovery scans the active segment: a hole with records after it is
  // damage (counted), not a torn tail, and its file and offset are in the log.
  broker.stop(true);
  const auto size_before = std::filesystem::file_size(segment);
  broker.start();
  CHECK(broker.wait_metric("journal_corrupt_records", [](auto n) { return n == 1; }));
  CHECK(broker.wait_metric("journal_bytes_truncated",
                           [&](auto n) { return n == size_before - cut; }));
  const auto recovery_lines = log_lines_with(
      broker, "durable stream 'river': segment '" + segment.string() + "' is damaged at offset " +
                  std::to_string(cut) + ": a run of zeros with records after it");
  CHECK(recovery_lines.size() == 1);
  CHECK(std::filesystem::file_size(segment) == cut);

  // The cut file replays whole: nothing damaged is left in it.
  RawClient again(broker, coalition["ecu-raw"]);
  REQUIRE(again.hello());
  const Replayed after = replay_earliest(again, 8);
  REQUIRE(after.end);
  CHECK(after.sequences == before_cut);
  CHECK(end_of(after).damaged() == 0);
}
