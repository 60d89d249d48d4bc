// The routing thread's side of the HTTP endpoint: once a second (and after bind and each
// reload) it copies its counters, the policy pointer and one row per session into a fresh
// StatusSnapshot and hands it over with an atomic swap (http_endpoint.hpp). The copy costs
// one allocation of a few tens of KiB plus the rows, once a second, never per message; the
// HTTP thread renders from it without touching anything here.
#include <unistd.h>

#include <algorithm>

#include "broker.hpp"
#include "enlace/protocol/clock.hpp"

namespace enlace::broker {
namespace {

// How often the routing thread publishes a snapshot: the age of what /metrics serves.
constexpr std::int64_t kStatusIntervalNs = 1'000'000'000;

}  // namespace

void Broker::publish_status(bool ready) {
  if (!http_) return;
  const std::int64_t now = protocol::monotonic_ns();
  next_status_ns_ = now + kStatusIntervalNs;
  refresh_gauges();
  auto snapshot = std::make_shared<StatusSnapshot>();
  StatusSnapshot& s = *snapshot;
  s.version = config_.version;
  s.pid = static_cast<long>(::getpid());
  s.last_reload = last_reload_;
  s.broker_id = config_.broker_id;
  s.endpoint = bound_endpoint_;
  s.policy_file = config_.policy_file;
  s.policy = policy_;
  s.started_utc_ns = started_utc_ns_;
  s.taken_utc_ns = protocol::utc_ns();
  s.taken_monotonic_ns = now;
  s.uptime_ns = now - started_monotonic_ns_;
  s.ready = ready;
  s.metrics = metrics_;
  s.ingest_to_send = ingest_to_send_;

  const auto add = [&](const Connection& connection) {
    const Session* session = connection.session.get();
    if (session == nullptr) return;
    const std::uint64_t queued = connection.queue.delivery_bytes() + connection.conflated.bytes();
    const bool detached = connection.detached_until_ns != 0;
    s.queue_bytes_by_nation[session->nation] += queued;
    if (!detached) ++s.sessions_by_nation[session->nation];
    if (s.sessions.size() >= StatusSnapshot::kMaxSessionRows) {
      ++s.sessions_not_listed;
      return;
    }
    s.sessions.push_back({.session_id = session->session_id,
                          .nation = session->nation_code,
                          .system = session->system_id,
                          .role = session->role_name,
                          .remote_address = session->remote_address,
                          .connected_utc_ns = session->connected_utc_ns,
                          .subscriptions = session->subscriptions.size(),
                          .queue_bytes = queued,
                          .delivered = session->deliveries_routed - session->dropped,
                          .frames_sent = session->delivered,
                          .dropped = session->dropped,
                          .detached = detached});
  };
  s.sessions.reserve(
      std::min(connections_.size() + detached_.size(), StatusSnapshot::kMaxSessionRows));
  for (const auto& [id, connection] : connections_) add(*connection);
  for (const auto& [id, connection] : detached_) add(*connection);
  std::sort(s.sessions.begin(), s.sessions.end(),
            [](const SessionRow& a, const SessionRow& b) { return a.session_id < b.session_id; });
  http_->publish(std::move(snapshot));
}

}  // namespace enlace::broker
