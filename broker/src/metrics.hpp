// Broker counters. Plain integers: they are written only by the routing thread, and read
// by the same thread when it reports them, so no atomics are needed.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "enlace/error.hpp"
#include "enlace/policy/policy.hpp"

namespace enlace::broker {

struct Metrics {
  std::uint64_t auth_accepted = 0;  // ZAP: key known, handshake allowed
  std::uint64_t auth_refused = 0;   // ZAP: unknown or revoked key
  std::uint64_t sessions_opened = 0;
  std::uint64_t sessions_closed = 0;
  std::uint64_t sessions_revoked = 0;
  std::uint64_t sessions_expired = 0;
  std::uint64_t subscriptions = 0;  // gauge: subscriptions held by all sessions
  std::uint64_t frames_in = 0;
  std::uint64_t bytes_in = 0;
  std::uint64_t batches_in = 0;
  std::uint64_t frames_out = 0;
  std::uint64_t batches_out = 0;
  std::uint64_t published = 0;              // envelopes accepted
  std::uint64_t deliveries = 0;             // deliveries queued for subscribers (audience passed)
  std::uint64_t dropped_slow_consumer = 0;  // frames not sent: subscriber's queue full
  std::uint64_t dropped_gone = 0;           // subscriber vanished before delivery
  std::uint64_t denied_by_audience = 0;  // a matching subscriber's nation was outside the audience
  std::uint64_t errors_sent = 0;
  std::uint64_t errors_suppressed = 0;  // refusals counted but not answered (error rate limit)
  std::uint64_t policy_reloads = 0;
  std::uint64_t policy_reload_failures = 0;

  /// Refusals by error code (index = code value).
  std::array<std::uint64_t, 512> refusals{};
  /// Deliveries by origin nation (row) and receiving nation (column), policy indices.
  std::array<std::array<std::uint64_t, policy::kMaxNations>, policy::kMaxNations> delivered{};
  std::array<std::uint64_t, policy::kMaxNations> published_by_nation{};

  void count_refusal(Errc code) noexcept {
    const auto index = static_cast<std::size_t>(code);
    if (index < refusals.size()) ++refusals[index];
  }

  /// JSON object with every counter; nations and codes by name.
  std::string to_json(const policy::Policy& policy, std::string_view broker_id) const;
};

}  // namespace enlace::broker
