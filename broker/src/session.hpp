// A client session: what one Hello opened on a connection, until the session is replaced by
// another Hello, expires, is revoked, or its connection ends. Owned by its Connection
// (connection.hpp), on the broker's routing thread; never shared.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cop_cache.hpp"
#include "delivery_template.hpp"
#include "enlace/policy/policy.hpp"
#include "enlace/topic.hpp"
#include "flood_guard.hpp"
#include "string_hash.hpp"
#include "subscription_trie.hpp"
#include "token_bucket.hpp"

namespace enlace::broker {

struct Connection;

struct SessionSubscription {
  std::uint64_t id = 0;  // broker-wide unique, the trie's key
  std::string pattern;
  topic::Tokens tokens;  // views into `pattern` (the object never moves: held by unique_ptr)
  bool snapshot = false;
  bool conflate = false;  // conflation = LatestPerTopic
  TrieSlot trie_slot;     // where the trie keeps it, so that removing it costs no search
};

/// A snapshot being sent (docs/protocol.md 5.3): the COP cache's slots are walked in order,
/// a slice per loop pass, and each entry the subscription matches, the session's nation may
/// see and that is no newer than `horizon` is sent, marked snapshot.
struct SnapshotStream {
  const SessionSubscription* subscription = nullptr;  // removing it ends the stream
  std::uint32_t request_id = 0;
  std::uint64_t horizon = 0;    // the broker's last sequence when the Subscribe was handled
  std::size_t next_slot = 0;    // the cache slot to look at next
  std::uint32_t sent = 0;       // deliveries sent so far (EndOfSnapshot's count)
  std::int64_t started_ns = 0;  // monotonic
};

struct ReplaySlice;  // journal_stage.hpp

/// A replay being sent (docs/protocol.md 5.3, "Replay"; replay.cpp): the journaled messages
/// of the streams the pattern overlaps, from the requested start up to `horizon`.
struct ReplayStream {
  const SessionSubscription* subscription = nullptr;  // removing it ends the replay
  std::uint32_t request_id = 0;
  std::uint64_t horizon = 0;  // the broker's last sequence when the Subscribe was handled
  wire::ReplayFrom from = wire::ReplayFrom::Earliest;
  std::uint64_t from_value = 0;
  std::vector<std::uint32_t> streams;  // journal stage's streams that may hold its topics
  std::vector<std::uint64_t> targets;  // by stream: its added_through() at the Subscribe
  std::vector<std::shared_ptr<ReplaySlice>> slices;  // by stream; made when it is first sent
  std::uint64_t sent = 0;                            // deliveries sent (EndOfReplay's count)
  std::int64_t started_ns = 0;                       // monotonic
  bool blocked = false;  // the last pass found its connection still sending earlier frames
};

/// A session's subscriptions by pattern. The key views the subscription's own `pattern`
/// (stable: the subscription is held by unique_ptr), so a pattern is stored once; lookups
/// by std::string_view allocate nothing.
using SubscriptionsByPattern =
    std::unordered_map<std::string_view, std::unique_ptr<SessionSubscription>, StringHash,
                       std::equal_to<>>;

struct Session {
  Connection* connection = nullptr;  // the connection that owns it
  std::string routing_id;            // its connection's ZeroMQ routing id (a copy)
  std::uint64_t session_id = 0;
  std::string system_id;                   // the authenticated system (ZAP User-Id)
  std::string public_key;                  // the CURVE key it authenticated with (Z85)
  const policy::System* system = nullptr;  // into the policy in force; refreshed on reload
  std::string nation_code;
  std::string role_name;
  // For /status (http_endpoint.hpp): the peer's TCP address ("" if unknown) and when the
  // session was opened or last resumed (UTC).
  std::string remote_address;
  std::int64_t connected_utc_ns = 0;
  unsigned nation = 0;  // nation index in the policy in force
  policy::NationMask nation_bit = 0;
  DeliveryTemplate delivery_template;  // the fixed part of its messages' deliveries
  // Its messages' origin in the COP cache (with the snapshot delivery template): shared by
  // the entries it published, so that they outlive the session.
  std::shared_ptr<const CachedOrigin> cached_origin;

  TokenBucket publish_rate;
  FloodGuard flood;                   // its refusals against its accepted publishes (ingest.cpp)
  std::int64_t last_activity_ns = 0;  // monotonic time of the last frame from the peer
  std::int64_t idle_timeout_ns = 0;   // from its heartbeat; 0: none announced (probed instead)
  std::int64_t probe_sent_ns = 0;     // when the broker last sent it a liveness Ping

  SubscriptionsByPattern subscriptions;
  std::vector<SnapshotStream> snapshots;  // in request order; the first one is being sent
  std::vector<ReplayStream> replays;      // in request order; the first one is being sent

  // Routing state for the current loop pass.
  std::uint64_t last_routed_sequence = 0;  // a message reaches a session once, however many
                                           // of its patterns match

  // Resuming (resume.cpp): the period its connection's loss is bridged for (0: none), the
  // token a resuming Hello must present, and the deliveries produced for it, so that a resume
  // can tell the client exactly what it missed.
  std::int64_t resume_grace_ns = 0;
  std::uint64_t resume_token = 0;
  std::uint64_t deliveries_routed = 0;  // queued, sent or dropped; not those conflated away

  std::uint64_t delivered = 0;  // frames sent to this session (logged when it closes)
  std::uint64_t dropped = 0;    // deliveries dropped because its queue was full
  std::uint64_t conflated = 0;  // deliveries replaced by a newer one of their topic
};

}  // namespace enlace::broker
