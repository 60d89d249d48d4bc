// Replays from the journals of durable streams (docs/protocol.md 5.3, "Replay").
//
// The hand-over to live traffic is the snapshot's (cop.cpp), by sequence number: when the
// broker handles a Subscribe with `replay_from`, the subscription enters the trie at once
// and the broker's last sequence becomes the replay's horizon H. Every matching message
// after H is delivered live; the replay sends the journaled messages from the requested
// start up to H, in sequence order, merged across the streams the pattern overlaps
// (replay_merge.hpp). No gap: the replay of a stream ends only once the journal thread has
// settled every message up to the last one given to that stream before the Subscribe
// (JournalStage's added_through and settled_through), and a read after that found nothing
// more. No duplicate: nothing above H is replayed. Each record passes the same checks as a live
// delivery, under the policy in force when it is sent: its publisher is still a system of
// the coalition and the topic still its to publish, and the subscriber's nation is in the
// audience its label gets now.
//
// Runs on the routing thread, which never reads a file: the journal stage's reader thread
// reads each stream's next slice into a ReplaySlice while the routing thread sends the
// slices it has, at most kPassBytes per replay per loop pass and only while the
// subscriber's connection has no backlog (its flow control). A session's replays are sent
// one after another, in request order; only the first holds read buffers.
#include <algorithm>
#include <limits>

#include "broker.hpp"
#include "enlace/journal/error.hpp"
#include "enlace/protocol/aligned.hpp"
#include "enlace/protocol/clock.hpp"
#include "enlace/protocol/control.hpp"
#include "journal_origin.hpp"
#include "log.hpp"
#include "replay_merge.hpp"
#include "stored_label.hpp"

namespace enlace::broker {
namespace {

// What one pass may spend on one replay: deliveries of at most this many bytes.
constexpr std::size_t kPassBytes = 64 * 1024;

}  // namespace

std::vector<std::uint32_t> Broker::replay_streams(std::string_view pattern) const {
  std::vector<std::uint32_t> streams;
  const auto& durable = policy_->durable_streams();
  for (std::size_t i = 0; i < durable.size(); ++i) {
    if (journal_stream_of_.size() <= i || journal_stream_of_[i] < 0) continue;
    const bool overlaps =
        std::any_of(durable[i].topics.begin(), durable[i].topics.end(),
                    [&](const std::string& topics) { return topic::overlaps(topics, pattern); });
    if (overlaps) streams.push_back(static_cast<std::uint32_t>(journal_stream_of_[i]));
  }
  return streams;
}

void Broker::start_replay(Session& session, const SessionSubscription& subscription,
                          const wire::Subscribe& request, std::vector<std::uint32_t> streams) {
  ++metrics_.replays_started;
  ReplayStream replay;
  replay.subscription = &subscription;
  replay.request_id = request.request_id();
  replay.horizon = sequence_;
  replay.from = request.replay_from();
  replay.from_value = request.replay_value();
  replay.streams = std::move(streams);
  replay.started_ns = protocol::monotonic_ns();
  for (std::uint32_t stream : replay.streams)
    replay.targets.push_back(journal_->added_through(stream));
  session.replays.push_back(std::move(replay));
  if (session.replays.size() == 1) replaying_.push_back(&session);
}

void Broker::open_replay(const Session& session, ReplayStream& replay) {
  for (std::size_t i = 0; i < replay.streams.size(); ++i) {
    auto slice =
        std::make_shared<ReplaySlice>(replay.streams[i], journal_->cursor(replay.streams[i]));
    switch (replay.from) {
      case wire::ReplayFrom::Sequence:
        slice->cursor.seek_sequence(replay.from_value);
        break;
      case wire::ReplayFrom::Time:
        slice->cursor.seek_time(static_cast<std::int64_t>(
            std::min<std::uint64_t>(replay.from_value, std::numeric_limits<std::int64_t>::max())));
        break;
      default:  // Earliest, or a start a later version defined: everything kept
        slice->cursor.seek_earliest();
        break;
    }
    slice->target = replay.targets[i];
    slice->session_id = session.session_id;
    slice->horizon = replay.horizon;
    replay.slices.push_back(std::move(slice));
  }
}

bool Broker::replay_can_advance() const noexcept {
  return std::any_of(replaying_.begin(), replaying_.end(), [](const Session* session) {
    return session->replays.front().blocked && session->connection->sendable();
  });
}

void Broker::advance_replays() {
  replays_due_ = false;
  for (std::size_t i = 0; i < replaying_.size();) {
    Session& session = *replaying_[i];
    ReplayStream& replay = session.replays.front();
    // A replay waits while its connection's queue drains (replay_can_advance() says
    // when it has).
    replay.blocked = !session.connection->sendable();
    if (replay.blocked) {
      ++i;
      continue;
    }
    if (replay.slices.empty() && !replay.streams.empty()) open_replay(session, replay);
    std::size_t bytes = 0;
    ReplayStep step;
    while (bytes < kPassBytes) {
      step = next_replayed(replay.slices, replay.horizon, *journal_);
      if (step.kind != ReplayStep::Kind::record) break;
      if (const std::size_t sent = replay_record(session, replay, *step.record); sent > 0) {
        bytes += sent;
        ++replay.sent;
      }
    }
    if (bytes >= kPassBytes) replays_due_ = true;
    if (step.kind == ReplayStep::Kind::failed) {
      const ReplaySlice* failed = step.slice;
      // The stream by its policy name (docs/protocol.md 5.3: the Error names it).
      std::string_view stream = "(removed from the policy)";
      const auto& durable = policy_->durable_streams();
      for (std::size_t s = 0; s < durable.size() && s < journal_stream_of_.size(); ++s) {
        if (journal_stream_of_[s] == static_cast<int>(failed->stream)) stream = durable[s].name;
      }
      ++metrics_.replays_failed;
      log::error(
          "replay for session {} ('{}', pattern '{}') failed: durable stream '{}': reading the "
          "journal failed: {}",
          session.session_id, session.system_id, log::escaped(replay.subscription->pattern, 80),
          stream, failed->error);
      // The stream and what failed, never the broker's file paths (the log has them).
      refuse(&session, session.routing_id, Errc::storage_unavailable, {replay.request_id},
             "replay stopped after {} messages: durable stream '{}': reading the journal "
             "failed: {}",
             replay.sent, stream, journal::without_path(failed->error));
    } else if (step.kind == ReplayStep::Kind::finished) {
      const std::int64_t took_ns = protocol::monotonic_ns() - replay.started_ns;
      std::uint64_t damaged = 0;
      for (const auto& slice : replay.slices) damaged += slice->damaged;
      ++metrics_.replays_served;
      if (damaged > 0) {
        log::warn(
            "replay for session {} ('{}', pattern '{}'): {} messages in {} ms; {} damaged "
            "journal records skipped, with what followed them in their segments",
            session.session_id, session.system_id, log::escaped(replay.subscription->pattern, 80),
            replay.sent, took_ns / 1'000'000, damaged);
      } else {
        log::debug("replay for session {} ('{}', pattern '{}'): {} messages in {} ms",
                   session.session_id, session.system_id,
                   log::escaped(replay.subscription->pattern, 80), replay.sent,
                   took_ns / 1'000'000);
      }
      protocol::build_end_of_replay(control_fbb_, replay.request_id, replay.sent, replay.horizon,
                                    damaged);
      enqueue(*session.connection, pass_buffer_.append(wire::Command::control, control_fbb_));
    } else {
      ++i;
      continue;
    }
    for (const auto& slice : replay.slices) slice->cancelled = true;  // dropped when back
    session.replays.erase(session.replays.begin());
    if (session.replays.empty()) {
      replaying_.erase(replaying_.begin() + static_cast<std::ptrdiff_t>(i));
    } else {
      ++i;
    }
  }
}

bool Broker::admit_journaled(const journal::Record& record, const topic::Tokens& tokens,
                             JournaledMessage& out) {
  // The stored envelope is read as a publish is: verified first (from an aligned copy; the
  // journal packs its records). Checksums caught what the disk damaged; this catches the rest.
  out.envelope = protocol::aligned_view(record.envelope, replay_aligned_);
  std::string_view system_id;
  if (!read_origin(record.header, out.nation, system_id) ||
      wire::verify_body({wire::Command::publish, 0, out.envelope}) != Errc::ok) {
    ++metrics_.replay_records_unreadable;
    return false;
  }
  out.system = policy_->find_system(system_id);
  if (out.system == nullptr || out.system->revoked ||
      policy_->nations()[out.system->nation].code != out.nation ||
      !policy_->check_publish(*out.system, record.topic, tokens).allowed) {
    ++metrics_.replay_records_withdrawn;  // its publisher is gone, or no longer publishes it
    return false;
  }
  policy::Classification classification;
  read_stored_label(*wire::GetEnvelope(out.envelope.data()), label_nations_, classification);
  const policy::Audience audience =
      policy_->audience(*out.system, tokens, label_nations_, classification);
  out.audience = audience.label.allowed ? audience.nations : 0;
  return true;
}

std::size_t Broker::replay_record(Session& session, const ReplayStream& replay,
                                  const journal::Record& record) {
  topic::Tokens tokens;
  if (!tokens.split(record.topic) || !topic::matches(replay.subscription->tokens, tokens)) return 0;
  JournaledMessage message;
  if (!admit_journaled(record, tokens, message)) return 0;
  if ((message.audience & session.nation_bit) == 0) {
    ++metrics_.denied_by_audience;
    return 0;
  }
  const policy::System& system = *message.system;
  auto templ = replay_templates_.find(system.id);
  if (templ == replay_templates_.end()) {
    templ = replay_templates_
                .emplace(system.id, DeliveryTemplate({.nation = message.nation,
                                                      .system = system.id,
                                                      .role = policy_->roles()[system.role].name,
                                                      .broker_id = config_.broker_id,
                                                      .replayed = true}))
                .first;
  }
  const protocol::RecordRef delivery =
      append_delivery(templ->second, record.sequence, record.time_ns, message.envelope);
  ++session.deliveries_routed;
  enqueue(*session.connection, delivery);
  ++metrics_.replay_deliveries;
  return delivery.size;
}

void Broker::stop_replays(Session& session, const SessionSubscription& subscription) {
  const auto stopped = std::erase_if(session.replays, [&](ReplayStream& replay) {
    if (replay.subscription != &subscription) return false;
    for (const auto& slice : replay.slices) slice->cancelled = true;  // dropped when back
    return true;
  });
  if (stopped == 0) return;
  metrics_.replays_stopped += stopped;
  if (session.replays.empty()) std::erase(replaying_, &session);
}

void Broker::replay_slice_read(std::shared_ptr<ReplaySlice> slice) {
  // Damaged records the read met (docs/protocol.md 5.3, "Damage"): counted and logged
  // whatever became of the replay; its EndOfReplay counts those that may hide messages up
  // to its horizon (what followed one whose predecessor is above it is live traffic).
  for (const journal::Damage& damage : slice->cursor.take_damage()) {
    ++metrics_.replay_records_damaged;
    if (damage.after_sequence < slice->horizon) ++slice->damaged;
    log_journal_damage(journal_->name(slice->stream), damage,
                       fmt::format("a replay for session {}", slice->session_id));
  }
  // A cancelled slice's replay is gone: the last reference goes with this one.
  if (!slice->cancelled) slice->next = 0;
}

}  // namespace enlace::broker
