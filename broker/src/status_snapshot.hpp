// What the routing thread hands to the HTTP thread (http_endpoint.hpp): an immutable copy of
// the counters, the policy in force and one row per session, taken once a second
// (Broker::publish_status, status.cpp). The HTTP thread renders /metrics and /status from
// it and never touches the routing thread's state, so routing takes no lock for HTTP.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "enlace/policy/policy.hpp"
#include "enlace/policy/policy_diff.hpp"
#include "latency_histogram.hpp"
#include "metrics.hpp"

namespace enlace::broker {

/// One session, as /status lists it.
struct SessionRow {
  std::uint64_t session_id = 0;
  std::string nation;
  std::string system;
  std::string role;
  std::string remote_address;         // as ZeroMQ reported it at Hello ("" if unknown)
  std::int64_t connected_utc_ns = 0;  // when its Hello (or resume) was accepted
  std::uint64_t subscriptions = 0;
  std::uint64_t queue_bytes = 0;  // deliveries waiting in its queue, conflated ones included
  std::uint64_t delivered = 0;    // deliveries sent to it or waiting in its queue
  std::uint64_t frames_sent = 0;  // frames sent to it (deliveries, batches, control)
  std::uint64_t dropped = 0;      // deliveries dropped: its queue was full
  bool detached = false;          // its connection is gone; it waits for a resume
};

/// The outcome of the latest policy reload, as /status reports it in "last_reload" and
/// `enlace broker reload` reads it: the CLI signals the broker, then waits for `sequence` to
/// pass the value it saw before (docs/operations.md, "Reloading the policy").
struct ReloadOutcome {
  std::uint64_t sequence = 0;  // reloads attempted since start, applied or refused; 0: none yet
  std::int64_t utc_ns = 0;     // when it was decided
  bool applied = false;
  std::string digest;             // the digest in force afterwards (the old one when refused)
  std::string previous_digest;    // the digest in force before
  policy::PolicyChanges changes;  // applied: what changed
  std::vector<policy::Diagnostic> errors;   // refused: every problem, with its line
  std::uint64_t sessions_ended = 0;         // applied: sessions revoked by it
  std::uint64_t subscriptions_removed = 0;  // applied: subscriptions its rules refused
};

struct StatusSnapshot {
  std::string version;  // the broker's build version
  long pid = 0;         // the broker's process id: `enlace broker reload` checks its pid file
  std::string broker_id;
  std::string endpoint;  // the ZeroMQ endpoint bound
  std::filesystem::path policy_file;
  std::shared_ptr<const policy::Policy> policy;  // the policy the nation indices refer to
  std::int64_t started_utc_ns = 0;
  std::int64_t taken_utc_ns = 0;
  std::int64_t taken_monotonic_ns = 0;  // for /healthz: is the routing thread still turning?
  std::int64_t uptime_ns = 0;           // monotonic, at the snapshot
  /// The policy is loaded and the ROUTER socket bound; false once the broker is stopping.
  bool ready = false;

  Metrics metrics;  // counters and gauges; nation-indexed arrays by `policy`'s indices
  LatencyHistogram ingest_to_send;
  /// Bytes waiting in the sessions' queues, and open sessions, by nation index.
  std::array<std::uint64_t, policy::kMaxNations> queue_bytes_by_nation{};
  std::array<std::uint64_t, policy::kMaxNations> sessions_by_nation{};
  std::vector<SessionRow> sessions;  // at most kMaxSessionRows, by session id
  std::uint64_t sessions_not_listed = 0;
  std::shared_ptr<const ReloadOutcome> last_reload;  // never null
  static constexpr std::size_t kMaxSessionRows = 4096;
};

/// Prometheus text exposition format 0.0.4 (prometheus_text.cpp), with the process_*
/// metrics read from /proc at the time of the call.
std::string render_prometheus(const StatusSnapshot& snapshot);
/// The JSON document /status serves (status_json.cpp).
std::string render_status_json(const StatusSnapshot& snapshot);

}  // namespace enlace::broker
