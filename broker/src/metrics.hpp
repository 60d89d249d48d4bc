// Broker counters. Plain integers: they are written only by the routing thread, and read
// by the same thread when it reports them, so no atomics are needed.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "cop_cache.hpp"
#include "enlace/error.hpp"
#include "enlace/policy/policy.hpp"

namespace enlace::broker {

struct Metrics {
  std::uint64_t auth_accepted = 0;         // ZAP: key known, handshake allowed
  std::uint64_t auth_refused = 0;          // ZAP: unknown or revoked key
  std::uint64_t auth_refused_cooling = 0;  // ZAP: system cut off, in its cool-down (300)
  std::uint64_t sessions_opened = 0;
  std::uint64_t sessions_closed = 0;         // every session that ended, whatever the reason
  std::uint64_t sessions_open = 0;           // gauge: sessions open now
  std::uint64_t sessions_revoked = 0;        // sessions ended by a policy reload (once each)
  std::uint64_t sessions_expired = 0;        // silent past their heartbeat, or past the probe
  std::uint64_t sessions_released = 0;       // ended because their connection went away
  std::uint64_t sessions_closed_unread = 0;  // ended for leaving answers unread (control bound)
  std::uint64_t sessions_closed_slow = 0;    // ended as slow consumers (slow_consumer_seconds)
  std::uint64_t sessions_said_bye = 0;       // ended by their client (Bye)
  // Resuming (docs/protocol.md 5.2): sessions kept after their connection was lost, resumed
  // by a new one, ended without a resume; Hellos whose resume was refused; and what the
  // resumes' Welcomes said was missed.
  std::uint64_t sessions_detached = 0;
  std::uint64_t sessions_resumed = 0;
  std::uint64_t sessions_resume_expired = 0;
  std::uint64_t resumes_refused = 0;
  std::uint64_t deliveries_missed_on_resume = 0;
  std::uint64_t sessions_detached_now = 0;  // gauge
  // Per-session queues (gauges, at each metrics write): sessions with deliveries waiting,
  // the bytes waiting in all, and the largest queue.
  std::uint64_t sessions_backlogged = 0;
  std::uint64_t session_queue_bytes_total = 0;
  std::uint64_t session_queue_bytes_max = 0;
  /// The largest per-session queues, largest first.
  struct SessionQueue {
    std::uint64_t session_id = 0;
    std::string system_id;
    std::uint64_t bytes = 0;  // deliveries queued and conflated deliveries waiting
    std::uint64_t dropped = 0;
    bool detached = false;
  };
  std::vector<SessionQueue> largest_queues;
  std::uint64_t connections_open = 0;         // gauge: peers with state here (connection.hpp)
  std::uint64_t subscriptions = 0;            // gauge: subscriptions held by all sessions
  std::uint64_t hellos_after_disconnect = 0;  // Hellos read after their connection ended
  std::uint64_t liveness_pings = 0;           // Pings the broker sent to silent sessions
  std::uint64_t sessions_cut_off = 0;         // closed for sustained refusals (flooding)
  std::uint64_t connections_closed = 0;       // TCP connections the broker shut (cut-offs)
  std::uint64_t frames_in = 0;
  std::uint64_t bytes_in = 0;
  std::uint64_t batches_in = 0;
  std::uint64_t frames_out = 0;
  std::uint64_t batches_out = 0;
  std::uint64_t published = 0;              // envelopes accepted
  std::uint64_t deliveries = 0;             // deliveries queued for subscribers (audience passed)
  std::uint64_t dropped_slow_consumer = 0;  // deliveries dropped: subscriber's queue full
  std::uint64_t dropped_slow_consumer_bytes = 0;  // their bytes (frames as sent alone)
  std::uint64_t drop_notices = 0;  // Error{deliveries_dropped} frames sent to slow subscribers
  std::uint64_t deliveries_conflated = 0;  // replaced by a newer one of their topic (5.6)
  std::uint64_t dropped_gone = 0;        // deliveries discarded: their session ended before sending
  std::uint64_t control_dropped = 0;     // control frames not sent: no session, and no room
  std::uint64_t denied_by_audience = 0;  // a matching subscriber's nation was outside the audience
  std::uint64_t errors_sent = 0;
  std::uint64_t errors_suppressed = 0;  // refusals counted but not answered (error rate limit)
  // The COP cache (cop_cache.hpp) and its snapshots (cop.cpp).
  std::uint64_t cop_entries = 0;           // gauge: cached messages
  std::uint64_t cop_bytes = 0;             // gauge: their envelope bytes
  CopCache::Counters cop;                  // stored, replaced, evicted, expired, purged
  std::uint64_t cop_stale_on_arrival = 0;  // cacheable messages already stale: not cached
  std::uint64_t snapshots_started = 0;
  std::uint64_t snapshots_served = 0;   // ended with EndOfSnapshot
  std::uint64_t snapshots_stopped = 0;  // their subscription went first (unsubscribe, reload, end)
  std::uint64_t snapshot_deliveries = 0;
  std::uint64_t cop_restored = 0;  // entries restored from the journals at start
  std::uint64_t replays_started = 0;
  std::uint64_t replays_served = 0;   // ended with EndOfReplay
  std::uint64_t replays_stopped = 0;  // their subscription went first (unsubscribe, reload, end)
  std::uint64_t replays_failed = 0;   // a journal read failed: Error{storage_unavailable}
  std::uint64_t replay_deliveries = 0;
  std::uint64_t replay_records_unreadable =
      0;  // a journaled envelope or origin that does not verify
  std::uint64_t replay_records_withdrawn = 0;  // publisher gone or no longer allowed the topic
  // Damaged journal records replays met, each costing the rest of its segment file (logged
  // with the file; EndOfReplay's `damaged`).
  std::uint64_t replay_records_damaged = 0;
  std::uint64_t snapshot_ns_total = 0;  // from Subscribe to EndOfSnapshot, served snapshots
  std::uint64_t snapshot_ns_max = 0;
  std::uint64_t policy_reloads = 0;
  std::uint64_t policy_reload_failures = 0;
  // Durable streams (journal_stage.hpp).
  std::uint64_t journal_stored = 0;             // messages a journal stored
  std::uint64_t journal_store_failed = 0;       // messages a journal could not store
  std::uint64_t journal_refused = 0;            // durable publishes refused before routing
  std::uint64_t journal_acks_orphaned = 0;      // answers whose publisher's session had ended
  std::uint64_t journal_records_recovered = 0;  // at start, in all journals
  std::uint64_t journal_bytes_truncated = 0;    // at start: torn or corrupt tails cut off
  std::uint64_t journal_corrupt_records = 0;    // at start: recovery's, the COP restore's

  /// Refusals by error code (index = code value).
  std::array<std::uint64_t, 512> refusals{};
  /// Deliveries by origin nation (row) and receiving nation (column), and publishes by
  /// origin nation: indexed by the nation indices of the policy in force, so that the data
  /// path counts with one array access; renumber_nations() moves them at each reload.
  std::array<std::array<std::uint64_t, policy::kMaxNations>, policy::kMaxNations> delivered{};
  std::array<std::uint64_t, policy::kMaxNations> published_by_nation{};

  /// At a policy reload: moves the per-nation counters from `before`'s indices to
  /// `after`'s, by nation code (indices follow the codes' alphabetical order, so a nation
  /// added or removed shifts the others). The counters of a nation `after` no longer
  /// declares are dropped with it; a nation it adds starts at zero.
  void renumber_nations(const policy::Policy& before, const policy::Policy& after) noexcept;

  void count_refusal(Errc code) noexcept {
    const auto index = static_cast<std::size_t>(code);
    if (index < refusals.size()) ++refusals[index];
  }

  /// JSON object with every counter; nations and codes by name.
  std::string to_json(const policy::Policy& policy, std::string_view broker_id) const;
};

}  // namespace enlace::broker
