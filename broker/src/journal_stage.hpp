// The journal stage: the broker's durable streams (docs/policy.md, `[[durable]]`), one
// journal each under <data-dir>/journal/<name>/, written by a thread of their own.
//
// Threads. The routing thread adds each durable message to the batch it is filling
// (add()), and at the end of its loop pass hands the batch over (hand_over()): a pointer
// through a lock-free ring, and an eventfd write to wake the journal thread. The journal
// thread appends each stream's records with one write, syncs the streams in `fsync` mode
// (group commit: one fdatasync per stream per batch), notes each stream's outcome in the
// batch and hands it back through a second ring, waking the routing thread's poll()
// (completion_fd()). The routing thread then answers the publishers (completed()). Neither
// thread ever waits for the other; batches are recycled, so the memory held is bounded by
// kMaxBatches batches of at most kMaxBatchBytes each.
//
// Replays read the journals on a third thread, the reader: the routing thread lends it a
// ReplaySlice (read()), the reader fills the slice's buffer with the cursor's next records
// and hands it back through a ring, waking the routing thread through the same
// completion_fd(). At most kMaxReads slices are out at once.
//
// What success means: a stream's records are acknowledged once its journal's write(2)
// returned (mode write) or its fdatasync returned (mode fsync); live delivery never waits
// for the journal (docs/protocol.md 6.2).
#pragma once

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "enlace/journal/journal.hpp"
#include "enlace/policy/policy.hpp"
#include "enlace/protocol/frame.hpp"
#include "spsc_ring.hpp"

namespace enlace::broker {

/// One durable message on its way to a journal, and who waits for its answer.
struct JournalEntry {
  std::uint32_t stream = 0;  // index into JournalStage's streams
  std::uint64_t sequence = 0;
  std::int64_t time_ns = 0;
  // Offsets into the batch's bytes: topic, header (the origin), envelope, routing id.
  std::uint32_t topic_at = 0, topic_bytes = 0;
  std::uint32_t header_at = 0, header_bytes = 0;
  std::uint32_t envelope_at = 0, envelope_bytes = 0;
  std::uint32_t routing_id_at = 0, routing_id_bytes = 0;
  // The publisher's answer, sent when the journal is done: an Ack, or storage_unavailable.
  bool ack = false;
  std::uint64_t session_id = 0;
  wire::Uuid message_id{};
  std::uint32_t audience_count = 0;
  bool stored = false;  // set by the journal thread
};

struct JournalBatch {
  std::vector<std::uint8_t> bytes;
  std::vector<JournalEntry> entries;
  /// Filled by the journal thread, one per stream: empty when all its records were stored,
  /// else the journal's reason why not (each entry says whether it was), which names the
  /// file concerned: for the log; journal::without_path() of it for the publisher.
  std::vector<std::string> failures;

  void clear();
  std::string_view text(std::uint32_t at, std::uint32_t size) const {
    return {reinterpret_cast<const char*>(bytes.data()) + at, size};
  }
};

/// A replay's reader of one durable stream: its cursor and the slice it read last. It
/// belongs to the routing thread, which lends it to the reader thread from read() until
/// completed() hands it back; the routing thread touches nothing of it meanwhile.
struct ReplaySlice {
  ReplaySlice(std::uint32_t of_stream, journal::Cursor reader)
      : stream(of_stream), cursor(std::move(reader)) {}

  const std::uint32_t stream;
  journal::Cursor cursor;
  // Set by the reader thread.
  std::vector<std::uint8_t> buffer;          // the slice's bytes (grows for a large record)
  std::span<const journal::Record> records;  // the last read's records, in sequence order
  // Why the last read failed, empty if it did not: the journal's reason, naming the file
  // (for the log; journal::without_path() of it for the subscriber).
  std::string error;
  // The routing thread's.
  std::size_t next = 0;                  // the first of `records` not yet handled
  std::uint64_t session_id = 0;          // of the replay's subscriber, for the log
  std::uint64_t horizon = 0;             // the replay's
  std::uint64_t damaged = 0;             // damaged records met that may hide ones <= horizon
  std::uint64_t target = 0;              // every sequence of the replay's stream up to here
  std::uint64_t settled_when_asked = 0;  // the stream's settled_through() at the last read()
  bool reading = false;
  bool read_once = false;  // a read was asked for (records then says what it found)
  bool done = false;       // nothing more to read for its replay
  bool cancelled = false;  // its replay ended while it was at the reader
};

/// Bytes of a journal file's path a log line quotes at most.
inline constexpr std::size_t kLoggedPathBytes = 512;

/// Logs, at error level, a damaged record a reader of `stream` met: the stream, the segment
/// file, the offset, what was wrong and what was skipped; `reader` says who read ("a replay
/// for session 7"). The operator's log only: a client is never told the file.
void log_journal_damage(std::string_view stream, const journal::Damage& damage,
                        std::string_view reader);

/// What one journal's recovery found at start, for the log and the metrics.
struct StreamRecovery {
  std::string name;
  journal::RecoveryReport report;
};

class JournalStage {
 public:
  static constexpr std::size_t kMaxBatches = 4;
  static constexpr std::size_t kMaxBatchBytes = 8 * 1024 * 1024;
  /// Batches at the journal thread (one being stored, one queued) beyond which hand_over()
  /// keeps filling the current one, unless it is half full.
  static constexpr std::size_t kBatchesAhead = 2;

  /// Opens (and recovers) the journal of each stream under `data_dir`/journal/ and starts
  /// the journal thread. Errors: storage_unavailable, naming the stream and the cause.
  static Result<std::unique_ptr<JournalStage>> open(
      const std::filesystem::path& data_dir, const std::vector<policy::DurableStream>& streams);
  ~JournalStage();
  JournalStage(const JournalStage&) = delete;
  JournalStage& operator=(const JournalStage&) = delete;

  const std::vector<StreamRecovery>& recoveries() const noexcept { return recoveries_; }
  /// The highest sequence any journal holds: the broker continues above it.
  std::uint64_t last_sequence() const noexcept;
  /// The stream the policy's `stream` maps to, by name; -1 for a stream added since start.
  int index_of(const policy::DurableStream& stream) const noexcept;

  // ---- routing thread ------------------------------------------------------------------
  /// Whether the stream takes messages now; `why` says why not: a storage failure less
  /// than a second ago, or a failed fdatasync (after which nothing is stored until a restart).
  bool available(std::uint32_t stream, std::int64_t now_ns, std::string& why) const;
  /// Whether the batch being filled has room for a message of `bytes` bytes.
  bool has_room(std::size_t bytes) const noexcept;
  /// Adds a message to the batch being filled; has_room() must have said yes.
  void add(const JournalEntry& entry, std::string_view topic, std::span<const std::uint8_t> header,
           std::span<const std::uint8_t> envelope, std::string_view routing_id);
  /// End of a loop pass: gives the filled batch to the journal thread, unless it already
  /// holds kBatchesAhead and this one is less than half full (group commit); then a later
  /// pass, one after a batch comes back at the latest, gives it.
  void hand_over();
  /// Readable when batches or replay slices come back (poll() on it, then completed()).
  int completion_fd() const noexcept { return completion_fd_; }
  /// Each batch the journal thread is done with, passed to `batch_done` then recycled, and
  /// each slice the reader thread read, passed to `slice_done`.
  template <class BatchDone, class SliceDone>
  void completed(BatchDone&& batch_done, SliceDone&& slice_done) {
    std::uint64_t count = 0;
    [[maybe_unused]] auto n = ::read(completion_fd_, &count, sizeof(count));
    while (auto batch = done_.pop()) {
      for (const JournalEntry& e : (*batch)->entries) {
        settled_through_[e.stream] = std::max(settled_through_[e.stream], e.sequence);
      }
      batch_done(**batch);
      (*batch)->clear();
      spare_.push_back(*batch);
      --in_flight_;
    }
    if (filling_ == nullptr && !spare_.empty()) {
      filling_ = spare_.back();
      spare_.pop_back();
    }
    while (auto slice = reads_done_.pop()) {
      --reads_in_flight_;
      (*slice)->reading = false;
      slice_done(std::move(*slice));
    }
  }
  /// Batches given to the journal thread and slices to the reader thread, not back yet.
  std::size_t in_flight() const noexcept { return in_flight_ + reads_in_flight_; }

  /// The highest sequence added to `stream` (add()) and the highest the journal thread is
  /// done with, stored or not: a cursor sees every record of the stream up to the second.
  std::uint64_t added_through(std::uint32_t stream) const noexcept {
    return added_through_[stream];
  }
  std::uint64_t settled_through(std::uint32_t stream) const noexcept {
    return settled_through_[stream];
  }
  std::uint32_t streams() const noexcept { return static_cast<std::uint32_t>(streams_.size()); }
  /// The stream's name, as the policy gave it when the stage opened.
  const std::string& name(std::uint32_t stream) const noexcept { return streams_[stream]->name; }
  /// A reader of `stream`, at its earliest record.
  journal::Cursor cursor(std::uint32_t stream) const { return streams_[stream]->journal->cursor(); }
  /// Lends `slice` to the reader thread, which reads its next records; false (nothing
  /// lent) while kMaxReads slices are out.
  bool read(std::shared_ptr<ReplaySlice> slice);
  static constexpr std::size_t kMaxReads = 64;
  /// What a slice reads at a time, unless one record needs more.
  static constexpr std::size_t kSliceBytes = 256 * 1024;

 private:
  struct Stream {
    std::string name;
    policy::Durability durability = policy::Durability::write;
    std::unique_ptr<journal::Journal> journal;
    // Written by the journal thread, read by the routing thread.
    std::atomic<std::int64_t> failed_at_ns{0};  // monotonic time of the last failure; 0: none
    std::atomic<bool> sync_failed{false};
  };

  JournalStage() = default;
  void run();  // the journal thread
  void store(JournalBatch& batch);
  void run_reader();  // the reader thread
  static void read_slice(ReplaySlice& slice);

  std::vector<std::unique_ptr<Stream>> streams_;
  std::vector<StreamRecovery> recoveries_;
  std::vector<std::unique_ptr<JournalBatch>> batches_;  // all kMaxBatches, made at open
  // Routing thread only.
  JournalBatch* filling_ = nullptr;
  std::vector<JournalBatch*> spare_;
  std::size_t in_flight_ = 0;
  // Between the two threads.
  SpscRing<JournalBatch*, kMaxBatches + 1> to_journal_;
  SpscRing<JournalBatch*, kMaxBatches + 1> done_;
  std::vector<journal::Record> records_;  // journal thread: one stream's records of a batch
  int work_fd_ = -1;                      // routing -> journal thread
  int completion_fd_ = -1;                // journal thread -> routing
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  // Replay reads: routing thread -> reader thread -> routing thread (completion_fd_).
  std::vector<std::uint64_t> added_through_;    // routing thread, by stream
  std::vector<std::uint64_t> settled_through_;  // routing thread, by stream
  SpscRing<std::shared_ptr<ReplaySlice>, kMaxReads + 1> reads_;
  SpscRing<std::shared_ptr<ReplaySlice>, kMaxReads + 1> reads_done_;
  std::size_t reads_in_flight_ = 0;  // routing thread
  int read_fd_ = -1;                 // routing -> reader thread
  std::thread reader_;
};

}  // namespace enlace::broker
