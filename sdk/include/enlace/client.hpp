// The Enlace client: one authenticated session with a broker.
//
// Threads. A Client owns one background I/O thread that owns the ZeroMQ socket (while it
// waits, a publishing thread may send its own message on it, under a lock it only ever
// tries), and a heartbeat keeper that keeps the session alive while a callback runs long.
// Every callback (deliveries, state changes, asynchronous errors) runs on the I/O thread,
// one at a time, never while the client holds a lock another thread waits for. A slow
// handler delays the deliveries behind it (the broker drops what exceeds this session's
// queue, and counts it), never the session itself.
// All public member functions are thread-safe; the blocking ones (connect, subscribe,
// unsubscribe, publish_and_wait) refuse with invalid_argument when called from a callback,
// since they wait for the thread that runs it.
//
// Delivery semantics. publish() returning success means the envelope was handed to ZeroMQ
// or queued in this process, nothing more: the broker may still refuse it (reported
// through on_error) and a connection loss may drop it. publish_and_wait() returns once the broker
// has accepted (audience computed, routed to its subscribers' queues) or refused the message;
// publish_with_ack() hands the same answer to a handler instead, so that many publishes
// can wait for theirs at once. For a durable topic the Ack also means stored, as the
// topic's durability mode says (docs/protocol.md, "Acknowledgement").
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "enlace/delivery.hpp"
#include "enlace/envelope_builder.hpp"
#include "enlace/error.hpp"
#include "enlace/export.hpp"
#include "enlace/keys.hpp"
#include "enlace/result.hpp"

namespace enlace {

enum class ConnectionState {
  connecting,    // first connection attempt in progress
  connected,     // handshake done, Welcome received, subscriptions in place
  reconnecting,  // lost the broker; retrying with back-off, subscriptions kept
  auth_failed,   // the broker refused our key (unknown or revoked); retried every reconnect_max
  closed,        // close() was called or the destructor ran
};

ENLACE_API std::string_view to_string(ConnectionState state) noexcept;

/// Who the broker says we are, from its Welcome.
struct SessionInfo {
  std::string broker_id;
  std::string nation;
  std::string system;
  std::string role;
  std::string policy_version;
  std::uint32_t max_message_bytes = 0;
  std::uint64_t session_id = 0;
};

struct ClientOptions {
  std::string endpoint;           // e.g. "tcp://127.0.0.1:7450"
  std::string broker_public_key;  // Z85
  KeyPair keys;                   // this system's CURVE key pair
  std::string client_name = "enlace-sdk";

  /// The client pings at this interval and declares the broker lost after three missed
  /// intervals with no traffic.
  std::chrono::milliseconds heartbeat = std::chrono::milliseconds(1000);
  /// Reconnection back-off after a lost connection, doubling from reconnect_min to
  /// reconnect_max. After a refused handshake (auth_failed, or a cut-off's cool-down) a
  /// fresh connection is tried every reconnect_max.
  std::chrono::milliseconds reconnect_min = std::chrono::milliseconds(100);
  std::chrono::milliseconds reconnect_max = std::chrono::milliseconds(5000);
  /// Bytes of envelopes waiting to be sent before publish() answers queue_full.
  std::size_t send_queue_bytes = 16 * 1024 * 1024;
  /// How long publish() waits for room in a full send queue before it answers queue_full
  /// (like ZMQ_SNDTIMEO). Zero, the default, answers at once and never blocks the caller.
  /// A publish() from a delivery callback never waits: the I/O thread would be the one to
  /// make room.
  std::chrono::milliseconds send_queue_wait = std::chrono::milliseconds(0);
  /// How long the broker is asked to keep this client's session after its connection is lost
  /// (it grants at most its policy's resume_grace_seconds). A client back within it resumes
  /// the session: its subscriptions, and what was queued for it meanwhile, which arrives; what
  /// was lost is counted in deliveries_missed and reported to on_error (deliveries_dropped).
  /// A client back too late gets a new session, and on_error session_not_resumed. Zero: the
  /// session ends with its connection. close() ends it at once (Bye).
  std::chrono::milliseconds resume_grace = std::chrono::milliseconds(30000);
  /// How long a publish_with_ack() handler waits for the broker's answer before it is
  /// answered with timeout (the message may or may not have been accepted).
  std::chrono::milliseconds ack_timeout = std::chrono::milliseconds(10000);
  /// At most this many publish_with_ack() handlers wait at once; beyond, publish_with_ack()
  /// answers queue_full. The caller's window of publishes in flight is normally far smaller.
  std::size_t max_pending_acks = 65536;

  /// Called on the I/O thread at every state change, with the error that caused it
  /// (code ok when none).
  std::function<void(ConnectionState, const ErrorInfo&)> on_state;
  /// Called on the I/O thread for every refusal the broker reports that no caller is
  /// waiting for (e.g. a publish() the broker refused, a resubscription denied after a
  /// policy change). Errors are also counted; see Client::stats().
  std::function<void(const ErrorInfo&)> on_error;
};

using DeliveryHandler = std::function<void(const Delivery&)>;

/// How a replay ended (the broker's EndOfReplay, docs/protocol.md 5.3).
struct ReplayEnd {
  std::uint64_t replayed = 0;  // journaled messages sent to this subscription
  /// Damaged journal records the replay met and skipped, which may have held messages it
  /// should have sent (the broker logs and counts each). 0: the replay is whole.
  std::uint64_t damaged = 0;
  std::uint64_t horizon = 0;  // the broker's last sequence when the replay began
};

/// What a subscription asks of the broker.
struct SubscribeOptions {
  /// The cached messages of the COP (the newest per cached topic) that this system may see,
  /// each with Delivery::from_snapshot(), then on_snapshot_end with their count. Live
  /// traffic starts at once and may arrive before the snapshot ends; for any one topic a
  /// snapshot delivery never follows a live one (docs/protocol.md 5.3, "Snapshot").
  bool snapshot = false;
  /// Sequence (replay_value: the first sequence), Time (replay_value: UTC ns) or Earliest:
  /// first the journaled messages of the durable streams matching the pattern that this
  /// system may see now, each with Delivery::replayed(), in sequence order, then
  /// on_replay_end with their count; live traffic starts at once, with the sequences after
  /// the replay's (docs/protocol.md 5.3, "Replay"). Refused with replay_unavailable when no
  /// durable stream can hold the pattern's topics, or with `snapshot`. Asked for once:
  /// after a reconnection the subscription is restored live only.
  wire::ReplayFrom replay_from = wire::ReplayFrom::None;
  std::uint64_t replay_value = 0;
  /// LatestPerTopic: while the broker holds a backlog for this client (a slow link), only
  /// the newest pending message of each topic is kept (docs/protocol.md 5.6).
  wire::Conflation conflation = wire::Conflation::None;
  std::function<void(std::uint32_t cached_count)> on_snapshot_end;
  std::function<void(const ReplayEnd&)> on_replay_end;
};

/// Handle of one subscription; pass it to Client::unsubscribe().
struct Subscription {
  std::uint64_t id = 0;
  std::string pattern;
};

struct PublishAck {
  wire::Uuid message_id{};
  std::uint64_t sequence = 0;          // broker sequence number assigned
  std::uint32_t audience_nations = 0;  // how many nations the message may reach
};

/// The broker's answer to one publish_with_ack(): the Ack, or the Error it sent, or timeout
/// (ClientOptions::ack_timeout), or closed when the client closed first.
using AckHandler = std::function<void(const Result<PublishAck>&)>;

struct ClientStats {
  std::uint64_t published = 0;  // envelopes handed to the socket
  std::uint64_t delivered = 0;  // deliveries passed to handlers
  std::uint64_t frames_sent = 0;
  std::uint64_t frames_received = 0;
  std::uint64_t broker_errors = 0;   // Error frames received
  std::uint64_t invalid_frames = 0;  // frames from the broker that failed verification
  std::uint64_t reconnects = 0;
  /// Deliveries the broker told this client it dropped (deliveries_dropped, slow_consumer
  /// notices, and the Welcome of a resumed session; each is also passed to on_error).
  std::uint64_t deliveries_missed = 0;
  std::uint64_t sessions_resumed = 0;  // connections lost and bridged by a resume
  /// New sessions where a resume was asked for (each also passed to on_error as
  /// session_not_resumed): what was missed in between is not known.
  std::uint64_t sessions_not_resumed = 0;
};

class ENLACE_API Client {
 public:
  /// Starts the I/O thread, which starts connecting at once. Throws std::invalid_argument
  /// for malformed keys or endpoint.
  explicit Client(ClientOptions options);
  /// Same as close().
  ~Client();

  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  /// Waits until the session is established (Welcome received). Fails with
  /// authentication_failed if the broker refused our key, timeout otherwise.
  Result<SessionInfo> wait_connected(std::chrono::milliseconds timeout);

  ConnectionState state() const noexcept;
  /// The identity of the current (or last) session; empty before the first Welcome.
  SessionInfo session() const;

  /// Queues a typed message. `build` creates the payload in the builder it is given and
  /// returns its offset, e.g.
  ///   client.publish("position.COL.unit.P12", [&](auto& fbb) {
  ///     return wire::CreatePositionReportDirect(fbb, "P12", ...); });
  /// Fails with not_connected before the first Welcome (the origin is not known yet),
  /// invalid_topic, message_too_large or queue_full. Success means sent or queued (see above).
  template <class Build>
  Result<wire::Uuid> publish(std::string_view topic, Build&& build,
                             const PublishOptions& options = {}) {
    return publish_built(topic, options, Acknowledge::no, nullptr, [&](EnvelopeEncoder& b) {
      auto payload = build(b.fbb());
      return std::make_pair(payload_type_of<decltype(payload)>(), payload.Union());
    });
  }

  /// Like publish(), then waits for the broker's Ack or Error.
  template <class Build>
  Result<PublishAck> publish_and_wait(std::string_view topic, Build&& build,
                                      const PublishOptions& options = {},
                                      std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    auto id = publish_built(topic, options, Acknowledge::wait, nullptr, [&](EnvelopeEncoder& b) {
      auto payload = build(b.fbb());
      return std::make_pair(payload_type_of<decltype(payload)>(), payload.Union());
    });
    if (!id) return id.error();
    return await_ack(*id, timeout);
  }

  /// Like publish(), and asks for the broker's answer without waiting for it: `on_answer`
  /// runs once on the I/O thread with the Ack (the broker sequence assigned) or the refusal,
  /// or with timeout after ClientOptions::ack_timeout, or closed. Answers come in publish
  /// order for one topic's messages. A window of publishes in flight, each answered by
  /// its handler, is how to publish acknowledged at full rate. Callable from a callback.
  /// Fails like publish(), and with queue_full when ClientOptions::max_pending_acks
  /// handlers already wait (`on_answer` is not called then).
  template <class Build>
  Result<wire::Uuid> publish_with_ack(std::string_view topic, Build&& build, AckHandler on_answer,
                                      const PublishOptions& options = {}) {
    if (!on_answer) return ErrorInfo{Errc::invalid_argument, "publish_with_ack() needs a handler"};
    return publish_built(topic, options, Acknowledge::handler, &on_answer, [&](EnvelopeEncoder& b) {
      auto payload = build(b.fbb());
      return std::make_pair(payload_type_of<decltype(payload)>(), payload.Union());
    });
  }

  /// Queues an envelope built elsewhere (identifier "ENV1"). The SDK verifies it first
  /// (invalid_envelope on failure); it does not fill in the origin. With `acknowledge`,
  /// the broker's answer is waited for, up to `timeout`.
  Result<PublishAck> publish_envelope(wire::Bytes envelope, bool acknowledge,
                                      std::chrono::milliseconds timeout = std::chrono::seconds(5));

  /// Subscribes and waits for the broker's answer. On refusal returns the broker's code
  /// (subscribe_denied, wildcard_forbidden, invalid_pattern, ...) and reason, and keeps
  /// nothing. On success the subscription is restored after every reconnection.
  /// `handler` runs on the I/O thread for each matching delivery.
  Result<Subscription> subscribe(std::string pattern, DeliveryHandler handler,
                                 SubscribeOptions options = {},
                                 std::chrono::milliseconds timeout = std::chrono::seconds(5));

  /// Removes the subscription; its handler is not called after this returns (unless
  /// called from the handler itself).
  Status unsubscribe(const Subscription& subscription,
                     std::chrono::milliseconds timeout = std::chrono::seconds(5));

  /// Waits until the broker has received every message this client published before the
  /// call: the queue drains to the socket, then a Ping behind it comes back as a Pong,
  /// which the broker sends only after processing everything before it on the connection
  /// (NATS's Flush works the same way). Success therefore means "accepted or refused by
  /// the broker", not "delivered to subscribers". Fails with timeout (messages still
  /// queued, or no Pong in time), not_connected (no session, or the connection went
  /// before the Pong: what was in flight may be lost), closed. Not from a callback.
  Status flush(std::chrono::milliseconds timeout = std::chrono::seconds(5));

  ClientStats stats() const;

  /// Stops the I/O thread; no callback runs after this returns. Idempotent. What is still
  /// queued, or handed to the socket but not confirmed by flush(), is discarded: call
  /// flush() first to know that the broker has it.
  void close();

 private:
  class Impl;
  using BuildFn = std::pair<wire::Payload, flatbuffers::Offset<void>> (*)(EnvelopeEncoder&, void*);

  /// Whether a publish asks for the broker's answer, and who takes it.
  enum class Acknowledge { no, wait, handler };

  template <class F>
  Result<wire::Uuid> publish_built(std::string_view topic, const PublishOptions& options,
                                   Acknowledge acknowledge, AckHandler* on_answer, F&& make) {
    return publish_with(
        topic, options, acknowledge, on_answer,
        [](EnvelopeEncoder& b, void* ctx) { return (*static_cast<F*>(ctx))(b); }, &make);
  }
  Result<wire::Uuid> publish_with(std::string_view topic, const PublishOptions& options,
                                  Acknowledge acknowledge, AckHandler* on_answer, BuildFn build,
                                  void* context);
  Result<PublishAck> await_ack(const wire::Uuid& id, std::chrono::milliseconds timeout);

  std::unique_ptr<Impl> impl_;
};

}  // namespace enlace
