// Internals of enlace::Client.
//
// Ownership and threads:
//   - The I/O thread owns the ZeroMQ DEALER socket, its monitor socket, the subscription
//     table and the table of outstanding subscribe/unsubscribe requests, and holds
//     `socket_mutex_` for its whole loop pass, so dispatching a delivery takes no other
//     lock. While it waits in poll(), a publishing thread may take `socket_mutex_`
//     (try_lock, never waiting) and send its own message, saving the hand-over to the I/O
//     thread at low rates (see send_now()). Lock order: socket_mutex_, then mutex_.
//   - User threads and the I/O thread share `Shared` (below) under `mutex`: the outbox of
//     encoded frames, the command queue, the session identity and the acknowledgement
//     waiters. A user thread holds the mutex only to append or look; the I/O thread only
//     to swap buffers out. No callback ever runs with the mutex held.
#pragma once

#include <zmq.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "enlace/client.hpp"
#include "enlace/protocol/frame.hpp"
#include "enlace/protocol/records.hpp"
#include "enlace/topic.hpp"

namespace enlace {

/// A request from a user thread to the I/O thread.
struct ClientCommand {
  enum class Kind { subscribe, unsubscribe } kind;
  std::uint64_t subscription_id = 0;
  // For subscribe: the new entry's contents.
  std::string pattern;
  DeliveryHandler handler;
  SubscribeOptions options;
  std::shared_ptr<std::promise<Status>> done;
};

struct UuidKey {
  std::uint64_t hi, lo;
  bool operator<(const UuidKey& o) const noexcept { return hi != o.hi ? hi < o.hi : lo < o.lo; }
};
inline UuidKey key_of(const wire::Uuid& id) noexcept {
  return {id.hi(), id.lo()};
}

// How often publishing threads may send their message themselves instead of queueing it
// for the I/O thread, which batches (Impl::enqueue_envelope): up to 20,000 msgs/s per
// client, with bursts of 16, a message does not wait for a thread hand-over; beyond that,
// messages queue and leave in batches, which keeps the CURVE cost per message low.
inline constexpr double kSendNowRate = 20'000;
inline constexpr double kSendNowBurst = 16;

struct AckWaiter {
  bool done = false;
  Result<PublishAck> result = ErrorInfo{Errc::timeout, "no answer from the broker"};
};

// Hidden: nested in an exported class, it would otherwise be exported with it.
class [[gnu::visibility("hidden")]] Client::Impl {
 public:
  explicit Impl(ClientOptions options);
  ~Impl();

  void stop();

  // --- called from user threads -------------------------------------------------------
  Result<wire::Uuid> publish(std::string_view topic, const PublishOptions& options,
                             bool acknowledge, BuildFn build, void* context);
  Result<PublishAck> enqueue_envelope(wire::Bytes envelope, bool acknowledge,
                                      const wire::Uuid* id_out_for_ack);
  Result<PublishAck> await_ack(const wire::Uuid& id, std::chrono::milliseconds timeout);
  /// Hands a command to the I/O thread and waits for its answer.
  Status submit(ClientCommand command, std::chrono::milliseconds timeout);
  /// Hands a command to the I/O thread without waiting; false once the client is closed.
  bool post(ClientCommand command);
  std::uint64_t next_subscription_id() {
    return next_subscription_id_.fetch_add(1) + 1;
  }
  bool on_io_thread() const noexcept {
    return std::this_thread::get_id() == io_thread_.get_id();
  }
  void wake_io_thread() noexcept;
  /// Under mutex_: whether the send-now budget (kSendNowRate) allows one more.
  bool take_send_now_token() noexcept;

  // --- shared state --------------------------------------------------------------------
  const ClientOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;  // state, session, acks, outbox drained
  ConnectionState state_ = ConnectionState::connecting;
  ErrorInfo last_error_;
  SessionInfo session_;
  // Names the origin in session_ for publishing threads' caches: a fresh value from a
  // process-wide counter at every Welcome, so no two clients or sessions share one; 0 until
  // the first session (so it also says whether there has been one). Written under mutex_.
  std::atomic<std::uint64_t> origin_generation_{0};
  // Encoded frames waiting to be sent, as records (protocol/records.hpp).
  protocol::RecordBuffer outbox_;
  std::vector<protocol::RecordRef> outbox_records_;
  std::size_t in_flight_bytes_ = 0;         // swapped out by the I/O thread, not yet sent
  double send_now_tokens_ = kSendNowBurst;  // the bucket of kSendNowRate, under mutex_
  std::int64_t send_now_refill_ns_ = 0;
  std::deque<ClientCommand> commands_;
  std::map<UuidKey, std::shared_ptr<AckWaiter>> ack_waiters_;
  bool stopping_ = false;

  struct Counters {
    std::atomic<std::uint64_t> published{0}, delivered{0}, frames_sent{0}, frames_received{0},
        broker_errors{0}, invalid_frames{0}, reconnects{0};
  } counters_;

 private:
  // --- I/O thread ----------------------------------------------------------------------
  struct Subscription {
    std::uint64_t id;
    std::string pattern;
    topic::Tokens tokens;  // views into `pattern`; entries are heap-stable (unique_ptr)
    DeliveryHandler handler;
    SubscribeOptions options;
    bool confirmed = false;
    std::uint32_t snapshot_request = 0;  // request id whose EndOfSnapshot ends the snapshot
  };
  struct Request {
    ClientCommand::Kind kind;
    std::uint64_t subscription_id;
    std::shared_ptr<std::promise<Status>> done;
  };
  enum class Phase { disconnected, awaiting_welcome, ready };

  void run();
  void loop();
  ConnectionState state() const;
  std::uint32_t next_request_id() noexcept;
  void open_socket();
  void close_socket();
  /// Handles one monitor event; false when there was none.
  bool handle_monitor_event();
  void handle_inbound(zmq::message_t & message);
  void handle_frame(const wire::FrameView& frame, const std::shared_ptr<const void>& owner);
  void handle_control(const wire::ControlFrame& control);
  void handle_welcome(const wire::Welcome& welcome);
  void handle_ack(const wire::Ack& ack);
  void handle_error(const wire::Error& error);
  void dispatch(const wire::FrameView& frame, const std::shared_ptr<const void>& owner);
  void run_commands();
  void send_subscribe(Subscription & subscription, std::shared_ptr<std::promise<Status>> done);
  void send_hello();
  void send_ping(std::int64_t now);
  bool send_control(flatbuffers::FlatBufferBuilder & fbb);
  /// On a publishing thread holding socket_mutex_: sends one publish frame at once.
  bool send_now(wire::Bytes envelope, std::uint8_t flags);
  void flush_outbox();
  void set_state(ConnectionState state, ErrorInfo error);
  void fail_requests(const ErrorInfo& error);
  void report_error(const ErrorInfo& error);
  void complete_ack(const wire::Uuid& id, Result<PublishAck> result);

  std::mutex socket_mutex_;                 // see the top of this file
  std::atomic<bool> input_pending_{false};  // set by send_now(): the socket has input
  std::thread io_thread_;
  std::atomic<std::uint64_t> next_subscription_id_{0};
  int wake_fd_ = -1;
  zmq::context_t context_;
  std::unique_ptr<zmq::socket_t> socket_;
  std::unique_ptr<zmq::socket_t> monitor_;
  std::string monitor_endpoint_;
  Phase phase_ = Phase::disconnected;
  std::map<std::uint64_t, std::unique_ptr<Subscription>> subscriptions_;
  std::unordered_map<std::uint32_t, Request> requests_;
  std::uint32_t next_request_id_ = 0;
  protocol::RecordBuffer sending_;  // swapped-out outbox being sent
  std::vector<protocol::RecordRef> sending_records_;
  std::size_t sending_next_ = 0;  // index of the first record of sending_ not yet sent
  std::size_t max_frame_bytes_ = 64 * 1024;
  std::int64_t last_send_ns_ = 0;
  std::int64_t last_receive_ns_ = 0;
  std::int64_t last_ping_ns_ = 0;  // at most one ping per heartbeat interval
  std::uint64_t ping_nonce_ = 0;
  std::uint64_t send_attempts_ = 0;     // sends tried on the socket by this thread (loop())
  std::vector<Subscription*> matched_;  // reused per delivery to avoid allocation
  flatbuffers::FlatBufferBuilder control_fbb_{256};
};

}  // namespace enlace
