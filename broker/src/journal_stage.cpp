#include "journal_stage.hpp"

#include <poll.h>
#include <sys/eventfd.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "enlace/protocol/clock.hpp"
#include "log.hpp"

namespace enlace::broker {
namespace {

// After a failed write, a stream refuses messages for this long before trying again: a
// full disk is not retried for every message, and what is refused is not delivered either.
constexpr std::int64_t kRetryAfterFailureNs = 1'000'000'000;

void signal(int fd) {
  const std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(fd, &one, sizeof(one));
}

}  // namespace

void log_journal_damage(std::string_view stream, const journal::Damage& damage,
                        std::string_view reader) {
  log::error(
      "durable stream '{}': damaged record in segment '{}' at offset {} ({}): {} skipped the "
      "{} bytes after it, the records after sequence {} in that segment",
      stream, log::escaped(damage.segment.string(), kLoggedPathBytes), damage.offset,
      journal::format::describe(damage.what), reader, damage.bytes_skipped, damage.after_sequence);
}

void JournalBatch::clear() {
  bytes.clear();
  entries.clear();
  failures.clear();
}

Result<std::unique_ptr<JournalStage>> JournalStage::open(
    const std::filesystem::path& data_dir, const std::vector<policy::DurableStream>& streams) {
  std::unique_ptr<JournalStage> stage(new JournalStage());
  for (const policy::DurableStream& config : streams) {
    journal::Options options;
    options.retention.max_age = std::chrono::seconds(config.max_age_seconds);
    options.retention.max_bytes = config.max_bytes;
    options.retention.max_messages = config.max_messages;
    // Retention drops whole segments: at least eight of them fit in max_bytes.
    options.segment_bytes =
        std::clamp<std::uint64_t>(config.max_bytes / 8, 128 * 1024, 64ULL * 1024 * 1024);
    auto opened = journal::Journal::open(data_dir / "journal" / config.name, options);
    if (!opened) {
      return ErrorInfo{Errc::storage_unavailable,
                       fmt::format("durable stream '{}': {}", config.name, opened.error().reason)};
    }
    auto stream = std::make_unique<Stream>();
    stream->name = config.name;
    stream->durability = config.durability;
    stream->journal = std::move(*opened);
    stage->recoveries_.push_back({config.name, stream->journal->recovery()});
    stage->streams_.push_back(std::move(stream));
  }
  for (std::size_t i = 0; i < kMaxBatches; ++i) {
    stage->batches_.push_back(std::make_unique<JournalBatch>());
    stage->spare_.push_back(stage->batches_.back().get());
  }
  stage->filling_ = stage->spare_.back();
  stage->spare_.pop_back();
  stage->work_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  stage->completion_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (stage->work_fd_ < 0 || stage->completion_fd_ < 0) {
    return ErrorInfo{Errc::storage_unavailable, fmt::format("eventfd: {}", std::strerror(errno))};
  }
  stage->read_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (stage->read_fd_ < 0) {
    return ErrorInfo{Errc::storage_unavailable, fmt::format("eventfd: {}", std::strerror(errno))};
  }
  stage->added_through_.assign(stage->streams_.size(), 0);
  stage->settled_through_.assign(stage->streams_.size(), 0);
  stage->thread_ = std::thread([s = stage.get()] { s->run(); });
  stage->reader_ = std::thread([s = stage.get()] { s->run_reader(); });
  return stage;
}

JournalStage::~JournalStage() {
  stopping_.store(true);
  if (reader_.joinable()) {
    signal(read_fd_);
    reader_.join();
  }
  if (thread_.joinable()) {
    signal(work_fd_);
    thread_.join();
  }
  // The journals close cleanly here (index files written), after the last batch.
  for (auto& stream : streams_) {
    if (auto closed = stream->journal->close(); !closed)
      log::warn("durable stream '{}': closing: {}", stream->name, closed.error().reason);
  }
  if (work_fd_ >= 0) ::close(work_fd_);
  if (completion_fd_ >= 0) ::close(completion_fd_);
  if (read_fd_ >= 0) ::close(read_fd_);
}

std::uint64_t JournalStage::last_sequence() const noexcept {
  std::uint64_t last = 0;
  for (const auto& stream : streams_) last = std::max(last, stream->journal->last_sequence());
  return last;
}

int JournalStage::index_of(const policy::DurableStream& stream) const noexcept {
  for (std::size_t i = 0; i < streams_.size(); ++i) {
    if (streams_[i]->name == stream.name) return static_cast<int>(i);
  }
  return -1;
}

bool JournalStage::available(std::uint32_t stream, std::int64_t now_ns, std::string& why) const {
  const Stream& s = *streams_[stream];
  if (s.sync_failed.load(std::memory_order_relaxed)) {
    why = fmt::format(
        "durable stream '{}' stores nothing since an fdatasync failed; the broker "
        "must be restarted once its storage is repaired",
        s.name);
    return false;
  }
  const std::int64_t failed_at = s.failed_at_ns.load(std::memory_order_relaxed);
  if (failed_at != 0 && now_ns - failed_at < kRetryAfterFailureNs) {
    why = fmt::format("durable stream '{}' could not store its last messages; retried in a second",
                      s.name);
    return false;
  }
  return true;
}

bool JournalStage::has_room(std::size_t bytes) const noexcept {
  // An empty batch takes any message (the broker's own limit bounds it); a full one waits
  // for its hand-over.
  return filling_ != nullptr &&
         (filling_->entries.empty() || filling_->bytes.size() + bytes <= kMaxBatchBytes);
}

void JournalStage::add(const JournalEntry& entry, std::string_view topic,
                       std::span<const std::uint8_t> header, std::span<const std::uint8_t> envelope,
                       std::string_view routing_id) {
  JournalBatch& batch = *filling_;
  JournalEntry& added = batch.entries.emplace_back(entry);
  added_through_[entry.stream] = entry.sequence;
  const auto append = [&](const void* data, std::size_t size, std::uint32_t& at,
                          std::uint32_t& bytes) {
    at = static_cast<std::uint32_t>(batch.bytes.size());
    bytes = static_cast<std::uint32_t>(size);
    const auto* first = static_cast<const std::uint8_t*>(data);
    batch.bytes.insert(batch.bytes.end(), first, first + size);
  };
  append(topic.data(), topic.size(), added.topic_at, added.topic_bytes);
  append(header.data(), header.size(), added.header_at, added.header_bytes);
  append(envelope.data(), envelope.size(), added.envelope_at, added.envelope_bytes);
  append(routing_id.data(), routing_id.size(), added.routing_id_at, added.routing_id_bytes);
}

void JournalStage::hand_over() {
  if (filling_ == nullptr || filling_->entries.empty()) return;
  // Group commit: while the journal thread has a batch to store and the next one queued,
  // this one keeps filling, so that a slow journal (fdatasync) gets more records per
  // write and sync rather than more, smaller batches; with fewer ahead it goes at once,
  // so that at low rates no record waits. A full batch goes too.
  if (in_flight_ >= kBatchesAhead && filling_->bytes.size() < kMaxBatchBytes / 2) return;
  to_journal_.push(filling_);  // never full: the ring has a slot for every batch
  ++in_flight_;
  signal(work_fd_);
  // With every batch at the journal thread, nothing is taken until one comes back.
  filling_ = nullptr;
  if (!spare_.empty()) {
    filling_ = spare_.back();
    spare_.pop_back();
  }
}

void JournalStage::run() {
  // Retention every few seconds, on this thread: it deletes files.
  constexpr std::int64_t kRetentionIntervalNs = 5'000'000'000;
  std::int64_t next_retention = 0;
  while (true) {
    pollfd fd{work_fd_, POLLIN, 0};
    ::poll(&fd, 1, 1000);
    std::uint64_t count = 0;
    [[maybe_unused]] auto n = ::read(work_fd_, &count, sizeof(count));
    bool any = false;
    while (auto batch = to_journal_.pop()) {
      store(**batch);
      if (!done_.push(*batch)) std::abort();  // the ring holds every batch
      any = true;
    }
    if (any) signal(completion_fd_);
    if (const std::int64_t now = protocol::monotonic_ns(); now >= next_retention) {
      next_retention = now + kRetentionIntervalNs;
      for (auto& stream : streams_) {
        const auto removed = stream->journal->enforce_retention(protocol::utc_ns());
        if (removed.segments > 0) {
          log::info("durable stream '{}': retention removed {} segments, {} messages, {} bytes",
                    stream->name, removed.segments, removed.records, removed.bytes);
        }
      }
    }
    if (stopping_.load()) return;  // after the last batch handed over
  }
}

void JournalStage::store(JournalBatch& batch) {
  batch.failures.assign(streams_.size(), std::string());
  std::vector<journal::Record>& records = records_;
  for (std::uint32_t s = 0; s < streams_.size(); ++s) {
    Stream& stream = *streams_[s];
    records.clear();
    for (const JournalEntry& e : batch.entries) {
      if (e.stream != s) continue;
      records.push_back({e.sequence,
                         e.time_ns,
                         batch.text(e.topic_at, e.topic_bytes),
                         {batch.bytes.data() + e.header_at, e.header_bytes},
                         {batch.bytes.data() + e.envelope_at, e.envelope_bytes}});
    }
    if (records.empty()) continue;
    Status stored = stream.sync_failed.load()
                        ? Status(Errc::storage_unavailable, "an earlier fdatasync failed")
                        : stream.journal->append(records);
    if (stored && stream.durability == policy::Durability::fsync) {
      stored = stream.journal->sync();
      // After a failed fdatasync the page cache can no longer be trusted to hold what was
      // written: nothing more is acknowledged from this journal (docs/protocol.md 6.2).
      if (!stored) stream.sync_failed.store(true);
    }
    // A failed append may have stored the first part of the records (up to the journal's
    // last sequence); a failed sync stored none durably.
    const std::uint64_t stored_through =
        stored ? records.back().sequence
               : (stream.sync_failed.load() ? 0 : stream.journal->last_sequence());
    for (JournalEntry& e : batch.entries) {
      if (e.stream == s) e.stored = e.sequence <= stored_through;
    }
    if (!stored) {
      batch.failures[s] = stored.error().reason;
      stream.failed_at_ns.store(protocol::monotonic_ns());
    }
  }
}

bool JournalStage::read(std::shared_ptr<ReplaySlice> slice) {
  if (reads_in_flight_ >= kMaxReads) return false;
  slice->reading = true;
  slice->settled_when_asked = settled_through_[slice->stream];
  if (!reads_.push(std::move(slice))) std::abort();  // the ring holds kMaxReads
  ++reads_in_flight_;
  signal(read_fd_);
  return true;
}

void JournalStage::run_reader() {
  // Reads replay slices with pread, so that the routing thread does no disk I/O.
  while (!stopping_.load()) {
    pollfd fd{read_fd_, POLLIN, 0};
    ::poll(&fd, 1, 1000);
    std::uint64_t count = 0;
    [[maybe_unused]] auto n = ::read(read_fd_, &count, sizeof(count));
    bool any = false;
    while (auto slice = reads_.pop()) {
      read_slice(**slice);
      if (!reads_done_.push(std::move(*slice))) std::abort();  // as many slots as reads_
      any = true;
    }
    if (any) signal(completion_fd_);
  }
}

void JournalStage::read_slice(ReplaySlice& slice) {
  slice.error.clear();
  slice.records = {};
  if (slice.buffer.empty()) slice.buffer.resize(kSliceBytes);
  while (true) {
    auto read = slice.cursor.read(slice.buffer, std::numeric_limits<std::size_t>::max());
    if (read) {
      slice.records = *read;
      return;
    }
    // A record larger than the buffer: the buffer grows to hold it (records are bounded
    // by journal::format::kMaxRecordBytes), once.
    if (read.error().code == Errc::invalid_argument &&
        slice.buffer.size() < journal::format::kMaxRecordBytes) {
      slice.buffer.resize(journal::format::kMaxRecordBytes);
      continue;
    }
    slice.error = read.error().reason;
    return;
  }
}

}  // namespace enlace::broker
