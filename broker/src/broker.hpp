// The broker: one routing thread that owns the ROUTER socket, the ZAP handler, the
// sessions and the subscription trie. Everything on the message path runs on that
// thread, so routing takes no locks. Other threads (signal handlers included) talk to it
// only through request_stop() and request_reload(), which write to an eventfd.
//
// One message's way through (docs/architecture.md follows it in more detail):
//   recv frame -> header check -> (batch: each inner frame) -> verifier -> origin check ->
//   publish ACL -> rate limit -> audience (nation bitmask) -> build the Delivery once ->
//   trie match -> per matching session: audience bit test, dedupe, queue a reference ->
//   end of loop pass: each session's queue leaves as one frame (or a batch frame).
#pragma once

#include <zmq.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "enlace/keys.hpp"
#include "enlace/policy/policy.hpp"
#include "enlace/protocol/frame.hpp"
#include "enlace/protocol/records.hpp"
#include "metrics.hpp"
#include "session.hpp"
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
  /// Written with Metrics::to_json every metrics_interval, and at shutdown.
  std::filesystem::path metrics_file;
  std::chrono::milliseconds metrics_interval = std::chrono::seconds(10);
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
};

class Broker {
 public:
  Broker(BrokerConfig config, std::shared_ptr<const policy::Policy> policy);
  ~Broker();
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  /// Binds and serves until request_stop(). Throws on bind failure.
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
  void reload_policy();
  void housekeeping(std::int64_t now);
  void expire_sessions(std::int64_t now);
  void write_metrics();
  void close_session(Session& session, const char* why);

  // ingest.cpp: inbound frames (the hot path)
  void receive_all();
  void handle_message(zmq::message_t& routing_id, zmq::message_t& payload);
  void handle_frame(Session* session, const Peer& peer, const wire::FrameView& frame);
  void handle_publish(Session& session, const Peer& peer, const wire::FrameView& frame);
  void route(Session& publisher, const topic::Tokens& topic, wire::Bytes envelope_bytes,
             policy::NationMask audience, std::uint64_t sequence, std::int64_t receive_ns);

  // control.cpp: session control frames
  void handle_control(Session* session, const Peer& peer, const wire::ControlFrame& control);
  void handle_hello(const Peer& peer, const wire::Hello& hello);
  void handle_subscribe(Session& session, const wire::Subscribe& subscribe);
  void handle_unsubscribe(Session& session, const wire::Unsubscribe& unsubscribe);
  /// Removes one subscription from the session and the trie; returns the next one.
  SubscriptionsByPattern::iterator remove_subscription(Session& session,
                                                       SubscriptionsByPattern::iterator it);
  /// Sets what a session takes from its system in the policy in force (at Hello and at
  /// every reload).
  void apply_policy(Session& session, const policy::System& system);

  // outbound.cpp: everything the broker sends
  /// A refusal: counted by code, then answered (within the error rate limit).
  void send_error(Session* session, const std::string& routing_id, Errc code, std::string reason,
                  std::uint32_t request_id = 0, const wire::Uuid* message_id = nullptr);
  /// An Error frame that refuses nothing (e.g. shutting_down): answered, not counted.
  void send_notice(Session* session, const std::string& routing_id, Errc code, std::string reason,
                   std::uint32_t request_id = 0, const wire::Uuid* message_id = nullptr);
  void send_ack(Session& session, std::uint32_t request_id, const wire::Uuid* message_id,
                std::uint64_t sequence, std::uint32_t count);
  /// Sends the control frame finished in `fbb`: through the session's queue when the peer
  /// has one (so it keeps its place among the deliveries), else at once.
  void send_control(const std::string& routing_id, flatbuffers::FlatBufferBuilder& fbb);
  /// Appends a Deliver frame built from the publisher session's template to the pass buffer.
  protocol::RecordRef append_delivery(const Session& publisher, std::uint64_t sequence,
                                      std::int64_t receive_ns, wire::Bytes envelope);
  void enqueue(Session& session, protocol::RecordRef record);
  void flush_sessions();
  bool send_to(const std::string& routing_id, zmq::message_t& frame);

  Session* find_session(std::string_view routing_id) noexcept;

  BrokerConfig config_;
  std::shared_ptr<const policy::Policy> policy_;
  zmq::context_t context_;
  std::unique_ptr<ZapHandler> zap_;
  zmq::socket_t router_;
  std::string bound_endpoint_;
  int wake_fd_ = -1;
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> reload_requested_{false};

  StringMap<std::unique_ptr<Session>> sessions_;  // by routing id
  std::vector<Session*> flush_list_;              // sessions with pending frames this pass
  // Every frame produced during a loop pass, once, as batch records; sessions hold
  // offsets into it. Cleared after each flush, its memory kept: producing a delivery
  // allocates nothing once warmed up, however many subscribers receive it.
  protocol::RecordBuffer pass_buffer_;
  SubscriptionTrie trie_;
  std::uint64_t next_session_id_ = 0;
  std::uint64_t next_subscription_id_ = 0;
  std::uint64_t sequence_ = 0;
  TokenBucket anonymous_errors_{100, 200};  // errors to peers without a session
  Metrics metrics_;
  std::int64_t next_metrics_ns_ = 0;
  std::int64_t next_expiry_check_ns_ = 0;

  // Reused buffers: after warm-up the message path allocates nothing of its own.
  flatbuffers::FlatBufferBuilder control_fbb_{256};
  std::vector<std::uint64_t> aligned_copy_;  // for the rare frame ZeroMQ stores unaligned
  std::vector<std::string_view> label_nations_;
};

}  // namespace enlace::broker
