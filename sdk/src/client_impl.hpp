// Internals of enlace::Client, split by concern:
//   outbox.hpp              publish frames waiting for the socket (bounded in bytes)
//   requests.hpp            callers waiting for answers (acks, subscribe, flush)
//   subscription_table.hpp  handlers and dispatch
//   protocol::LinkSession   the session's phase, liveness, request ids, resubscription
//   this class              the connection: socket, monitor, the I/O loop, and the state
//                           callers read (connection state, session identity)
//
// Threads and locks:
//   - The I/O thread (client_io.cpp) owns the DEALER socket, its monitor, the link session,
//     the subscription table and the request waiters, and holds `socket_lock_` for its
//     loop pass, so routing a delivery to its handlers takes no other lock. It gives the
//     socket up while it waits in poll() and while a user callback runs: a publishing thread
//     may then send its own message (Outbox::Route::send_now; try_lock only, never waiting),
//     and the heartbeat keeper may ping for a callback that runs long.
//   - `mutex_` guards what callers read (state, session, commands); held only to look or
//     append, never while a callback runs. Lock order: socket, then mutex_ or an outbox's.
//   - The heartbeat keeper thread (keep_alive()) wakes twice per heartbeat and pings only
//     when a callback has held the I/O thread for a whole heartbeat, so that a handler
//     that blocks does not cost the session.
#pragma once

#include <zmq.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "connect_probe.hpp"
#include "enlace/client.hpp"
#include "enlace/protocol/frame.hpp"
#include "enlace/protocol/link_session.hpp"
#include "enlace/protocol/records.hpp"
#include "outbox.hpp"
#include "requests.hpp"
#include "subscription_table.hpp"

namespace enlace {

/// A request from a user thread to the I/O thread.
struct ClientCommand {
  enum class Kind { subscribe, unsubscribe, flush } kind;
  std::uint64_t subscription_id = 0;
  // For subscribe: the new entry's contents.
  std::string pattern;
  DeliveryHandler handler;
  SubscribeOptions options;
  detail::StatusPromise done;
};

// Hidden: nested in an exported class, it would otherwise be exported with it.
class [[gnu::visibility("hidden")]] Client::Impl {
 public:
  explicit Impl(ClientOptions options);
  ~Impl();

  void stop();

  // --- called from user threads (client.cpp) -------------------------------------------
  Result<wire::Uuid> publish(std::string_view topic, const PublishOptions& options,
                             Acknowledge acknowledge, AckHandler* on_answer, BuildFn build,
                             void* context);
  /// `on_answer` is moved from when `acknowledge` is handler.
  Result<PublishAck> enqueue_envelope(wire::Bytes envelope, Acknowledge acknowledge,
                                      AckHandler * on_answer, const wire::Uuid& id);
  /// Hands a command to the I/O thread and waits for its answer.
  Status submit(ClientCommand command, std::chrono::milliseconds timeout);
  /// Hands a command to the I/O thread without waiting; false once the client is closed.
  bool post(ClientCommand command);
  Status flush(std::chrono::milliseconds timeout);
  std::uint64_t next_subscription_id() {
    return next_subscription_id_.fetch_add(1) + 1;
  }
  bool on_io_thread() const noexcept {
    return std::this_thread::get_id() == io_thread_.get_id();
  }
  void wake_io_thread() noexcept;

  // --- shared state --------------------------------------------------------------------
  const ClientOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;  // state, session
  ConnectionState state_ = ConnectionState::connecting;
  ErrorInfo last_error_;
  SessionInfo session_;
  // Names the origin in session_ for publishing threads' caches: a fresh value from a
  // process-wide counter at every Welcome, so no two clients or sessions share one; 0 until
  // the first session (so it also says whether there has been one). Written under mutex_.
  std::atomic<std::uint64_t> origin_generation_{0};
  std::deque<ClientCommand> commands_;
  bool stopping_ = false;
  detail::Outbox outbox_;
  detail::PublishWaiters acks_;

  struct Counters {
    std::atomic<std::uint64_t> published{0}, delivered{0}, frames_sent{0}, frames_received{0},
        broker_errors{0}, invalid_frames{0}, reconnects{0}, deliveries_missed{0},
        sessions_resumed{0}, sessions_not_resumed{0};
  } counters_;

 private:
  // --- I/O thread (client_io.cpp) ------------------------------------------------------
  void run();
  void loop();
  ConnectionState state() const;
  void open_socket();
  void close_socket();
  /// Handles one monitor event; false when there was none.
  bool handle_monitor_event();
  /// After libzmq's connect failed: a probe of our own asks the OS why (connect_probe.hpp).
  void probe_connect_failure();
  /// The probe's answer (its descriptor signalled, or its deadline passed).
  void finish_probe(bool signalled);
  void handle_inbound(zmq::message_t & message);
  void handle_frame(const wire::FrameView& frame, const std::shared_ptr<const void>& owner);
  void handle_control(const wire::ControlFrame& control);
  void handle_welcome(const wire::Welcome& welcome);
  void handle_ack(const wire::Ack& ack);
  void handle_error(const wire::Error& error);
  void handle_end_of_snapshot(const wire::EndOfSnapshot& end);
  void handle_end_of_replay(const wire::EndOfReplay& end);
  void dispatch(const wire::FrameView& frame, const std::shared_ptr<const void>& owner);
  void run_commands();
  void subscribe(ClientCommand & command);
  void unsubscribe(ClientCommand & command);
  void start_flush(ClientCommand & command);
  void send_subscribe(const protocol::SubscribeFields& fields);
  void send_hello();
  void say_bye();
  void send_ping(std::int64_t now);
  bool send_control(flatbuffers::FlatBufferBuilder & fbb);
  void flush_outbox();
  void reconnect(ErrorInfo why);
  /// After a refused handshake (libzmq does not retry one) or a session the broker ended
  /// for good: a fresh socket in options_.reconnect_max, so that a key registered again or
  /// a cool-down that ended is noticed.
  void retry_later(std::int64_t now);
  void set_state(ConnectionState state, ErrorInfo error);
  void report_error(const ErrorInfo& error);
  /// The broker's answer to the publish of `id`: to its waiting thread, or its handler
  /// (run with the pass's others by run_ack_handlers()). False when nobody asked for it.
  bool answer_publish(const wire::Uuid& id, const Result<PublishAck>& result);
  /// Runs the publish_with_ack() handlers that complete(), expire() or fail_all() left.
  void run_ack_handlers();
  /// Runs a user callback with the socket given up (see the top of this file).
  template <class F>
  void run_callback(F && callback);

  // --- publishing threads (client.cpp) -------------------------------------------------
  /// On a publishing thread holding socket_mutex_: sends one publish frame at once.
  bool send_now(wire::Bytes envelope, std::uint8_t flags);

  // --- heartbeat keeper thread ----------------------------------------------------------
  void keep_alive();

  std::mutex socket_mutex_;                         // see the top of this file
  std::unique_lock<std::mutex> socket_lock_;        // the I/O thread's hold on socket_mutex_
  std::atomic<bool> input_pending_{false};          // a sender found input waiting: look again
  std::atomic<std::int64_t> callback_since_ns_{0};  // when the running callback began; 0: none
  // A callback held the I/O thread for a heartbeat or more, long enough for the keeper to
  // ping: what the monitor saw meanwhile goes before the next frame (loop()). I/O thread.
  bool callback_held_thread_ = false;
  std::thread io_thread_;
  std::thread keeper_thread_;
  std::mutex keeper_mutex_;
  std::condition_variable keeper_wake_;
  std::atomic<std::uint64_t> next_subscription_id_{0};
  int wake_fd_ = -1;
  zmq::context_t context_;
  std::unique_ptr<zmq::socket_t> socket_;
  std::unique_ptr<zmq::socket_t> monitor_;
  std::string monitor_endpoint_;
  std::uint64_t sockets_opened_ = 0;  // names each socket's monitor endpoint
  std::int64_t reopen_due_ns_ = 0;    // retry_later(): when to open a fresh socket; 0: never
  bool cut_off_ = false;              // the broker cut the session off; until a Welcome
  detail::ConnectProbe probe_;        // why the last connect failed, while it asks
  protocol::LinkSession link_;
  detail::RequestWaiters waiters_;
  detail::SubscriptionTable subscriptions_;
  protocol::RecordBuffer sending_;  // taken from the outbox, being sent
  std::vector<protocol::RecordRef> sending_records_;
  std::vector<detail::PublishWaiters::Answered> answered_;  // reused: no allocation per Ack
  std::size_t sending_next_ = 0;  // index of the first record of sending_ not yet sent
  std::size_t max_frame_bytes_ = 64 * 1024;
  std::uint64_t send_attempts_ = 0;  // sends tried on the socket by this thread (loop())
  flatbuffers::FlatBufferBuilder control_fbb_{256};
};

}  // namespace enlace
