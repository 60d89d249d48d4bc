#include "metrics.hpp"

#include <fmt/format.h>

namespace enlace::broker {

void Metrics::renumber_nations(const policy::Policy& before, const policy::Policy& after) noexcept {
  // The new index of each old one, or kMaxNations for a nation that is gone.
  std::array<std::size_t, policy::kMaxNations> moved_to;
  moved_to.fill(policy::kMaxNations);
  for (const auto& nation : before.nations()) {
    if (const auto index = after.nation_index(nation.code)) moved_to[nation.index] = *index;
  }
  const auto old_delivered = delivered;
  const auto old_published = published_by_nation;
  for (auto& row : delivered) row.fill(0);
  published_by_nation.fill(0);
  for (std::size_t from = 0; from < policy::kMaxNations; ++from) {
    const std::size_t to_row = moved_to[from];
    if (to_row == policy::kMaxNations) continue;
    published_by_nation[to_row] = old_published[from];
    for (std::size_t to = 0; to < policy::kMaxNations; ++to) {
      if (moved_to[to] != policy::kMaxNations)
        delivered[to_row][moved_to[to]] = old_delivered[from][to];
    }
  }
}

std::string Metrics::to_json(const policy::Policy& policy, std::string_view broker_id) const {
  std::string out = fmt::format(
      "{{\"broker_id\":\"{}\",\"policy_version\":\"{}\",\"auth_accepted\":{},\"auth_refused\":{},"
      "\"auth_refused_cooling\":{},\"sessions_opened\":{},\"sessions_closed\":{},\"sessions_open\":"
      "{},"
      "\"sessions_revoked\":{},\"sessions_expired\":{},\"sessions_released\":{},"
      "\"sessions_closed_unread\":{},\"sessions_closed_slow\":{},\"sessions_cut_off\":{},"
      "\"sessions_said_bye\":{},"
      "\"connections_closed\":{},"
      "\"connections_open\":{},"
      "\"subscriptions\":{},\"hellos_after_disconnect\":{},\"liveness_pings\":{},"
      "\"frames_in\":{},\"bytes_in\":{},\"batches_in\":{},"
      "\"frames_out\":{},\"batches_out\":{},\"published\":{},\"deliveries\":{},"
      "\"dropped_slow_consumer\":{},\"dropped_slow_consumer_bytes\":{},"
      "\"drop_notices\":{},\"deliveries_conflated\":{},\"dropped_gone\":{},\"control_dropped\":{},"
      "\"denied_by_audience\":{},\"errors_sent\":{},\"errors_suppressed\":{},"
      "\"policy_reloads\":{},\"policy_reload_failures\":{}",
      broker_id, policy.digest(), auth_accepted, auth_refused, auth_refused_cooling,
      sessions_opened, sessions_closed, sessions_open, sessions_revoked, sessions_expired,
      sessions_released, sessions_closed_unread, sessions_closed_slow, sessions_cut_off,
      sessions_said_bye, connections_closed, connections_open, subscriptions,
      hellos_after_disconnect, liveness_pings, frames_in, bytes_in, batches_in, frames_out,
      batches_out, published, deliveries, dropped_slow_consumer, dropped_slow_consumer_bytes,
      drop_notices, deliveries_conflated, dropped_gone, control_dropped, denied_by_audience,
      errors_sent, errors_suppressed, policy_reloads, policy_reload_failures);

  out += fmt::format(
      ",\"cop_entries\":{},\"cop_bytes\":{},\"cop_stored\":{},\"cop_replaced\":{},"
      "\"cop_evicted\":{},\"cop_expired\":{},\"cop_purged\":{},\"cop_stale_on_arrival\":{},"
      "\"snapshots_started\":{},\"snapshots_served\":{},\"snapshots_stopped\":{},"
      "\"snapshot_deliveries\":{},\"snapshot_ms_total\":{},\"snapshot_ms_max\":{}",
      cop_entries, cop_bytes, cop.stored, cop.replaced, cop.evicted, cop.expired, cop.purged,
      cop_stale_on_arrival, snapshots_started, snapshots_served, snapshots_stopped,
      snapshot_deliveries, snapshot_ns_total / 1'000'000, snapshot_ns_max / 1'000'000);
  out += fmt::format(
      ",\"journal_stored\":{},\"journal_store_failed\":{},\"journal_refused\":{},"
      "\"journal_acks_orphaned\":{},\"journal_records_recovered\":{},"
      "\"journal_bytes_truncated\":{},\"journal_corrupt_records\":{}",
      journal_stored, journal_store_failed, journal_refused, journal_acks_orphaned,
      journal_records_recovered, journal_bytes_truncated, journal_corrupt_records);
  out += fmt::format(
      ",\"cop_restored\":{},\"replays_started\":{},\"replays_served\":{},\"replays_stopped\":{},"
      "\"replays_failed\":{},\"replay_deliveries\":{},\"replay_records_unreadable\":{},"
      "\"replay_records_withdrawn\":{},\"replay_records_damaged\":{}",
      cop_restored, replays_started, replays_served, replays_stopped, replays_failed,
      replay_deliveries, replay_records_unreadable, replay_records_withdrawn,
      replay_records_damaged);
  out += fmt::format(
      ",\"sessions_detached\":{},\"sessions_resumed\":{},\"sessions_resume_expired\":{},"
      "\"resumes_refused\":{},\"deliveries_missed_on_resume\":{},\"sessions_detached_now\":{},"
      "\"sessions_backlogged\":{},\"session_queue_bytes_total\":{},"
      "\"session_queue_bytes_max\":{},\"largest_session_queues\":[",
      sessions_detached, sessions_resumed, sessions_resume_expired, resumes_refused,
      deliveries_missed_on_resume, sessions_detached_now, sessions_backlogged,
      session_queue_bytes_total, session_queue_bytes_max);
  for (std::size_t i = 0; i < largest_queues.size(); ++i) {
    const SessionQueue& q = largest_queues[i];
    // System ids are the policy's (checked identifiers), not a peer's text.
    out += fmt::format(
        "{}{{\"session\":{},\"system\":\"{}\",\"bytes\":{},\"dropped\":{},\"detached\":{}}}",
        i ? "," : "", q.session_id, q.system_id, q.bytes, q.dropped, q.detached);
  }
  out += "]";
  out += ",\"refusals\":{";
  bool first = true;
  for (std::size_t code = 0; code < refusals.size(); ++code) {
    if (refusals[code] == 0) continue;
    out += fmt::format("{}\"{}\":{}", first ? "" : ",", to_string(static_cast<Errc>(code)),
                       refusals[code]);
    first = false;
  }
  out += "},\"published_by_nation\":{";
  const auto& nations = policy.nations();
  first = true;
  for (const auto& nation : nations) {
    out += fmt::format("{}\"{}\":{}", first ? "" : ",", nation.code,
                       published_by_nation[nation.index]);
    first = false;
  }
  out += "},\"delivered\":{";
  first = true;
  for (const auto& from : nations) {
    for (const auto& to : nations) {
      const std::uint64_t n = delivered[from.index][to.index];
      if (n == 0) continue;
      out += fmt::format("{}\"{}->{}\":{}", first ? "" : ",", from.code, to.code, n);
      first = false;
    }
  }
  out += "}}";
  return out;
}

}  // namespace enlace::broker
