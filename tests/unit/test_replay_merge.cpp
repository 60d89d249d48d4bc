// The merge of a replay's streams (broker/src/replay_merge.hpp): hand-made slices of two or
// more durable streams, read back in an order the test chooses, come out in broker sequence
// order up to the horizon, with no gap and none twice; a stream that finishes never lets the
// merge pass one still being read (053b031); a stream whose last messages are still being
// stored holds the replay until the journal has settled them; a failed read ends the merge.
//
// The journal stage's part (settled_through(), read(), the reader thread filling a slice)
// is played by hand here, so each test decides exactly which read comes back when.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "enlace/journal/journal.hpp"
#include "replay_merge.hpp"

using namespace enlace;
using broker::next_replayed;
using broker::ReplaySlice;
using broker::ReplayStep;
using Kind = ReplayStep::Kind;
using Sequences = std::vector<std::uint64_t>;

namespace {

/// An empty journal in a directory of its own: ReplaySlice holds a cursor, which the merge
/// never uses (the reader thread does, and this test plays it).
class CursorSource {
 public:
  CursorSource() {
    std::string pattern = (std::filesystem::temp_directory_path() / "enlace-merge-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    dir_ = pattern;
    auto opened = journal::Journal::open(dir_);
    REQUIRE(opened.ok());
    journal_ = std::move(*opened);
  }
  ~CursorSource() {
    journal_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  CursorSource(const CursorSource&) = delete;
  CursorSource& operator=(const CursorSource&) = delete;

  journal::Cursor cursor() const { return journal_->cursor(); }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<journal::Journal> journal_;
};

/// The journal stage as the merge sees it, driven by hand. Each stream has its records'
/// sequences; of those, the first `written` are in the journal (a read sees them), and the
/// journal thread is done with the stream up to `settled` (settled_through()). read() lends
/// a slice as JournalStage::read does; complete() is the reader thread filling it and the
/// routing thread taking it back (JournalStage::completed, Broker::replay_slice_read).
class Stage {
 public:
  /// Messages journaled before the replay: written and settled.
  void journaled(std::uint32_t stream, const Sequences& sequences) {
    added(stream, sequences);
    written(stream);
    settle(stream);
  }
  /// Messages given to the journal thread, not written yet.
  void added(std::uint32_t stream, const Sequences& sequences) {
    Stream& s = streams_[stream];
    s.sequences.insert(s.sequences.end(), sequences.begin(), sequences.end());
  }
  /// The journal thread wrote everything added, or the next `count` records.
  void written(std::uint32_t stream, std::size_t count = SIZE_MAX) {
    Stream& s = streams_[stream];
    s.written = std::min(s.sequences.size(), count == SIZE_MAX ? SIZE_MAX : s.written + count);
  }
  /// Its batch came back: the stream is settled up to what is written.
  void settle(std::uint32_t stream) {
    Stream& s = streams_[stream];
    if (s.written > 0) s.settled = s.sequences[s.written - 1];
  }
  /// The highest sequence added to `stream` (JournalStage::added_through).
  std::uint64_t added_through(std::uint32_t stream) {
    const Stream& s = streams_[stream];
    return s.sequences.empty() ? 0 : s.sequences.back();
  }

  // ---- what next_replayed() calls --------------------------------------------------------
  std::uint64_t settled_through(std::uint32_t stream) const { return streams_.at(stream).settled; }
  bool read(std::shared_ptr<ReplaySlice> slice) {
    if (!room) return false;
    Stream& s = streams_.at(slice->stream);
    REQUIRE(s.lent == nullptr);  // never two reads of one stream at once
    REQUIRE(!slice->done);
    slice->reading = true;
    slice->settled_when_asked = s.settled;
    s.lent = std::move(slice);
    ++s.reads;
    return true;
  }
  bool room = true;  // false: every read slot is taken (JournalStage::kMaxReads)

  // ---- the reader thread -----------------------------------------------------------------
  bool lent(std::uint32_t stream) const { return streams_.at(stream).lent != nullptr; }
  std::size_t reads(std::uint32_t stream) const { return streams_.at(stream).reads; }
  std::vector<std::uint32_t> lent_streams() const {
    std::vector<std::uint32_t> out;
    for (const auto& [stream, s] : streams_)
      if (s.lent) out.push_back(stream);
    return out;
  }
  /// Reads the next `count` written records of `stream` into its lent slice, or fewer.
  void complete(std::uint32_t stream, std::size_t count = SIZE_MAX) {
    Stream& s = streams_.at(stream);
    REQUIRE(s.lent != nullptr);
    s.records.clear();
    while (s.records.size() < count && s.position < s.written) {
      s.records.push_back(journal::Record{s.sequences[s.position++], 0, {}, {}, {}});
    }
    hand_back(s, "");
  }
  /// The reader thread fills the lent slice of `stream` with its next `count` written
  /// records and has not handed it back yet (the routing thread's completed() is to come):
  /// the slice is still lent, its `next` still counts the last read's records.
  void fill(std::uint32_t stream, std::size_t count) {
    Stream& s = streams_.at(stream);
    REQUIRE(s.lent != nullptr);
    s.records.clear();
    while (s.records.size() < count && s.position < s.written) {
      s.records.push_back(journal::Record{s.sequences[s.position++], 0, {}, {}, {}});
    }
    s.lent->records = s.records;
  }
  /// The routing thread takes back the slice fill() filled.
  void hand_back(std::uint32_t stream) { hand_back(streams_.at(stream), ""); }

  /// The lent read of `stream` fails.
  void fail(std::uint32_t stream, const std::string& why) {
    Stream& s = streams_.at(stream);
    REQUIRE(s.lent != nullptr);
    s.records.clear();
    hand_back(s, why);
  }

 private:
  struct Stream {
    Sequences sequences;
    std::size_t written = 0;
    std::uint64_t settled = 0;
    std::size_t position = 0;              // the cursor: the next record a read returns
    std::vector<journal::Record> records;  // what the slice's last read holds
    std::shared_ptr<ReplaySlice> lent;
    std::size_t reads = 0;
  };
  static void hand_back(Stream& s, const std::string& why) {
    std::shared_ptr<ReplaySlice> slice = std::move(s.lent);
    slice->error = why;
    slice->records = s.records;
    slice->reading = false;
    if (!slice->cancelled) slice->next = 0;
  }
  std::map<std::uint32_t, Stream> streams_;
};

/// A replay of `streams`, opened as Broker::open_replay does, and what it sent.
struct Replay {
  Replay(const CursorSource& cursors, Stage& stage, const std::vector<std::uint32_t>& streams,
         std::uint64_t horizon_at)
      : horizon(horizon_at) {
    for (std::uint32_t stream : streams) {
      auto slice = std::make_shared<ReplaySlice>(stream, cursors.cursor());
      slice->target = stage.added_through(stream);
      slices.push_back(std::move(slice));
    }
  }
  /// Takes what the merge has, as one loop pass of advance_replays does without its byte
  /// budget: the step that stopped it.
  ReplayStep run(Stage& stage) {
    while (true) {
      const ReplayStep step = next_replayed(slices, horizon, stage);
      if (step.kind != Kind::record) return step;
      sent.push_back(step.record->sequence);
    }
  }

  std::vector<std::shared_ptr<ReplaySlice>> slices;
  std::uint64_t horizon;
  Sequences sent;
};

}  // namespace

TEST_CASE("replay merge: two streams come out in sequence order whichever read comes back first",
          "[replay][merge]") {
  CursorSource cursors;
  Stage stage;
  stage.journaled(0, {1, 3, 4, 8, 9, 10});
  stage.journaled(1, {2, 5, 6, 7, 11});
  Replay replay(cursors, stage, {0, 1}, 11);

  CHECK(replay.run(stage).kind == Kind::waiting);
  CHECK((stage.lent(0) && stage.lent(1)));
  // Stream 1 comes back first: its 2 waits, stream 0 may still hold a 1.
  stage.complete(1, 2);  // 2, 5
  CHECK(replay.run(stage).kind == Kind::waiting);
  CHECK(replay.sent.empty());
  stage.complete(0, 2);  // 1, 3
  CHECK(replay.run(stage).kind == Kind::waiting);
  CHECK(replay.sent == Sequences{1, 2, 3});
  stage.complete(0, 3);  // 4, 8, 9
  CHECK(replay.run(stage).kind == Kind::waiting);
  CHECK(replay.sent == Sequences{1, 2, 3, 4, 5});
  stage.complete(1);  // 6, 7, 11
  CHECK(replay.run(stage).kind == Kind::waiting);
  CHECK(replay.sent == Sequences{1, 2, 3, 4, 5, 6, 7, 8, 9});
  stage.complete(0);  // 10
  CHECK(replay.run(stage).kind == Kind::waiting);
  stage.complete(0);  // nothing more: stream 0 is done
  CHECK(replay.run(stage).kind == Kind::waiting);
  CHECK(replay.sent == Sequences{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  stage.complete(1);  // nothing more: stream 1 is done
  CHECK(replay.run(stage).kind == Kind::finished);
  CHECK(replay.sent == Sequences{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
}

TEST_CASE(
    "replay merge: a stream that finishes does not let the merge pass one still being read "
    "(053b031)",
    "[replay][merge]") {
  // A holds 5 and 12 and is slow to read; B holds nothing; C holds 10 and 11. When B finishes
  // while A is still at the reader, C's 10 must wait for A's 5. In every order of the
  // slices: the merge looks at them in that order.
  std::vector<std::uint32_t> order = {0, 1, 2};  // A, B, C
  do {
    INFO("slices in the order " << order[0] << order[1] << order[2]);
    CursorSource cursors;
    Stage stage;
    stage.journaled(0, {5, 12});
    stage.journaled(2, {10, 11});
    Replay replay(cursors, stage, order, 12);

    CHECK(replay.run(stage).kind == Kind::waiting);
    REQUIRE((stage.lent(0) && stage.lent(1) && stage.lent(2)));
    stage.complete(1);  // B: nothing, and the journal had settled its target (none): done
    stage.complete(2);  // C: 10, 11
    CHECK(replay.run(stage).kind == Kind::waiting);
    CHECK(replay.sent.empty());  // A is still being read
    CHECK(stage.lent(0));

    stage.complete(0);  // A: 5, 12
    CHECK(replay.run(stage).kind == Kind::waiting);
    CHECK(replay.sent == Sequences{5, 10, 11});
    CHECK(stage.lent(2));  // C's next, before A's 12 may go
    stage.complete(2);     // C: nothing more
    CHECK(replay.run(stage).kind == Kind::waiting);
    CHECK(replay.sent == Sequences{5, 10, 11, 12});
    stage.complete(0);  // A: nothing more
    CHECK(replay.run(stage).kind == Kind::finished);
    CHECK(replay.sent == Sequences{5, 10, 11, 12});
    CHECK(stage.reads(1) == 1);  // B, done, is not read again
  } while (std::next_permutation(order.begin(), order.end()));
}

TEST_CASE("replay merge: a slice at the reader is not read from before it is handed back",
          "[replay][merge]") {
  // The reader thread writes the slice's records before the routing thread takes the slice
  // back and starts it at its first record: a merge that looked at the records meanwhile
  // sent those past the last read's count early, then all of them again.
  CursorSource cursors;
  Stage stage;
  stage.journaled(0, {1, 2, 3, 4, 5, 6, 7, 8});
  Replay replay(cursors, stage, {0}, 8);
  CHECK(replay.run(stage).kind == Kind::waiting);
  stage.complete(0, 2);  // 1, 2
  CHECK(replay.run(stage).kind == Kind::waiting);
  CHECK(replay.sent == Sequences{1, 2});
  REQUIRE(stage.lent(0));
  stage.fill(0, 5);  // 3 .. 7 written into the slice, still at the reader
  CHECK(replay.run(stage).kind == Kind::waiting);
  CHECK(replay.sent == Sequences{1, 2});
  stage.hand_back(0);
  CHECK(replay.run(stage).kind == Kind::waiting);
  CHECK(replay.sent == Sequences{1, 2, 3, 4, 5, 6, 7});
  stage.complete(0);  // 8
  CHECK(replay.run(stage).kind == Kind::waiting);
  stage.complete(0);  // nothing more
  CHECK(replay.run(stage).kind == Kind::finished);
  CHECK(replay.sent == Sequences{1, 2, 3, 4, 5, 6, 7, 8});
}

TEST_CASE("replay merge: records above the horizon end their stream, live delivery has them",
          "[replay][merge]") {
  CursorSource cursors;
  Stage stage;
  stage.journaled(0, {1, 4});
  stage.journaled(1, {2, 3});
  Replay replay(cursors, stage, {0, 1}, 5);  // the Subscribe: the broker's last sequence is 5
  stage.journaled(0, {7, 8});                // published after it
  stage.journaled(1, {9});

  CHECK(replay.run(stage).kind == Kind::waiting);
  stage.complete(0);  // 1, 4, 7, 8
  stage.complete(1);  // 2, 3, 9
  CHECK(replay.run(stage).kind == Kind::finished);
  CHECK(replay.sent == Sequences{1, 2, 3, 4});
  CHECK(stage.reads(0) == 1);
  CHECK(stage.reads(1) == 1);
}

TEST_CASE("replay merge: a stream's messages still being stored hold the replay until settled",
          "[replay][merge]") {
  CursorSource cursors;
  Stage stage;
  stage.journaled(0, {1, 2});
  stage.added(0, {4});  // at the journal thread when the Subscribe came
  stage.journaled(1, {3});
  Replay replay(cursors, stage, {0, 1}, 4);

  CHECK(replay.run(stage).kind == Kind::waiting);
  stage.complete(0);  // 1, 2
  stage.complete(1);  // 3
  CHECK(replay.run(stage).kind == Kind::waiting);
  CHECK(replay.sent == Sequences{1, 2});
  stage.complete(0);  // nothing: 4 is not written yet
  CHECK(replay.run(stage).kind == Kind::waiting);
  CHECK(replay.sent == Sequences{1, 2});  // 3 waits: stream 0 may have something below it
  // Not finished, and not read again while the journal has settled nothing more.
  CHECK(!stage.lent(0));
  CHECK(replay.run(stage).kind == Kind::waiting);
  CHECK(stage.reads(0) == 2);

  stage.written(0);  // written, but its batch is not back yet
  CHECK(replay.run(stage).kind == Kind::waiting);
  CHECK(stage.reads(0) == 2);
  stage.settle(0);
  CHECK(replay.run(stage).kind == Kind::waiting);
  CHECK(stage.reads(0) == 3);
  stage.complete(0);  // 4
  CHECK(replay.run(stage).kind == Kind::waiting);
  CHECK(replay.sent == Sequences{1, 2, 3});
  stage.complete(1);  // nothing more: stream 1 is done
  CHECK(replay.run(stage).kind == Kind::waiting);
  CHECK(replay.sent == Sequences{1, 2, 3, 4});
  stage.complete(0);  // nothing more: stream 0 is done
  CHECK(replay.run(stage).kind == Kind::finished);
  CHECK(replay.sent == Sequences{1, 2, 3, 4});
}

TEST_CASE("replay merge: a failed read ends the merge, naming its slice, nothing sent after it",
          "[replay][merge]") {
  CursorSource cursors;
  Stage stage;
  stage.journaled(0, {1, 3, 5});
  stage.journaled(1, {2, 4});
  Replay replay(cursors, stage, {0, 1}, 5);

  CHECK(replay.run(stage).kind == Kind::waiting);
  stage.complete(0);
  stage.complete(1, 1);  // 2
  CHECK(replay.run(stage).kind == Kind::waiting);
  CHECK(replay.sent == Sequences{1, 2});
  stage.fail(1, "segment shorter than its committed records");
  const ReplayStep step = replay.run(stage);
  REQUIRE(step.kind == Kind::failed);
  CHECK(step.slice == replay.slices[1].get());
  CHECK(step.slice->error == "segment shorter than its committed records");
  CHECK(replay.sent == Sequences{1, 2});  // 3 is in hand, but 4 might be missing before it
}

TEST_CASE("replay merge: with no read slot free, the read is asked for at the next step",
          "[replay][merge]") {
  CursorSource cursors;
  Stage stage;
  stage.journaled(0, {1});
  stage.journaled(1, {2});
  Replay replay(cursors, stage, {0, 1}, 2);
  stage.room = false;
  CHECK(replay.run(stage).kind == Kind::waiting);
  CHECK((!stage.lent(0) && !stage.lent(1)));
  stage.room = true;
  CHECK(replay.run(stage).kind == Kind::waiting);
  CHECK((stage.lent(0) && stage.lent(1)));
  stage.complete(0);
  stage.complete(1);
  CHECK(replay.run(stage).kind == Kind::waiting);
  CHECK(replay.sent == Sequences{1});
  stage.complete(0);
  CHECK(replay.run(stage).kind == Kind::waiting);
  stage.complete(1);
  CHECK(replay.run(stage).kind == Kind::finished);
  CHECK(replay.sent == Sequences{1, 2});
}

TEST_CASE(
    "replay merge: any number of streams, slices of any size, reads back in any order and "
    "messages still being stored: sequence order, no gap, none twice",
    "[replay][merge]") {
  // Fixed seeds: the same runs every time.
  for (std::uint32_t seed = 1; seed <= 300; ++seed) {
    INFO("seed " << seed);
    std::mt19937 random(seed);
    const auto uniform = [&](std::size_t low, std::size_t high) {
      return std::uniform_int_distribution<std::size_t>(low, high)(random);
    };
    const auto streams = static_cast<std::uint32_t>(uniform(2, 5));
    const std::uint64_t messages = uniform(0, 120);
    // Sequences 1..messages, each in one stream; the Subscribe comes after `horizon`, when
    // the journal had written and settled those up to `stored`.
    const std::uint64_t horizon = uniform(0, messages);
    const std::uint64_t stored = uniform(0, horizon);
    std::vector<Sequences> before(streams), after(streams);
    for (std::uint64_t sequence = 1; sequence <= messages; ++sequence) {
      const auto stream = static_cast<std::uint32_t>(uniform(0, streams - 1));
      (sequence <= horizon ? before : after)[stream].push_back(sequence);
    }
    CursorSource cursors;
    Stage stage;
    std::vector<std::uint32_t> order;
    for (std::uint32_t s = 0; s < streams; ++s) {
      const auto settled = static_cast<std::size_t>(
          std::count_if(before[s].begin(), before[s].end(), [&](auto q) { return q <= stored; }));
      stage.added(s, before[s]);
      stage.written(s, settled);
      stage.settle(s);
      order.push_back(s);
    }
    std::shuffle(order.begin(), order.end(), random);
    Replay replay(cursors, stage, order, horizon);
    for (std::uint32_t s = 0; s < streams; ++s) stage.added(s, after[s]);  // live, later

    bool finished = false;
    for (int step = 0; step < 100000 && !finished; ++step) {
      switch (uniform(0, 3)) {
        case 0: {
          const ReplayStep taken = replay.run(stage);
          REQUIRE(taken.kind != Kind::failed);
          finished = taken.kind == Kind::finished;
          break;
        }
        case 1:
        case 2: {  // the reader thread hands back one of the slices it holds
          const auto lent = stage.lent_streams();
          if (!lent.empty()) stage.complete(lent[uniform(0, lent.size() - 1)], uniform(1, 9));
          break;
        }
        default: {  // the journal thread stores some of a stream's messages
          const auto s = static_cast<std::uint32_t>(uniform(0, streams - 1));
          stage.written(s, uniform(1, 4));
          if (uniform(0, 1) == 1) stage.settle(s);
          break;
        }
      }
    }
    REQUIRE(finished);
    Sequences expected(horizon);
    for (std::uint64_t i = 0; i < horizon; ++i) expected[i] = i + 1;
    REQUIRE(replay.sent == expected);
  }
}
