// The COP cache on the message path and the snapshots it serves (docs/protocol.md 5.3).
//
// The hand-over between a snapshot and live traffic is defined by sequence number. When the
// broker handles a Subscribe with `snapshot`, the subscription enters the trie at once and the
// broker's last sequence becomes the snapshot's horizon H. From then on every message that
// matches is delivered live (sequence > H); the snapshot sends, of each cached topic, the
// entry the cache holds when the walk reaches it, only if its sequence is <= H. A topic
// updated during the walk therefore reaches the subscriber once, live, and never again from
// the snapshot: no duplicate; and every topic cached at H is either in the snapshot or was
// updated live since: no gap. Each entry passes the same audience test as a live delivery,
// with the audience recomputed at every reload, and is skipped once stale.
//
// Runs on the routing thread, a slice per loop pass for each snapshot whose connection has
// no backlog, so that a large snapshot neither stalls routing nor outruns its subscriber.
#include <algorithm>
#include <limits>
#include <unordered_map>

#include "broker.hpp"
#include "enlace/protocol/clock.hpp"
#include "enlace/protocol/control.hpp"
#include "log.hpp"
#include "stored_label.hpp"

namespace enlace::broker {
namespace {

// What one pass may spend on one snapshot: deliveries of at most this many bytes, and at
// most this many slots looked at (most may be other topics).
constexpr std::size_t kSliceBytes = 64 * 1024;
constexpr std::size_t kSliceSlots = 4096;

constexpr std::int64_t kNsPerSecond = 1'000'000'000;

}  // namespace

void Broker::cache_message(const Session& publisher, const wire::Envelope& envelope,
                           wire::Bytes envelope_bytes, policy::NationMask audience,
                           std::uint64_t sequence, std::int64_t receive_ns) {
  const std::int64_t stale_ns = stale_time_of(envelope, receive_ns);
  if (stale_ns <= receive_ns) {
    ++metrics_.cop_stale_on_arrival;  // nothing to show a late joiner
    return;
  }
  cop_.store(envelope.topic()->string_view(), envelope_bytes, publisher.cached_origin, sequence,
             receive_ns, stale_ns, audience);
}

std::int64_t Broker::stale_time_of(const wire::Envelope& envelope,
                                   std::int64_t receive_ns) const noexcept {
  if (const std::int64_t stale_ns = envelope.stale_time_ns(); stale_ns != 0) return stale_ns;
  const auto kind = static_cast<std::size_t>(envelope.payload_type());
  // A kind this broker's schema does not know (a newer publisher's) takes the default.
  return receive_ns +
         (kind < stale_ns_by_kind_.size() ? stale_ns_by_kind_[kind] : default_stale_ns_);
}

void Broker::restore_cop_from_journals() {
  if (!journal_ || policy_->cop().cached.empty()) return;
  // At start, before the broker serves (the one time the routing thread reads a journal):
  // each stream from its oldest record, so the newest message of each cached topic wins, as
  // it did before the restart. Every record is checked as a replay checks it, under the
  // policy the broker starts with.
  const std::int64_t started_ns = protocol::monotonic_ns();
  const std::int64_t now_utc = protocol::utc_ns();
  std::unordered_map<std::string, std::shared_ptr<const CachedOrigin>> origins;
  std::vector<std::uint8_t> buffer(JournalStage::kSliceBytes);
  topic::Tokens tokens;
  std::uint64_t read = 0, restored = 0, damaged = 0;
  for (std::uint32_t stream = 0; stream < journal_->streams(); ++stream) {
    journal::Cursor cursor = journal_->cursor(stream);
    while (true) {
      auto records = cursor.read(buffer, std::numeric_limits<std::size_t>::max());
      // Damage in a sealed segment recovery did not scan (its index was valid): found at
      // start like recovery's, and counted with it.
      for (const journal::Damage& damage : cursor.take_damage()) {
        ++damaged;
        log_journal_damage(journal_->name(stream), damage, "restoring the COP cache");
      }
      if (!records) {
        if (records.error().code == Errc::invalid_argument &&
            buffer.size() < journal::format::kMaxRecordBytes) {
          buffer.resize(journal::format::kMaxRecordBytes);  // one record larger than a slice
          continue;
        }
        log::error("COP cache: reading durable stream '{}': {}", journal_->name(stream),
                   records.error().reason);
        break;
      }
      if (records->empty()) break;
      for (const journal::Record& record : *records) {
        ++read;
        JournaledMessage message;
        if (!tokens.split(record.topic) || !policy_->cop().caches(tokens) ||
            !admit_journaled(record, tokens, message) || message.audience == 0) {
          continue;
        }
        const std::int64_t stale_ns =
            stale_time_of(*wire::GetEnvelope(message.envelope.data()), record.time_ns);
        if (stale_ns <= now_utc) continue;
        auto& origin = origins[message.system->id];
        if (!origin) {
          const policy::System& system = *message.system;
          origin = std::make_shared<const CachedOrigin>(CachedOrigin{
              DeliveryTemplate({message.nation, system.id, policy_->roles()[system.role].name,
                                config_.broker_id, /*snapshot=*/true}),
              system.id, system.public_key});
        }
        cop_.store(record.topic, message.envelope, origin, record.sequence, record.time_ns,
                   stale_ns, message.audience);
        ++restored;
      }
    }
  }
  metrics_.cop_restored = restored;
  metrics_.journal_corrupt_records += damaged;
  log::info(
      "COP cache: {} messages restored from the durable streams ({} read, {} damaged records "
      "skipped) in {} ms",
      restored, read, damaged, (protocol::monotonic_ns() - started_ns) / 1'000'000);
}

void Broker::start_snapshot(Session& session, const SessionSubscription& subscription,
                            std::uint32_t request_id) {
  ++metrics_.snapshots_started;
  session.snapshots.push_back({.subscription = &subscription,
                               .request_id = request_id,
                               .horizon = sequence_,
                               .started_ns = protocol::monotonic_ns()});
  if (session.snapshots.size() == 1) snapshotting_.push_back(&session);
}

bool Broker::snapshot_can_advance() const noexcept {
  return std::any_of(snapshotting_.begin(), snapshotting_.end(),
                     [](const Session* session) { return session->connection->sendable(); });
}

void Broker::advance_snapshots() {
  if (snapshotting_.empty()) return;
  const std::int64_t now_utc = protocol::utc_ns();
  topic::Tokens tokens;
  for (std::size_t i = 0; i < snapshotting_.size();) {
    Session& session = *snapshotting_[i];
    Connection& connection = *session.connection;
    // Under the subscriber's flow control: the next slice waits until the previous ones
    // have left the queue (the pipe took them). A detached session waits for its resume.
    if (!connection.sendable()) {
      ++i;
      continue;
    }
    SnapshotStream& stream = session.snapshots.front();
    const topic::Tokens& pattern = stream.subscription->tokens;
    std::size_t bytes = 0;
    const std::size_t end = std::min(cop_.slot_count(), stream.next_slot + kSliceSlots);
    for (; stream.next_slot < end && bytes < kSliceBytes; ++stream.next_slot) {
      const CopCache::Entry* entry = cop_.at(stream.next_slot);
      if (entry == nullptr || entry->sequence > stream.horizon || entry->stale_ns <= now_utc)
        continue;
      if ((entry->audience & session.nation_bit) == 0) {
        ++metrics_.denied_by_audience;
        continue;
      }
      if (!tokens.split(entry->topic()) || !topic::matches(pattern, tokens)) continue;
      const protocol::RecordRef record = append_delivery(
          entry->origin->snapshot_template, entry->sequence, entry->receive_ns, entry->envelope());
      ++session.deliveries_routed;
      enqueue(connection, record);
      bytes += record.size;
      ++stream.sent;
      ++metrics_.snapshot_deliveries;
    }
    if (stream.next_slot < cop_.slot_count()) {
      ++i;
      continue;
    }
    // The walk is done: EndOfSnapshot follows the last snapshot delivery on the connection.
    const std::int64_t took_ns = protocol::monotonic_ns() - stream.started_ns;
    ++metrics_.snapshots_served;
    metrics_.snapshot_ns_total += static_cast<std::uint64_t>(took_ns);
    metrics_.snapshot_ns_max =
        std::max(metrics_.snapshot_ns_max, static_cast<std::uint64_t>(took_ns));
    log::debug("snapshot for session {} ('{}', pattern '{}'): {} messages in {} ms",
               session.session_id, session.system_id,
               log::escaped(stream.subscription->pattern, 80), stream.sent, took_ns / 1'000'000);
    protocol::build_end_of_snapshot(control_fbb_, stream.request_id, stream.sent, stream.horizon);
    enqueue(connection, pass_buffer_.append(wire::Command::control, control_fbb_));
    session.snapshots.erase(session.snapshots.begin());
    if (session.snapshots.empty()) {
      snapshotting_.erase(snapshotting_.begin() + static_cast<std::ptrdiff_t>(i));
    } else {
      ++i;
    }
  }
}

void Broker::stop_snapshots(Session& session, const SessionSubscription& subscription) {
  const auto stopped = std::erase_if(session.snapshots, [&](const SnapshotStream& stream) {
    return stream.subscription == &subscription;
  });
  if (stopped == 0) return;
  metrics_.snapshots_stopped += stopped;
  if (session.snapshots.empty()) std::erase(snapshotting_, &session);
}

void Broker::apply_cop_policy() {
  const policy::CopPolicy& cop = policy_->cop();
  default_stale_ns_ = cop.default_stale_seconds * kNsPerSecond;
  stale_ns_by_kind_.fill(default_stale_ns_);
  for (const auto& [kind, seconds] : cop.stale_seconds_by_kind) {
    for (std::size_t i = 1; i < stale_ns_by_kind_.size(); ++i) {
      if (kind == wire::EnumNamesPayload()[i]) stale_ns_by_kind_[i] = seconds * kNsPerSecond;
    }
  }
  cop_.set_limits({cop.max_entries, cop.max_bytes});
  // Each entry under the policy now in force, exactly as a live message would be: its
  // publisher must still be a system with the same key, its topic still cached and still
  // its to publish, and its label's audience is computed anew.
  topic::Tokens tokens;
  std::vector<std::string_view> nations;
  cop_.revise([&](CopCache::Entry& entry) {
    const policy::System* system = policy_->find_system(entry.origin->system_id);
    if (system == nullptr || system->revoked || system->public_key != entry.origin->public_key)
      return false;
    const std::string_view topic = entry.topic();
    if (!tokens.split(topic) || !cop.caches(tokens)) return false;
    if (!policy_->check_publish(*system, topic, tokens).allowed) return false;
    policy::Classification classification;
    read_stored_label(*wire::GetEnvelope(entry.envelope().data()), nations, classification);
    const policy::Audience audience = policy_->audience(*system, tokens, nations, classification);
    if (!audience.label.allowed) return false;
    entry.audience = audience.nations;
    return true;
  });
}

}  // namespace enlace::broker
