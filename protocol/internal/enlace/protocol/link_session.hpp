// The initiating end of a link, as a state machine independent of the transport: the SDK's
// client today, a broker's federation link tomorrow. It knows the session's phase
// (Hello sent, Welcome received), liveness (when to Ping, when the peer counts as lost),
// request ids, the subscriptions to restore after every new session, and what resuming a
// session needs (docs/protocol.md 5.2: its id and token, the deliveries received); it sends
// nothing itself. The owner feeds it transport events and received control frames, sends what it
// says is due (built with control.hpp), and keeps everything else (handlers, waiters).
//
// Thread: one, the link's I/O thread. Allocates only when subscriptions are added.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "enlace/error.hpp"
#include "enlace/protocol/control.hpp"

namespace enlace::protocol {

class LinkSession {
 public:
  enum class Phase {
    disconnected,      // no transport connection
    awaiting_welcome,  // connected; Hello sent (or due), no Welcome yet
    ready,             // Welcome received: publishing and subscribing work
  };

  /// What the liveness timers ask for (poll()).
  enum class Due {
    nothing,
    ping,       // send Ping{next_ping_nonce()} now
    reconnect,  // the peer has been silent for three heartbeats: drop the connection
    hello,      // a refused Hello's back-off is over: send Hello again
  };

  /// What an Ack or Error with a request id answered.
  struct Answer {
    enum class Kind { unknown, subscribe, unsubscribe } kind = Kind::unknown;
    std::uint64_t subscription_id = 0;
  };

  /// What a Welcome meant (welcomed()).
  struct Welcomed {
    Errc code = Errc::ok;  // unsupported_version: the session stays unusable
    /// The session asked for goes on: the peer kept its subscriptions and queue. `missed` of
    /// its deliveries were lost while the link was down and will never arrive.
    bool resumed = false;
    std::uint64_t missed = 0;
    /// A resume was asked for and the peer opened a new session instead (its grace period
    /// ended, it restarted, it refused the token): what the old one missed is unknown.
    bool previous_lost = false;
  };

  /// `heartbeat_ns`: the interval announced in Hello; the peer is pinged when either
  /// direction has been quiet that long and counts as lost after three silent intervals.
  explicit LinkSession(std::int64_t heartbeat_ns) noexcept : heartbeat_ns_(heartbeat_ns) {}

  Phase phase() const noexcept { return phase_; }
  bool ready() const noexcept { return phase_ == Phase::ready; }

  // --- transport and session events -----------------------------------------------------
  /// A transport connection completed its handshake: the owner sends hello() now.
  void connected(std::int64_t now) noexcept;
  /// The transport connection is gone. Requests in flight there are never answered: after a
  /// resume, subscribes not yet confirmed and unsubscribes are sent again; after a new
  /// session, every subscription is.
  void disconnected() noexcept;
  /// The peer does not know the session on this connection (hello_required): the owner
  /// sends hello() again, which still asks to resume it (the peer may hold it detached).
  void session_lost() noexcept;
  /// The peer ended the session itself and said so (slow_consumer, revoked, cut off): the
  /// next hello() asks for a new one.
  void session_ended() noexcept;
  /// The peer refused the Hello with a retryable code (rate_limited after a cut-off,
  /// too_many_sessions, shutting_down): poll() asks for Hello again after a back-off that
  /// doubles from one heartbeat up to `max_backoff_ns`, and starts over at each Welcome.
  void hello_refused(std::int64_t now, std::int64_t max_backoff_ns) noexcept;
  /// The Hello to send: with the resume fields when a session granted a grace period is
  /// held (`resume_grace_ms`: the period to ask the peer for this session; 0 = none).
  HelloFields hello(std::string_view client_name, std::uint32_t resume_grace_ms) noexcept;
  /// Welcome received. Unless its code is an error, the session is ready and the owner
  /// calls restore().
  Welcomed welcomed(const wire::Welcome& welcome, std::int64_t now) noexcept;
  /// A delivery arrived; `count` deliveries were reported dropped (deliveries_dropped).
  /// Resuming tells the peer both, so that it can say exactly what was lost in between.
  void delivery_received() noexcept { ++resume_.received; }
  void drops_told(std::uint64_t count) noexcept { resume_.told_dropped += count; }

  // --- liveness --------------------------------------------------------------------------
  void frame_sent(std::int64_t now) noexcept { last_send_ns_ = now; }
  void frame_received(std::int64_t now) noexcept { last_receive_ns_ = now; }
  /// What is due at `now`: a Hello whose back-off is over, or, when ready, a ping (at
  /// most once per heartbeat) or a reconnection.
  Due poll(std::int64_t now) noexcept;
  /// Nanoseconds from `now` until poll() may next have something to do.
  std::int64_t until_next_timer(std::int64_t now) const noexcept;
  std::uint64_t next_ping_nonce() noexcept { return ++ping_nonce_; }
  /// Records that a ping was sent at `now`.
  void pinged(std::int64_t now) noexcept { last_ping_ns_ = last_send_ns_ = now; }

  // --- subscriptions kept across sessions -----------------------------------------------
  /// Records subscription `id` (a copy of `fields`, pattern included). Returns true when
  /// its Subscribe is to be sent now (ready; `out` filled, with a fresh request id, valid
  /// until the subscription is removed), false when it waits for the next Welcome.
  bool subscribe(std::uint64_t id, const SubscribeFields& fields, SubscribeFields& out);
  /// Forgets subscription `id`. Returns the request id of the Unsubscribe to send now, or 0
  /// when none is sent now: unknown id, another subscription of this link still holds the
  /// same pattern (the peer keeps one per pattern), or not ready (then restore() sends it
  /// should the session resume).
  std::uint32_t unsubscribe(std::uint64_t id);
  /// After welcomed(): brings the peer's subscriptions in line with this link's, each request
  /// with a fresh request id. A resumed session kept its subscriptions: only the unsubscribes
  /// and the subscribes the link lost before an answer are sent (first the unsubscribes, so
  /// that a pattern dropped and then taken again ends subscribed); a subscribe that did
  /// arrive is answered again, idempotently, its snapshot included. A new session gets
  /// every subscription. `unsubscribe(request_id, pattern)`, `subscribe(const
  /// SubscribeFields&)`.
  template <class Subscribe, class Unsubscribe>
  void restore(bool resumed, Subscribe&& subscribe, Unsubscribe&& unsubscribe) {
    pending_.clear();
    if (resumed) {
      for (const std::string& pattern : unsent_unsubscribes_) {
        const std::uint32_t request_id = next_request_id();
        pending_[request_id] = {Answer::Kind::unsubscribe, 0};
        unsubscribe(request_id, std::string_view(pattern));
      }
    }
    unsent_unsubscribes_.clear();
    for (auto& [id, entry] : subscriptions_) {
      if (resumed && entry.confirmed) continue;
      entry.confirmed = false;
      entry.fields.request_id = next_request_id();
      pending_[entry.fields.request_id] = {Answer::Kind::subscribe, id};
      subscribe(entry.fields);
    }
  }
  /// The request an Ack (`accepted`) or Error answers; a refused subscribe is forgotten.
  Answer answered(std::uint32_t request_id, bool accepted);
  /// The request id of subscription `id`'s latest Subscribe (its EndOfSnapshot names it), 0
  /// if unknown.
  std::uint32_t subscribe_request_of(std::uint64_t id) const noexcept;

  /// 1 to 2^31 - 1, wrapping; 0 means "no request" on the wire.
  std::uint32_t next_request_id() noexcept;

 private:
  struct Entry {
    std::string pattern;  // owned here; fields.pattern views it (map nodes never move)
    SubscribeFields fields;
    bool confirmed = false;  // the peer accepted it in the current session
  };

  // The session to resume, as its Welcome named it (token 0: it granted no grace period),
  // and what the link received of it.
  struct Resumable {
    std::uint64_t session_id = 0;
    std::uint64_t token = 0;
    std::uint64_t received = 0;
    std::uint64_t told_dropped = 0;
  };

  std::int64_t heartbeat_ns_;
  Phase phase_ = Phase::disconnected;
  std::int64_t last_send_ns_ = 0;
  std::int64_t last_receive_ns_ = 0;
  std::int64_t last_ping_ns_ = 0;
  std::uint64_t ping_nonce_ = 0;
  std::int64_t hello_due_ns_ = 0;      // when a refused Hello is sent again; 0: not refused
  std::int64_t hello_backoff_ns_ = 0;  // the current back-off; 0 until the first refusal
  std::uint32_t request_id_ = 0;
  std::map<std::uint64_t, Entry> subscriptions_;        // by the owner's subscription id
  std::map<std::uint32_t, Answer> pending_;             // requests in flight, by request id
  std::map<std::uint32_t, std::string> unsubscribing_;  // patterns of unsubscribes in flight
  std::vector<std::string> unsent_unsubscribes_;        // for the peer, should the session resume
  Resumable resume_;
  bool resume_asked_ = false;  // the last hello() asked to resume resume_.session_id
};

}  // namespace enlace::protocol
