// /metrics: the Prometheus text exposition format, version 0.0.4, written by hand
// (docs/operations.md lists every metric). HTTP thread, from a StatusSnapshot.
//
// Rules kept here: names are enlace_* (process_* for the process, as every Prometheus
// client library names them), counters end in _total, values are in base units (seconds,
// bytes), and labels come only from bounded sets: nation codes of the policy in force,
// error code names, fixed reason words. Never a topic, a system id or a message field.
#include <fmt/format.h>

#include <algorithm>
#include <initializer_list>
#include <string_view>
#include <utility>

#include "enlace/protocol/clock.hpp"
#include "process_stats.hpp"
#include "status_snapshot.hpp"

namespace enlace::broker {
namespace {

using Label = std::pair<std::string_view, std::string_view>;

class Exposition {
 public:
  explicit Exposition(std::string& out) : out_(out) {}

  /// HELP and TYPE lines of a family; samples of it follow.
  void family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    for (const char c : help) {  // HELP text escapes \ and newline
      if (c == '\\')
        out_ += "\\\\";
      else if (c == '\n')
        out_ += "\\n";
      else
        out_ += c;
    }
    fmt::format_to(std::back_inserter(out_), "\n# TYPE {} {}\n", name, type);
  }

  template <class Value>
  void sample(std::string_view name, std::initializer_list<Label> labels, Value value) {
    out_ += name;
    if (labels.size() > 0) {
      out_ += '{';
      bool first = true;
      for (const auto& [key, text] : labels) {
        if (!first) out_ += ',';
        first = false;
        out_ += key;
        out_ += "=\"";
        for (const char c : text) {  // label values escape \, " and newline
          if (c == '\\' || c == '"') out_ += '\\';
          if (c == '\n') {
            out_ += "\\n";
            continue;
          }
          out_ += c;
        }
        out_ += '"';
      }
      out_ += '}';
    }
    fmt::format_to(std::back_inserter(out_), " {}\n", value);
  }

  /// A family with one unlabelled sample.
  template <class Value>
  void single(std::string_view name, std::string_view type, std::string_view help, Value value) {
    family(name, type, help);
    sample(name, {}, value);
  }
  /// A family with one sample per nation of the policy, from a nation-indexed array.
  void per_nation(std::string_view name, std::string_view type, std::string_view help,
                  const std::vector<policy::Nation>& nations,
                  const std::array<std::uint64_t, policy::kMaxNations>& values) {
    family(name, type, help);
    for (const auto& n : nations) sample(name, {{"nation", n.code}}, values[n.index]);
  }
  template <class Value>
  void counter(std::string_view name, std::string_view help, Value value) {
    single(name, "counter", help, value);
  }
  template <class Value>
  void gauge(std::string_view name, std::string_view help, Value value) {
    single(name, "gauge", help, value);
  }

 private:
  std::string& out_;
};

double seconds(std::uint64_t ns) {
  return static_cast<double>(ns) / 1e9;
}

void write_sessions(Exposition& x, const StatusSnapshot& s) {
  const Metrics& m = s.metrics;
  const auto& nations = s.policy->nations();
  x.gauge("enlace_sessions", "Sessions open now.", m.sessions_open);
  x.per_nation("enlace_sessions_by_nation", "gauge",
               "Sessions attached to a connection now, by nation.", nations, s.sessions_by_nation);
  x.gauge("enlace_sessions_detached", "Sessions whose connection is gone, waiting for a resume.",
          m.sessions_detached_now);
  x.gauge("enlace_connections", "Peers with state in the broker (one per routing id).",
          m.connections_open);
  x.gauge("enlace_subscriptions", "Subscriptions held by all sessions.", m.subscriptions);
  x.counter("enlace_sessions_opened_total", "Sessions opened (accepted Hellos, resumes excluded).",
            m.sessions_opened);
  x.counter("enlace_sessions_closed_total", "Sessions ended, whatever the reason.",
            m.sessions_closed);
  x.family("enlace_sessions_ended_total", "counter",
           "Sessions ended, by reason; replaced sessions and those ended at shutdown are only in "
           "enlace_sessions_closed_total.");
  const std::pair<std::string_view, std::uint64_t> ended[] = {
      {"revoked", m.sessions_revoked},
      {"expired", m.sessions_expired},
      {"connection_lost", m.sessions_released},
      {"unread_answers", m.sessions_closed_unread},
      {"slow_consumer", m.sessions_closed_slow},
      {"flooding", m.sessions_cut_off},
      {"bye", m.sessions_said_bye},
      {"resume_expired", m.sessions_resume_expired}};
  for (const auto& [reason, n] : ended)
    x.sample("enlace_sessions_ended_total", {{"reason", reason}}, n);
  x.counter("enlace_sessions_detached_total",
            "Sessions kept for a resume after their connection was lost.", m.sessions_detached);
  x.counter("enlace_sessions_resumed_total", "Sessions resumed by a new connection.",
            m.sessions_resumed);
  x.counter("enlace_resumes_refused_total", "Hellos whose resume was refused.", m.resumes_refused);
  x.counter("enlace_deliveries_missed_on_resume_total",
            "Deliveries resumed sessions were told they missed.", m.deliveries_missed_on_resume);
  x.counter("enlace_liveness_pings_total", "Pings sent to silent sessions.", m.liveness_pings);
  x.counter("enlace_hellos_after_disconnect_total",
            "Hellos read after their connection had ended (ignored).", m.hellos_after_disconnect);
  x.counter("enlace_connections_closed_total",
            "TCP connections the broker shut (sessions cut off for flooding).",
            m.connections_closed);
}

void write_security(Exposition& x, const StatusSnapshot& s) {
  const Metrics& m = s.metrics;
  x.counter("enlace_handshakes_accepted_total", "CURVE handshakes the ZAP handler accepted.",
            m.auth_accepted);
  x.family("enlace_handshakes_refused_total", "counter", "CURVE handshakes refused, by reason.");
  x.sample("enlace_handshakes_refused_total", {{"reason", "unknown_or_revoked_key"}},
           m.auth_refused);
  x.sample("enlace_handshakes_refused_total", {{"reason", "cooling_down"}}, m.auth_refused_cooling);
  x.family("enlace_refusals_total", "counter",
           "Requests refused, by error code (docs/protocol.md); codes never refused are absent.");
  for (std::size_t code = 0; code < m.refusals.size(); ++code) {
    if (m.refusals[code] == 0) continue;
    x.sample("enlace_refusals_total", {{"code", to_string(static_cast<Errc>(code))}},
             m.refusals[code]);
  }
  x.counter("enlace_errors_sent_total", "Error frames sent for refusals.", m.errors_sent);
  x.counter("enlace_errors_suppressed_total",
            "Refusals counted but not answered (the error rate limit).", m.errors_suppressed);
  x.counter("enlace_policy_reloads_total", "Policy reloads applied.", m.policy_reloads);
  x.counter("enlace_policy_reload_failures_total",
            "Policy reloads refused (the old policy stayed in force).", m.policy_reload_failures);
  x.counter("enlace_journal_stored_total", "Durable messages stored in their journal.",
            m.journal_stored);
  x.counter("enlace_journal_store_failed_total",
            "Durable messages their journal could not store (answered storage_unavailable).",
            m.journal_store_failed);
  x.counter("enlace_journal_refused_total",
            "Durable publishes refused before routing: a stream unavailable, or the journal "
            "queue full.",
            m.journal_refused);
  x.counter("enlace_journal_acks_orphaned_total",
            "Journal answers whose publisher's session had ended.", m.journal_acks_orphaned);
  x.gauge("enlace_journal_records_recovered", "Records the journals held at start.",
          m.journal_records_recovered);
  x.gauge("enlace_journal_bytes_truncated", "Torn or corrupt journal tails cut off at start.",
          m.journal_bytes_truncated);
  x.gauge("enlace_journal_corrupt_records",
          "Corrupt journal records found at start, by recovery or the COP cache's restore.",
          m.journal_corrupt_records);
  x.family("enlace_policy_info", "gauge", "The policy in force (value 1), by digest.");
  x.sample("enlace_policy_info", {{"digest", s.policy->digest()}}, 1);
}

void write_traffic(Exposition& x, const StatusSnapshot& s) {
  const Metrics& m = s.metrics;
  const auto& nations = s.policy->nations();
  x.counter("enlace_frames_received_total", "Frames read from clients (a batch counts once).",
            m.frames_in);
  x.counter("enlace_received_bytes_total", "Bytes of the frames read from clients.", m.bytes_in);
  x.counter("enlace_batch_frames_received_total", "Batch frames read from clients.", m.batches_in);
  x.counter("enlace_frames_sent_total", "Frames handed to ZeroMQ for clients.", m.frames_out);
  x.counter("enlace_batch_frames_sent_total", "Batch frames handed to ZeroMQ for clients.",
            m.batches_out);
  x.per_nation("enlace_messages_published_total", "counter",
               "Envelopes accepted from publishers, by origin nation.", nations,
               m.published_by_nation);
  x.family("enlace_deliveries_total", "counter",
           "Deliveries queued for subscribers, by origin nation and recipient nation; pairs "
           "with no delivery yet are absent.");
  for (const auto& from : nations) {
    for (const auto& to : nations) {
      const std::uint64_t n = m.delivered[from.index][to.index];
      if (n == 0) continue;
      x.sample("enlace_deliveries_total", {{"nation", from.code}, {"recipient_nation", to.code}},
               n);
    }
  }
  x.counter("enlace_deliveries_withheld_total",
            "Deliveries withheld by policy: a matching subscriber's nation was outside the "
            "message's audience.",
            m.denied_by_audience);
  x.family("enlace_deliveries_dropped_total", "counter", "Deliveries not sent, by reason.");
  x.sample("enlace_deliveries_dropped_total", {{"reason", "slow_consumer"}},
           m.dropped_slow_consumer);
  x.sample("enlace_deliveries_dropped_total", {{"reason", "session_gone"}}, m.dropped_gone);
  x.sample("enlace_deliveries_dropped_total", {{"reason", "conflated"}}, m.deliveries_conflated);
  x.counter("enlace_deliveries_dropped_bytes_total",
            "Bytes of the deliveries dropped for slow consumers.", m.dropped_slow_consumer_bytes);
  x.counter("enlace_control_frames_dropped_total",
            "Control frames not sent: no session and no room in ZeroMQ's pipe.", m.control_dropped);
  x.counter("enlace_drop_notices_total", "Notices of dropped deliveries sent to subscribers.",
            m.drop_notices);
  x.per_nation("enlace_session_queue_bytes", "gauge",
               "Bytes of deliveries waiting in the sessions' outbound queues, by nation.", nations,
               s.queue_bytes_by_nation);
  x.gauge("enlace_session_queue_max_bytes", "The largest session queue, in bytes.",
          m.session_queue_bytes_max);
  x.gauge("enlace_sessions_backlogged", "Sessions with deliveries waiting in their queue.",
          m.sessions_backlogged);

  const LatencyHistogram& h = s.ingest_to_send;
  x.family("enlace_ingest_to_send_seconds", "histogram",
           "From reading a publish frame to the end of the loop pass that handed its "
           "deliveries to ZeroMQ (or queued them), per message.");
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < LatencyHistogram::kBoundsNs.size(); ++i) {
    cumulative += h.buckets[i];
    const std::string le =
        fmt::format("{}", seconds(static_cast<std::uint64_t>(LatencyHistogram::kBoundsNs[i])));
    x.sample("enlace_ingest_to_send_seconds_bucket", {{"le", le}}, cumulative);
  }
  x.sample("enlace_ingest_to_send_seconds_bucket", {{"le", "+Inf"}}, h.count);
  x.sample("enlace_ingest_to_send_seconds_sum", {}, seconds(h.sum_ns));
  x.sample("enlace_ingest_to_send_seconds_count", {}, h.count);
}

void write_cop(Exposition& x, const StatusSnapshot& s) {
  const Metrics& m = s.metrics;
  x.gauge("enlace_cop_entries", "Messages in the COP cache.", m.cop_entries);
  x.gauge("enlace_cop_bytes", "Envelope bytes in the COP cache.", m.cop_bytes);
  x.counter("enlace_cop_stored_total", "Messages stored in the COP cache (new topics).",
            m.cop.stored);
  x.counter("enlace_cop_replaced_total", "Cached messages replaced by a newer one of their topic.",
            m.cop.replaced);
  x.counter("enlace_cop_evicted_total", "Cached messages evicted by the cache's bounds.",
            m.cop.evicted);
  x.counter("enlace_cop_expired_total", "Cached messages removed at their stale time.",
            m.cop.expired);
  x.counter("enlace_cop_purged_total", "Cached messages removed by a policy reload.", m.cop.purged);
  x.counter("enlace_cop_stale_on_arrival_total", "Cacheable messages already stale: not cached.",
            m.cop_stale_on_arrival);
  x.counter("enlace_snapshots_started_total", "COP snapshots started.", m.snapshots_started);
  x.counter("enlace_snapshots_served_total", "COP snapshots ended with EndOfSnapshot.",
            m.snapshots_served);
  x.counter("enlace_snapshots_stopped_total", "COP snapshots whose subscription went first.",
            m.snapshots_stopped);
  x.counter("enlace_snapshot_deliveries_total", "Deliveries sent by COP snapshots.",
            m.snapshot_deliveries);
  x.counter("enlace_cop_restored_total",
            "COP cache entries restored from the durable streams' journals at start.",
            m.cop_restored);
  x.counter("enlace_replays_started_total", "Replays from durable streams asked for.",
            m.replays_started);
  x.counter("enlace_replays_served_total", "Replays ended with EndOfReplay.", m.replays_served);
  x.counter("enlace_replays_stopped_total", "Replays whose subscription went first.",
            m.replays_stopped);
  x.counter("enlace_replays_failed_total", "Replays stopped by a failed journal read.",
            m.replays_failed);
  x.counter("enlace_replay_deliveries_total", "Deliveries sent by replays.", m.replay_deliveries);
  x.counter("enlace_replay_records_unreadable_total",
            "Journaled records a replay skipped: origin or envelope unreadable.",
            m.replay_records_unreadable);
  x.counter("enlace_replay_records_withdrawn_total",
            "Journaled records a replay skipped: the publisher is gone or no longer publishes "
            "the topic.",
            m.replay_records_withdrawn);
  x.counter("enlace_replay_records_damaged_total",
            "Damaged journal records replays met (checksum, length or zeros), each with the "
            "rest of its segment file skipped.",
            m.replay_records_damaged);
  x.counter("enlace_snapshot_seconds_total",
            "Time from Subscribe to EndOfSnapshot, served snapshots.",
            seconds(m.snapshot_ns_total));
  x.gauge("enlace_snapshot_max_seconds", "The longest served snapshot.",
          seconds(m.snapshot_ns_max));
}

void write_process(Exposition& x, const StatusSnapshot& s) {
  x.family("enlace_build_info", "gauge", "The broker's version and id (value 1).");
  x.sample("enlace_build_info", {{"version", s.version}, {"broker_id", s.broker_id}}, 1);
  x.gauge("enlace_uptime_seconds", "Seconds since the broker started.",
          seconds(static_cast<std::uint64_t>(s.uptime_ns)));
  x.gauge("enlace_status_age_seconds",
          "Age of the routing thread's snapshot these figures come from (published once a second).",
          seconds(static_cast<std::uint64_t>(
              std::max<std::int64_t>(0, protocol::monotonic_ns() - s.taken_monotonic_ns))));
  const ProcessStats p = read_process_stats();
  if (p.cpu_seconds >= 0)
    x.counter("process_cpu_seconds_total", "User and system CPU time of the broker process.",
              p.cpu_seconds);
  if (p.resident_bytes >= 0)
    x.gauge("process_resident_memory_bytes", "Resident memory of the broker process.",
            p.resident_bytes);
  if (p.virtual_bytes >= 0)
    x.gauge("process_virtual_memory_bytes", "Virtual memory of the broker process.",
            p.virtual_bytes);
  if (p.open_fds >= 0)
    x.gauge("process_open_fds", "Open file descriptors of the broker process.", p.open_fds);
  if (p.max_fds >= 0)
    x.gauge("process_max_fds", "The broker process's limit of open file descriptors.", p.max_fds);
  x.gauge("process_start_time_seconds", "When the broker started, seconds since the Unix epoch.",
          seconds(static_cast<std::uint64_t>(s.started_utc_ns)));
}

}  // namespace

std::string render_prometheus(const StatusSnapshot& snapshot) {
  std::string out;
  out.reserve(16 * 1024);
  Exposition x(out);
  write_process(x, snapshot);
  write_sessions(x, snapshot);
  write_security(x, snapshot);
  write_traffic(x, snapshot);
  write_cop(x, snapshot);
  return out;
}

}  // namespace enlace::broker
