// The merge of a replay's streams (docs/protocol.md 5.3, "Replay", "Order"): the records of
// every durable stream a replay reads, one slice of each at a time, handed out in sequence
// order up to the replay's horizon, with no gap and none twice.
//
// Each stream's records come in sequence order, so the next record of the merge is the
// lowest of the streams' next ones, and it can be named only while every stream still in
// the merge has its next record in hand. A stream without one holds the merge while its
// next slice is read; it leaves the merge only when it is done: a record above the horizon
// came (live delivery has it), or a read found nothing more once the journal had settled
// everything up to the stream's target (JournalStage's settled_through). A stream that
// leaves never lets the merge go past one that is still being read (053b031).
//
// Runs on the routing thread, as Broker::advance_replays' step; it only decides and lends
// slices to the reader thread, and does no I/O. `Reads` is what lends them, JournalStage in
// the broker, a hand-driven stand-in in tests/unit/test_replay_merge.cpp:
//   std::uint64_t settled_through(std::uint32_t stream) const;
//   bool read(std::shared_ptr<ReplaySlice> slice);  // false: nothing lent (no room now)
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "journal_stage.hpp"

namespace enlace::broker {

/// What the merge has next for a replay.
struct ReplayStep {
  enum class Kind : std::uint8_t {
    record,    // `record` (of `slice`) is the next to send
    waiting,   // a stream still in the merge has no record in hand: it is being read
    finished,  // every stream is done: nothing more up to the horizon
    failed,    // `slice`'s last read failed; its `error` says why
  };
  Kind kind = Kind::waiting;
  const journal::Record* record = nullptr;  // valid until the slice's next read
  const ReplaySlice* slice = nullptr;
};

/// The next step of the merge of `slices` (one per stream, in any order) up to `horizon`:
/// takes the lowest next record of the streams (advancing its slice), ends the streams that
/// reached the horizon or their end, and asks `reads` for the next slice of every stream that
/// needs one, not twice while one is out and not again after a read that found nothing
/// until the journal has settled more of that stream.
template <class Reads>
ReplayStep next_replayed(const std::vector<std::shared_ptr<ReplaySlice>>& slices,
                         std::uint64_t horizon, Reads& reads) {
  while (true) {
    // The slice whose next record has the lowest sequence; none while one that is not
    // done has nothing in hand (it is being read, or must be).
    ReplaySlice* next = nullptr;
    const ReplaySlice* failed = nullptr;
    bool waiting = false;
    for (const auto& slice : slices) {
      if (slice->done) continue;
      // A slice at the reader is the reader's until completed() hands it back: its records,
      // its error and its buffer are being written, and its `next` still counts the last
      // slice's records. The merge needs its next record: it waits.
      if (slice->reading) {
        waiting = true;
        continue;
      }
      if (!slice->error.empty()) {
        failed = slice.get();
        break;
      }
      if (slice->next < slice->records.size()) {
        if (next == nullptr ||
            slice->records[slice->next].sequence < next->records[next->next].sequence) {
          next = slice.get();
        }
        continue;
      }
      if (slice->read_once && !slice->reading && slice->records.empty() &&
          slice->settled_when_asked >= slice->target) {
        // The last read found nothing, and the journal had settled everything up to the
        // target when it was asked for: this stream has nothing more for the replay.
        slice->done = true;
        slice->buffer = {};
        continue;
      }
      waiting = true;  // the merge needs this slice's next record
      // After a read that found nothing, read again only once the journal settled more.
      if (slice->read_once && slice->records.empty() &&
          reads.settled_through(slice->stream) == slice->settled_when_asked) {
        continue;
      }
      if (reads.read(slice)) slice->read_once = true;
    }
    if (failed != nullptr) return {ReplayStep::Kind::failed, nullptr, failed};
    if (waiting) return {};
    if (next == nullptr) return {ReplayStep::Kind::finished, nullptr, nullptr};
    const journal::Record& record = next->records[next->next++];
    if (record.sequence > horizon) {
      next->done = true;  // live from here on
      next->records = {};
      next->buffer = {};
      continue;
    }
    return {ReplayStep::Kind::record, &record, next};
  }
}

}  // namespace enlace::broker
