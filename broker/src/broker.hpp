// The broker: one routing thread that owns the ROUTER socket, the ZAP handler, the
// sessions and the subscription trie. Everything on the message path runs on that
// thread, so routing takes no locks. Other threads (signal handlers included) talk to it
// only through request_stop() and request_reload(), which write to an eventfd.
//
// One message's way through (docs/architecture.md follows it in more detail):
//   recv frame -> header check -> (batch: each inner frame) -> rate limit -> verifier ->
//   origin check -> publish ACL -> label, audience (nation bitmask) -> build the Delivery once ->
//   trie match -> per matching session: audience bit test, dedupe, queue a reference ->
//   end of loop pass: each connection's frames leave as one frame (or a batch frame), or
//   wait in its bounded queue while ZeroMQ's small pipe to that peer is full.
#pragma once

#include <fmt/format.h>
#include <zmq.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "connection.hpp"
#include "connection_monitor.hpp"
#include "cop_cache.hpp"
#include "enlace/journal/sequence_reservation.hpp"
#include "enlace/keys.hpp"
#include "enlace/policy/policy.hpp"
#include "enlace/protocol/frame.hpp"
#include "enlace/protocol/records.hpp"
#include "flood_guard.hpp"
#include "http_endpoint.hpp"
#include "journal_stage.hpp"
#include "latency_histogram.hpp"
#include "metrics.hpp"
#include "sd_notify.hpp"
#include "session.hpp"
#include "status_snapshot.hpp"
#include "string_hash.hpp"
#include "subscription_trie.hpp"
#include "token_bucket.hpp"
#include "zap_handler.hpp"

namespace enlace::broker {

struct BrokerConfig {
  /// ZeroMQ endpoint to bind; "tcp://127.0.0.1:*" picks a free port (see ready_file).
  std::string endpoint = "tcp://127.0.0.1:7450";
  std::filesystem::path policy_file;
  KeyPair keys;  // the broker's CURVE key pair
  std::string broker_id = "enlace-broker";
  /// Written (atomically, by rename) with the bound endpoint once the broker accepts
  /// connections; lets scripts and tests wait for readiness without polling a port.
  std::filesystem::path ready_file;
  /// Written with the broker's process id once it is ready, removed at a clean exit; how
  /// `enlace broker reload` finds the process to signal (docs/operations.md).
  std::filesystem::path pid_file;
  /// Written with Metrics::to_json every metrics_interval, and at shutdown.
  std::filesystem::path metrics_file;
  std::chrono::milliseconds metrics_interval = std::chrono::seconds(10);
  /// A session that announced no heartbeat and stays silent this long is sent a Ping; one
  /// silent for twice as long is closed (docs/protocol.md 5.2). Zero: never probed.
  std::chrono::milliseconds liveness_probe = std::chrono::seconds(30);
  /// The HTTP endpoint (/metrics, /healthz, /readyz, /status); none when nullopt
  /// (--http off). Loopback unless an operator names another address.
  std::optional<HttpAddress> http = HttpAddress{"127.0.0.1", 7451};
  /// Shown in /status and /metrics (enlace_build_info).
  std::string version;
  /// The data directory (--data-dir): where the durable streams' journals and the
  /// sequence mark live. Required when the policy names durable streams.
  std::filesystem::path data_dir;
};

/// The connection a frame came from, as ZeroMQ and the ZAP handler describe it.
struct Peer {
  std::string routing_id;      // ROUTER routing id (short: kept inline by std::string)
  std::string_view system_id;  // ZAP User-Id: the authenticated system
  zmq::message_t* message;     // the frame, for metadata only Hello needs
  // When the frame arrived, read once for all the messages a batch carries.
  std::int64_t arrival_ns;      // monotonic: rate limits, idle timers
  std::int64_t arrival_utc_ns;  // UTC: the deliveries' receive time

  /// The Z85 CURVE key the peer authenticated with (ZAP metadata); looked up on demand,
  /// as only Hello needs it.
  std::string_view public_key() const;
  /// The file descriptor of the peer's TCP connection (ZMQ_SRCFD), -1 if unknown; looked
  /// up on demand, as only Hello needs it.
  int source_fd() const;
};

class Broker {
 public:
  Broker(BrokerConfig config, std::shared_ptr<const policy::Policy> policy);
  ~Broker();
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  /// Binds and serves until request_stop(). Throws std::runtime_error naming the endpoint
  /// when it cannot bind.
  void run();

  /// Async-signal-safe: ask the routing thread to stop / to reload the policy file.
  void request_stop() noexcept;
  void request_reload() noexcept;

  /// The endpoint actually bound (after run() started binding).
  std::string bound_endpoint() const;

 private:
  // broker.cpp: lifecycle and housekeeping
  void bind();
  void handle_wakeups();
  void handle_authentications();
  void housekeeping(std::int64_t now);
  void write_metrics();
  void remove_pid_file() const;
  /// The gauges both the metrics file and the HTTP endpoint report, brought up to date.
  void refresh_gauges();
  // status.cpp: what the HTTP thread serves
  /// Hands a StatusSnapshot to the HTTP endpoint, if there is one (once a second, after
  /// bind and after a reload). `ready`: false once the broker is stopping.
  void publish_status(bool ready);
  /// The per-session queue gauges and the largest queues, for the metrics file.
  void note_session_queues();
  /// The poll() timeout of an idle loop: short while some connection has a backlog.
  int idle_wait_ms() const noexcept;

  // sessions.cpp: how sessions and connections end
  void reload_policy();
  /// Closes idle sessions and probes the silent ones that announced no heartbeat.
  void check_liveness(std::int64_t now);
  /// Ends a session: its subscriptions go, the deliveries still queued for it are dropped
  /// (dropped_gone); the control frames already queued stay, in order, on its connection.
  void close_session(Session& session, const char* why);
  /// Forgets a connection whose peer is gone: its session, its queue, its budget.
  void release_connection(Connection& connection, const char* why);
  /// Releases what the connection monitor reports gone (connection_monitor.hpp).
  void handle_connection_events();
  /// At shutdown, after the notices: until the peers in `notified` are gone (bounded).
  void await_departures(const std::vector<std::string>& notified, int router_fd, int monitor_fd);

  // resume.cpp: sessions that outlive their connection (docs/protocol.md 5.2)
  /// Keeps the session of a connection whose peer is gone (or silent) for a resume, if it
  /// asked for a grace period: the connection leaves connections_ for detached_. Returns
  /// false, changing nothing, when the session is not to be kept.
  bool detach_session(Connection& connection, const char* why);
  /// The detached session last seen on this peer's routing id and key (a frame it sent
  /// before its connection ended, read after), if any.
  Connection* find_detached(const Peer& peer);
  /// The connection holding the session a Hello asks to resume, if this peer may resume it.
  Connection* find_resumable(const Peer& peer, const wire::Hello& hello);
  /// Moves the session's connection to the Hello's routing id and descriptor and welcomes
  /// it, saying what it missed, ahead of everything it kept.
  void resume_session(Connection& connection, const Peer& peer, const wire::Hello& hello, int fd);
  std::uint64_t missed_on_resume(const Connection& connection, const wire::Hello& hello);
  /// Ends detached sessions whose grace period is over.
  void expire_detached(std::int64_t now);
  /// Ends the detached session of `system_id` closest to its end; false if it has none.
  bool end_oldest_detached(std::string_view system_id);
  void end_detached(Connection& connection, const char* why);
  std::int64_t grant_resume_grace(const wire::Hello& hello) const noexcept;

  // ingest.cpp: inbound frames (the hot path)
  void receive_all();
  void handle_message(zmq::message_t& routing_id, zmq::message_t& payload);
  void handle_frame(Session* session, const Peer& peer, const wire::FrameView& frame);
  void handle_publish(Session& session, const Peer& peer, const wire::FrameView& frame);
  void route(Session& publisher, const topic::Tokens& topic, wire::Bytes envelope_bytes,
             policy::NationMask audience, std::uint64_t sequence, std::int64_t receive_ns);
  // ingest.cpp: refusals of what peers send. Each is counted by code (and against the
  // session's flood guard); its reason is formatted only when the error rate limit lets
  // the Error go out, so refusing a flood builds nothing.
  // docs/protocol.md 8.2: what answers a request the peer waits for (a request id, an
  // acknowledged publish, a Hello) always goes; other refusals are rate limited.
  struct Ids {
    std::uint32_t request_id = 0;
    const wire::Uuid* message_id = nullptr;
    bool awaited = false;  // the peer waits for this answer (an acked publish, a Hello)
  };
  template <class... Args>
  void refuse(Session* session, const std::string& routing_id, Errc code, Ids ids,
              fmt::format_string<Args...> reason, Args&&... args) {
    if (answerable(session, routing_id, code, ids))
      answer(session, routing_id, code, ids, reason, fmt::make_format_args(args...));
  }
  bool answerable(Session* session, const std::string& routing_id, Errc code, Ids ids);
  void answer(Session* session, const std::string& routing_id, Errc code, Ids ids,
              fmt::string_view reason, fmt::format_args args);
  void refuse_rate_limited(Session& session, const wire::FrameView& frame);
  void refuse_cooling(const Peer& peer, CoolDowns::Entry& cooling);
  void cut_off(Session& session);
  /// Shuts the TCP connections of cut-off sessions whose notice has had time to leave.
  void close_due_connections(std::int64_t now);
  bool read_label(Session& session, const wire::Envelope& envelope, Ids ids,
                  policy::Classification& classification);

  // control.cpp: session control frames
  void handle_control(Session* session, const Peer& peer, const wire::ControlFrame& control);
  void handle_hello(const Peer& peer, const wire::Hello& hello);
  /// Builds the session's Welcome in control_fbb_.
  void build_welcome(const Session& session, bool resumed, std::uint64_t missed);
  static std::int64_t idle_timeout_of(const wire::Hello& hello) noexcept;
  void handle_subscribe(Session& session, const wire::Subscribe& subscribe);
  void handle_unsubscribe(Session& session, const wire::Unsubscribe& unsubscribe);
  /// Removes one subscription from the session and the trie; returns the next one.
  SubscriptionsByPattern::iterator remove_subscription(Session& session,
                                                       SubscriptionsByPattern::iterator it);
  /// Sets what a session takes from its system in the policy in force (at Hello and at
  /// every reload).
  void apply_policy(Session& session, const policy::System& system);

  // durable.cpp: the durable streams (journal_stage.hpp)
  /// At start: opens the journals of the policy's durable streams and the sequence mark,
  /// so that sequences continue above everything stored. Throws std::runtime_error.
  void open_journals();
  /// At start and after each reload: which open journal each of the policy's streams is.
  void map_durable_streams();
  /// The journal stream `tokens` go to, or -1 when the topic is not durable. A durable
  /// topic whose stream cannot take it now is refused (storage_unavailable, counted): -2.
  int durable_stream_for(Session& session, const topic::Tokens& tokens, std::size_t bytes,
                         const Peer& peer, Ids ids);
  /// The next message sequence, above every one used before, this run or an earlier one.
  std::uint64_t next_sequence() { return sequence_mark_ ? next_marked_sequence() : ++sequence_; }
  std::uint64_t next_marked_sequence();
  /// Hands the message to its journal; the publisher's Ack waits for the journal.
  void journal_message(int stream, Session& session, std::string_view topic, wire::Bytes envelope,
                       std::uint64_t sequence, std::int64_t receive_ns, Ids ids,
                       std::uint32_t audience_count);
  /// Answers the publishers of the batches the journal thread is done with.
  void handle_journal_completions();
  /// The publishers' answers for a batch the journal thread is done with.
  void answer_journaled(const JournalBatch& batch);
  /// At shutdown: hands over the last batch and answers what the journal stores, for at
  /// most a few seconds.
  void drain_journal();

  // cop.cpp: the COP cache and the snapshots it serves (docs/protocol.md 5.3)
  /// Keeps the message as its topic's newest: a topic the policy caches (CopPolicy::caches).
  void cache_message(const Session& publisher, const wire::Envelope& envelope,
                     wire::Bytes envelope_bytes, policy::NationMask audience,
                     std::uint64_t sequence, std::int64_t receive_ns);
  /// When a message goes stale: its envelope's stale time, or without one the policy's
  /// default for its payload kind after `receive_ns`.
  std::int64_t stale_time_of(const wire::Envelope& envelope,
                             std::int64_t receive_ns) const noexcept;
  /// At start: the COP cache's entries for cached durable topics, from the journals.
  void restore_cop_from_journals();
  /// Starts sending the snapshot a Subscribe asked for (after its Ack).
  void start_snapshot(Session& session, const SessionSubscription& subscription,
                      std::uint32_t request_id);
  /// Sends the next slice of each snapshot whose connection has no backlog: the subscriber's
  /// flow control, and a bound on what one pass spends on snapshots.
  void advance_snapshots();
  /// Ends the snapshots of a subscription being removed: no EndOfSnapshot follows.
  void stop_snapshots(Session& session, const SessionSubscription& subscription);
  /// At start and after each reload: the cache's limits and stale times from the policy,
  /// and every entry re-examined under it (revoked publishers, narrowed audiences).
  void apply_cop_policy();
  bool snapshot_can_advance() const noexcept;
  /// Whether a replay that waited for its connection's queue may go on now: the queue
  /// drained in a flush after the replay's turn in the pass.
  bool replay_can_advance() const noexcept;

  // replay.cpp: replays from the durable streams' journals (docs/protocol.md 5.3)
  /// The journal stage's streams that may hold topics matching `pattern`.
  std::vector<std::uint32_t> replay_streams(std::string_view pattern) const;
  /// Starts sending the replay a Subscribe asked for (after its Ack).
  void start_replay(Session& session, const SessionSubscription& subscription,
                    const wire::Subscribe& request, std::vector<std::uint32_t> streams);
  /// Sends what each replay whose connection has no backlog has read, and asks the reader
  /// thread for more; ends each with EndOfReplay.
  void advance_replays();
  /// Ends the replays of a subscription being removed: no EndOfReplay follows.
  void stop_replays(Session& session, const SessionSubscription& subscription);
  /// A slice the reader thread read, back on the routing thread.
  void replay_slice_read(std::shared_ptr<ReplaySlice> slice);
  void open_replay(const Session& session, ReplayStream& replay);
  /// A journaled record as the policy in force sees it (admit_journaled()).
  struct JournaledMessage {
    const policy::System* system = nullptr;
    std::string_view nation;
    wire::Bytes envelope;             // verified, 8-byte aligned (valid until the next call)
    policy::NationMask audience = 0;  // 0 when its label is no longer allowed
  };
  /// Checks a record as a publish is checked, under the policy now: it verifies, its
  /// publisher is still a system of that nation, not revoked, allowed the topic. False
  /// (and counted) when not.
  bool admit_journaled(const journal::Record& record, const topic::Tokens& tokens,
                       JournaledMessage& out);
  /// Sends one journaled record if the subscriber may have it; returns the bytes queued.
  std::size_t replay_record(Session& session, const ReplayStream& replay,
                            const journal::Record& record);

  // outbound.cpp: the frames the broker sends (refusals: refuse(), above)
  /// An Error frame that refuses nothing (shutting_down, revoked, deliveries_dropped):
  /// always sent, not counted as a refusal.
  void send_notice(const std::string& routing_id, Errc code, std::string_view reason);
  void send_ack(Session& session, std::uint32_t request_id, const wire::Uuid* message_id,
                std::uint64_t sequence, std::uint32_t count);
  /// Sends the control frame finished in `fbb`: after everything already produced for the
  /// peer when it has a connection here (so it keeps its place among the deliveries), else
  /// at once, or not at all if ZeroMQ's pipe to it is full (counted).
  void send_control(const std::string& routing_id, flatbuffers::FlatBufferBuilder& fbb);
  /// Appends a Deliver frame built from a publisher's template to the pass buffer.
  protocol::RecordRef append_delivery(const DeliveryTemplate& templ, std::uint64_t sequence,
                                      std::int64_t receive_ns, wire::Bytes envelope);
  void enqueue(Connection& connection, protocol::RecordRef record);
  /// Keeps a delivery of a LatestPerTopic subscription, for a backed-up connection, as its
  /// topic's pending one (replacing an older one), within the session's delivery bound.
  void conflate(Connection& connection, std::string_view topic, protocol::RecordRef record);

  // flush.cpp: handing frames to ZeroMQ, the per-connection queues and their bounds
  enum class SendResult { sent, blocked, gone };
  /// End of a loop pass: each connection's backlog, then its frames of this pass, leave
  /// while ZeroMQ's pipe takes them; the rest waits in its queue or is dropped (counted).
  void flush_connections();
  void flush_connection(Connection& connection);
  /// Starts a message to `routing_id` (its routing-id part): sent when ZeroMQ's pipe to the
  /// peer has room for a message, blocked when it has none, gone when the peer left. After
  /// `sent`, finish_send() must follow at once with the frame.
  SendResult start_send(const std::string& routing_id);
  void finish_send(zmq::message_t& frame);
  /// Keeps in the queue what the pipe did not take this pass (pending from `first_unsent`)
  /// and drops the deliveries that exceed its bound. Returns the index of the control frame
  /// that overflowed the control bound, or pending.size().
  std::size_t keep_unsent(Connection& connection, std::size_t first_unsent);
  void count_drop(Connection& connection, const std::uint8_t* record);
  /// Builds, in control_fbb_, the notice of the deliveries dropped since the last one, and
  /// counts it as told: the caller puts it in front of the next frame (docs/protocol.md 5.6).
  void build_drop_notice(Connection& connection);
  /// Ends the session of a peer whose deliveries overflowed its bound for too long.
  void end_slow_session(Connection& connection);
  /// Ends the session of a peer that leaves its answers unread (control bound exceeded).
  void end_unread_session(Connection& connection);
  /// Puts a control frame straight into a connection's queue (after the flush of a pass).
  bool queue_control(Connection& connection, flatbuffers::FlatBufferBuilder& fbb);
  OutboundQueue::Bounds outbound_bounds() const noexcept;
  void note_backlog(Connection& connection);
  bool send_to(const std::string& routing_id, zmq::message_t& frame);

  Connection* find_connection(std::string_view routing_id) noexcept;
  Session* find_session(std::string_view routing_id) noexcept;

  BrokerConfig config_;
  std::shared_ptr<const policy::Policy> policy_;
  zmq::context_t context_;
  std::unique_ptr<ZapHandler> zap_;
  zmq::socket_t router_;
  std::unique_ptr<ConnectionMonitor> monitor_;
  std::string bound_endpoint_;
  int wake_fd_ = -1;
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> reload_requested_{false};

  // Peers that opened a session, by routing id; each owns its session, if one is open.
  StringMap<std::unique_ptr<Connection>> connections_;
  // Connections whose session waits for a resume (resume.cpp), by session id.
  std::unordered_map<std::uint64_t, std::unique_ptr<Connection>> detached_;
  StringMap<std::size_t> sessions_per_system_;  // open sessions by system id, detached too
  std::vector<Connection*> flush_list_;         // connections with frames this pass
  std::vector<Connection*> backlogged_;         // connections with a non-empty queue
  std::vector<Connection*> gone_;               // found gone by a send, during a flush
  std::vector<Connection*> departed_;           // reported gone by the monitor
  std::uint64_t flush_pass_ = 0;
  // Every frame produced during a loop pass, once, as batch records; sessions hold
  // offsets into it. Cleared after each flush, its memory kept: producing a delivery
  // allocates nothing once warmed up, however many subscribers receive it.
  protocol::RecordBuffer pass_buffer_;
  SubscriptionTrie trie_;
  CopCache cop_;
  // Seconds a cached message lives when its envelope sets no stale time, by payload kind.
  std::array<std::int64_t, static_cast<std::size_t>(wire::Payload::MAX) + 1> stale_ns_by_kind_{};
  std::int64_t default_stale_ns_ = 0;
  std::vector<Session*> snapshotting_;  // sessions with a snapshot being sent
  std::vector<Session*> replaying_;     // sessions with a replay being sent
  bool replays_due_ = false;            // a replay stopped at its budget: the next pass at once
  // Replayed deliveries' templates by publishing system; emptied at each reload (roles).
  std::unordered_map<std::string, DeliveryTemplate, StringHash, std::equal_to<>> replay_templates_;
  std::vector<std::uint64_t> replay_aligned_;  // a replayed envelope, 8-byte aligned
  std::uint64_t next_session_id_ = 0;
  std::uint64_t next_subscription_id_ = 0;
  std::uint64_t sequence_ = 0;
  std::unique_ptr<JournalStage> journal_;  // when the policy names durable streams
  std::optional<journal::SequenceReservation> sequence_mark_;  // with the journal
  std::vector<int> journal_stream_of_;        // by the policy's stream index: journal's, or -1
  std::vector<std::uint8_t> origin_scratch_;  // a journaled message's origin header
  TokenBucket anonymous_errors_{100, 200};    // errors to peers that never opened a session
  // Refusals answered are logged at info, at most this many lines a second (ingest.cpp).
  static constexpr double kRefusalLogRate = 10;
  TokenBucket refusal_log_{kRefusalLogRate, 2 * kRefusalLogRate};
  std::uint64_t refusals_not_logged_ = 0;
  std::uint64_t next_ping_nonce_ = 0;
  Metrics metrics_;
  // Ingest-to-send latency (latency_histogram.hpp): the publish frames of this pass, and
  // the histogram they go into when the pass has flushed.
  PassArrivals pass_arrivals_;
  LatencyHistogram ingest_to_send_;
  std::unique_ptr<HttpEndpoint> http_;
  ServiceNotifier notify_;  // systemd's $NOTIFY_SOCKET, if any
  // The latest reload's outcome (sessions.cpp), shared with the snapshots that report it.
  std::shared_ptr<const ReloadOutcome> last_reload_ = std::make_shared<ReloadOutcome>();
  std::int64_t started_utc_ns_ = 0;
  std::int64_t started_monotonic_ns_ = 0;
  std::int64_t next_status_ns_ = 0;
  std::int64_t next_metrics_ns_ = 0;
  std::int64_t next_expiry_check_ns_ = 0;
  protocol::RecordBuffer notice_buffer_;  // scratch for control frames queued after a flush
  std::vector<protocol::RecordRef> conflated_refs_;  // scratch of flush_connection

  // Reused buffers: after warm-up the message path allocates nothing of its own.
  flatbuffers::FlatBufferBuilder control_fbb_{256};
  std::vector<std::uint64_t> aligned_copy_;  // for the rare frame ZeroMQ stores unaligned
  std::vector<std::string_view> label_nations_;
  fmt::memory_buffer reason_;  // the reason of the refusal being answered
  CoolDowns cool_downs_;       // systems cut off for flooding (ingest.cpp)
  // Connections of cut-off sessions, to be shut down when due (oldest first).
  struct Closing {
    std::string routing_id;
    std::string system_id;  // for the log
    ConnectionMonitor::RemoteEnd remote;
    std::int64_t due_ns;
  };
  std::deque<Closing> closing_;
};

}  // namespace enlace::broker
