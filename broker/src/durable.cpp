// The broker's side of durable streams: which messages go to a journal, the sequence that
// survives restarts, and the publishers' answers once the journal thread is done
// (journal_stage.hpp has the threads; docs/protocol.md 6.2 what an Ack means).
#include <poll.h>

#include <bit>

#include "broker.hpp"
#include "enlace/journal/error.hpp"
#include "enlace/protocol/clock.hpp"
#include "log.hpp"

namespace enlace::broker {
namespace {

// At shutdown, the longest the broker waits for the journal to store what it holds.
constexpr std::int64_t kJournalDrainNs = 5'000'000'000;

}  // namespace

void Broker::open_journals() {
  const auto& streams = policy_->durable_streams();
  if (streams.empty()) return;
  if (config_.data_dir.empty()) {
    throw std::runtime_error(fmt::format(
        "the policy names {} durable stream(s) ('{}' at line {}), which need a data directory: "
        "give --data-dir",
        streams.size(), streams.front().name, streams.front().where.line));
  }
  auto stage = JournalStage::open(config_.data_dir, streams);
  if (!stage) throw std::runtime_error(stage.error().reason);
  journal_ = std::move(*stage);
  for (const StreamRecovery& r : journal_->recoveries()) {
    const journal::RecoveryReport& report = r.report;
    metrics_.journal_records_recovered += report.records;
    metrics_.journal_bytes_truncated += report.truncated_bytes;
    metrics_.journal_corrupt_records += report.corrupt_records;
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(report.duration).count();
    // Each file cut, by name (the operator's log only): a torn tail is what a crash leaves,
    // anything else is damage that cost the records after it.
    for (const journal::SegmentCut& cut : report.cuts) {
      const std::string path = cut.segment.string();
      const log::Escaped segment = log::escaped(path, kLoggedPathBytes);
      const std::string_view removed = cut.removed ? " (the file was removed)" : "";
      if (cut.stop == journal::format::ScanStop::torn) {
        log::warn(
            "durable stream '{}': segment '{}' has a torn tail at offset {}: {}; {} bytes of an "
            "interrupted write cut off after sequence {}{}",
            r.name, segment, cut.offset, cut.cause, cut.bytes, cut.after_sequence, removed);
      } else {
        log::error(
            "durable stream '{}': segment '{}' is damaged at offset {}: {}; {} bytes cut off, "
            "the records after sequence {} in it lost{}",
            r.name, segment, cut.offset, cut.cause, cut.bytes, cut.after_sequence, removed);
      }
    }
    if (report.truncated_bytes > 0 || report.corrupt_records > 0 || report.segments_removed > 0) {
      log::warn(
          "durable stream '{}': recovered {} messages in {} segments in {} ms; cut off {} "
          "bytes of torn or corrupt tail ({} corrupt records, {} damaged segments removed)",
          r.name, report.records, report.segments, ms, report.truncated_bytes,
          report.corrupt_records, report.segments_removed);
    } else {
      log::info("durable stream '{}': {} messages in {} segments, last sequence {} ({} ms)", r.name,
                report.records, report.segments, report.last_sequence, ms);
    }
  }
  auto mark = journal::SequenceReservation::open(config_.data_dir / "journal" / "sequence",
                                                 journal_->last_sequence());
  if (!mark) throw std::runtime_error("sequence mark: " + mark.error().reason);
  sequence_mark_.emplace(std::move(*mark));
  sequence_ = sequence_mark_->peek() - 1;
  log::info("sequences continue at {}", sequence_ + 1);
  map_durable_streams();
}

void Broker::map_durable_streams() {
  journal_stream_of_.clear();
  for (const policy::DurableStream& stream : policy_->durable_streams()) {
    const int index = journal_ ? journal_->index_of(stream) : -1;
    if (index < 0) {
      log::warn(
          "durable stream '{}' was added after the broker started: its publishes are "
          "refused (storage_unavailable) until a restart opens its journal",
          stream.name);
    }
    journal_stream_of_.push_back(index);
  }
}

int Broker::durable_stream_for(Session& session, const topic::Tokens& tokens, std::size_t bytes,
                               const Peer& peer, Ids ids) {
  const policy::DurableStream* stream = policy_->durable_stream_for(tokens);
  if (stream == nullptr) return -1;
  const int index =
      journal_stream_of_[static_cast<std::size_t>(stream - policy_->durable_streams().data())];
  std::string why;
  if (index < 0) {
    why = fmt::format(
        "durable stream '{}' has no journal open yet: the broker must be "
        "restarted to open it",
        stream->name);
  } else if (!journal_->available(static_cast<std::uint32_t>(index), peer.arrival_ns, why)) {
    // why says it
  } else if (!journal_->has_room(bytes + 512)) {
    why = fmt::format("the journal queue is full ({} batches being stored); retry",
                      journal_->in_flight());
  } else {
    return index;
  }
  ++metrics_.journal_refused;
  refuse(&session, session.routing_id, Errc::storage_unavailable, ids, "{}", why);
  return -2;
}

std::uint64_t Broker::next_marked_sequence() {
  // Once per block of a million, this writes the mark (a small file, fdatasync) on the
  // routing thread. If that fails, numbering goes on in memory: every sequence is still
  // new in this run, and after a restart the journals' own last sequences keep durable
  // messages' numbers unique.
  if (auto next = sequence_mark_->next()) {
    sequence_ = *next;
  } else {
    ++sequence_;
    log::error("sequence mark: {} (numbering continues at {})", next.error().reason, sequence_);
  }
  return sequence_;
}

void Broker::journal_message(int stream, Session& session, std::string_view topic,
                             wire::Bytes envelope, std::uint64_t sequence, std::int64_t receive_ns,
                             Ids ids, std::uint32_t audience_count) {
  // The header: the authenticated origin (nation, system), each with its length byte;
  // replay and recovery decide audiences from it under the policy then in force.
  origin_scratch_.clear();
  for (std::string_view part :
       {std::string_view(session.nation_code), std::string_view(session.system_id)}) {
    origin_scratch_.push_back(static_cast<std::uint8_t>(part.size()));
    origin_scratch_.insert(origin_scratch_.end(), part.begin(), part.end());
  }
  JournalEntry entry;
  entry.stream = static_cast<std::uint32_t>(stream);
  entry.sequence = sequence;
  entry.time_ns = receive_ns;
  entry.ack = ids.awaited;
  entry.session_id = session.session_id;
  if (ids.message_id != nullptr) entry.message_id = *ids.message_id;
  entry.audience_count = audience_count;
  journal_->add(entry, topic, origin_scratch_, envelope, session.routing_id);
}

void Broker::drain_journal() {
  if (!journal_) return;
  const std::int64_t deadline = protocol::monotonic_ns() + kJournalDrainNs;
  while (true) {
    journal_->hand_over();  // again after each completion: it may have held a batch back
    if (journal_->in_flight() == 0 || protocol::monotonic_ns() >= deadline) break;
    pollfd fd{journal_->completion_fd(), POLLIN, 0};
    ::poll(&fd, 1, 100);
    handle_journal_completions();
  }
}

void Broker::handle_journal_completions() {
  journal_->completed(
      [&](const JournalBatch& batch) { answer_journaled(batch); },
      [&](std::shared_ptr<ReplaySlice> slice) { replay_slice_read(std::move(slice)); });
}

void Broker::answer_journaled(const JournalBatch& batch) {
  for (const JournalEntry& e : batch.entries) {
    ++(e.stored ? metrics_.journal_stored : metrics_.journal_store_failed);
    if (!e.ack) continue;
    const std::string routing_id(batch.text(e.routing_id_at, e.routing_id_bytes));
    Session* session = find_session(routing_id);
    if (session == nullptr || session->session_id != e.session_id) {
      ++metrics_.journal_acks_orphaned;  // the publisher left; its resume says what it missed
      continue;
    }
    if (e.stored) {
      send_ack(*session, 0, &e.message_id, e.sequence, e.audience_count);
    } else {
      // The stream and what failed, never the broker's file paths (the log has them).
      refuse(session, routing_id, Errc::storage_unavailable, Ids{0, &e.message_id, true},
             "not stored: durable stream '{}': storing in the journal failed: {}",
             journal_->name(e.stream), journal::without_path(batch.failures[e.stream]));
    }
  }
  for (std::uint32_t s = 0; s < batch.failures.size(); ++s) {
    if (!batch.failures[s].empty()) {
      log::error("durable stream '{}': storing in the journal failed: {}", journal_->name(s),
                 batch.failures[s]);
    }
  }
}

}  // namespace enlace::broker
