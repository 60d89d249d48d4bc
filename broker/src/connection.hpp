// A peer of the ROUTER socket (one routing id, one TCP connection) that opened a session:
// what belongs to the connection rather than to a session, and so outlives the sessions
// opened on it (a second Hello replaces the session, a revocation or an overflow ends it):
//   - the outbound path: the frames produced for the peer in this loop pass, and the queue of
//     those ZeroMQ's pipe had no room for, in order (outbound_queue.hpp), so that the answers
//     and notices produced for a session still reach the peer after the session ended;
//   - the error budget: unsolicited Error frames the peer may cause, so that a new Hello
//     does not buy a fresh budget;
//   - the file descriptor the connection arrived on, so that the broker learns when it ends
//     (connection_monitor.hpp).
// Created at the first accepted Hello, released when the TCP connection ends (monitor), a
// send finds the peer gone, or another connection takes over its routing id; unless its
// session asked for a resume grace period: then it is detached instead (resume.cpp) and
// keeps its session, subscriptions and queue until a Hello from a new connection resumes
// it, or the period ends. Owned by the broker's routing thread; never shared.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "conflation_table.hpp"
#include "enlace/protocol/records.hpp"
#include "outbound_queue.hpp"
#include "session.hpp"
#include "token_bucket.hpp"

namespace enlace::broker {

struct Connection {
  std::string routing_id;            // ZeroMQ peer routing id on the ROUTER socket
  std::unique_ptr<Session> session;  // the open session, or none (ended; answers may remain)
  TokenBucket error_budget;          // unsolicited Error frames this connection may cause

  // Frames produced during the current loop pass, in order: records of the broker's pass
  // buffer, eight bytes each however many connections share one.
  std::vector<protocol::RecordRef> pending;
  bool queued_for_flush = false;  // in Broker::flush_list_
  // What earlier passes could not hand to ZeroMQ yet; retried on later passes.
  OutboundQueue queue;
  bool backlogged = false;         // in Broker::backlogged_
  std::uint64_t flushed_pass = 0;  // the last flush that handled it (Broker::flush_pass_)

  // Conflated deliveries waiting for the queue to drain (LatestPerTopic subscriptions).
  ConflationTable conflated;

  // Deliveries dropped since the peer was last told: Error{deliveries_dropped} goes in front
  // of the next frame produced for it.
  std::uint64_t unreported_drops = 0;
  std::uint64_t unreported_drop_bytes = 0;
  // Monotonic time of the first drop of the current overflow; 0 once the queue is back
  // under half its bound. Past slow_consumer_seconds the session is closed.
  std::int64_t over_bound_since_ns = 0;

  // Nonzero while detached: its peer is gone and nothing is sent; the session waits for a
  // resume until this monotonic time.
  std::int64_t detached_until_ns = 0;

  int fd = -1;                       // ZMQ_SRCFD of its Hello; -1 when unknown
  Connection* next_on_fd = nullptr;  // ConnectionMonitor's list of connections on that fd

  /// Whether a frame produced now would leave at once: attached, nothing waiting before it.
  bool sendable() const noexcept { return detached_until_ns == 0 && queue.empty(); }
};

}  // namespace enlace::broker
