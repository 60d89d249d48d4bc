// The connection of enlace::Client: the I/O thread that owns the socket, keeps the session
// alive across reconnections (protocol::LinkSession says what is due), sends the outbox
// (batched under load), answers waiters and dispatches deliveries to handlers; and the
// heartbeat keeper that pings while a handler holds the I/O thread.
#include <poll.h>
#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "client_impl.hpp"
#include "delivery_access.hpp"
#include "enlace/protocol/aligned.hpp"
#include "enlace/protocol/clock.hpp"
#include "enlace/protocol/control.hpp"

namespace enlace {
namespace {

constexpr int kMonitorEvents = ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED |
                               ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                               ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                               ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_CONNECT_RETRIED;

// How long the probe of a failed connect waits for the operating system's answer.
constexpr std::int64_t kProbeBoundNs = 3'000'000'000;

// At most this many frames are read per loop pass, so that sending is never starved.
constexpr int kMaxReceivesPerPass = 1024;

// The least time without input after which ZeroMQ's own heartbeat gives a connection up
// (open_socket() says why it is long).
constexpr int kZmtpTimeoutMs = 30'000;

std::int64_t nanoseconds(std::chrono::milliseconds ms) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(ms).count();
}

}  // namespace

void Client::Impl::run() {
  pthread_setname_np(pthread_self(), "enlace-io");  // names the thread in top and perf
  try {
    loop();
  } catch (const std::exception& e) {
    // Nothing may escape the I/O thread: report, fail the waiters, and end as closed.
    if (socket_lock_.owns_lock()) socket_lock_.unlock();
    report_error({Errc::internal_error, std::string("client I/O thread stopped: ") + e.what()});
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  const ErrorInfo closed{Errc::closed, "client closed"};
  outbox_.close();
  waiters_.fail_all(closed);
  acks_.fail_all(closed, answered_);
  run_ack_handlers();
  {
    std::lock_guard socket_lock(socket_mutex_);
    say_bye();
    close_socket();
  }
  set_state(ConnectionState::closed, {});
}

void Client::Impl::loop() {
  // What signalled in the last wait. A pass leaves alone what did not: each look into a
  // ZeroMQ socket's mailbox costs two system calls.
  bool socket_ready = true, monitor_ready = true, wake_ready = true;
  while (true) {
    pollfd fds[4] = {{-1, POLLIN, 0}, {-1, POLLIN, 0}, {wake_fd_, POLLIN, 0}, {-1, POLLOUT, 0}};
    long timeout_ms = 100;
    // The whole pass holds the socket; only the wait below and user callbacks let another
    // thread send on it (Outbox::Route::send_now, keep_alive()).
    socket_lock_.lock();
    {
      std::lock_guard lock(mutex_);
      if (stopping_) {
        socket_lock_.unlock();
        break;
      }
    }
    if (wake_ready) {
      std::uint64_t wakeups;
      [[maybe_unused]] auto n = ::read(wake_fd_, &wakeups, sizeof(wakeups));
    }
    if (monitor_ready) {
      while (handle_monitor_event()) {
      }
    }
    const std::uint64_t sends_before = send_attempts_;
    const std::uint64_t sockets_before = sockets_opened_;
    // The socket's descriptor is armed (it will signal the next change) after a receive
    // that found nothing, until the socket is used again.
    bool armed = true;
    for (int i = 0; socket_ready; ++i) {
      zmq::message_t message;
      if (i == kMaxReceivesPerPass) {
        armed = false;  // more may be waiting
        break;
      }
      if (!socket_->recv(message, zmq::recv_flags::dontwait)) break;
      handle_inbound(message);
      if (callback_held_thread_) {
        // Meanwhile ZeroMQ may have lost the connection and made a new one, over which the
        // keeper pinged and the broker, knowing no session there, answered hello_required.
        // The monitor's events come first: taken for an answer on the old connection, that
        // refusal would start a Hello of its own, and the one after the reconnection would
        // then replace the session the first resumed.
        // Reading goes on after them: the Pongs to the keeper's Pings are what tells the
        // session's liveness that the broker was there all along.
        callback_held_thread_ = false;
        while (handle_monitor_event()) {
        }
        if (sockets_opened_ != sockets_before) break;
      }
    }
    if (sockets_opened_ != sockets_before) {
      // A frame ended the connection (revoked, cut off) and a fresh socket replaced it:
      // its descriptors have not signalled anything yet, so look at both at once.
      socket_ready = monitor_ready = true;
      socket_lock_.unlock();
      continue;
    }
    run_commands();
    // End of the pass: whatever accumulated goes out now, batched if there is more than
    // one message, so batching never holds a message back.
    flush_outbox();

    const std::int64_t now = protocol::monotonic_ns();
    acks_.expire(now, answered_);
    run_ack_handlers();
    switch (link_.poll(now)) {
      case protocol::LinkSession::Due::ping:
        send_ping(now);
        break;
      case protocol::LinkSession::Due::reconnect:
        // The broker went silent: start over with a fresh connection.
        reconnect({Errc::timeout, "no traffic from the broker for three heartbeats"});
        socket_ready = monitor_ready = true;
        socket_lock_.unlock();
        continue;
      case protocol::LinkSession::Due::hello:
        send_hello();
        break;
      case protocol::LinkSession::Due::nothing:
        break;
    }
    if (reopen_due_ns_ != 0) {
      if (now >= reopen_due_ns_) {
        reopen_due_ns_ = 0;
        close_socket();
        open_socket();
        socket_ready = monitor_ready = true;
        socket_lock_.unlock();
        continue;
      }
      timeout_ms = std::min<long>(timeout_ms, (reopen_due_ns_ - now) / 1'000'000 + 1);
    }
    if (link_.phase() != protocol::LinkSession::Phase::disconnected) {
      timeout_ms = std::min<long>(timeout_ms, link_.until_next_timer(now) / 1'000'000 + 1);
    }
    if (probe_.active() && now >= probe_.deadline_ns()) finish_probe(false);
    if (probe_.active()) {
      timeout_ms = std::min<long>(timeout_ms, (probe_.deadline_ns() - now) / 1'000'000 + 1);
      fds[3].fd = probe_.fd();
    }
    // ZMQ_FD only signals changes, and any operation on the socket may consume the
    // signal: unless nothing touched the socket since a receive found it empty, ZMQ_EVENTS
    // says whether there is work now (and re-arms the descriptor).
    const bool want_send = link_.ready() && sending_next_ < sending_records_.size();
    if (!armed || want_send || send_attempts_ != sends_before) {
      const int events = socket_->get(zmq::sockopt::events);
      if ((events & ZMQ_POLLIN) || (want_send && (events & ZMQ_POLLOUT))) {
        socket_ready = true;
        monitor_ready = wake_ready = false;
        socket_lock_.unlock();
        continue;
      }
    }
    fds[0].fd = socket_->get(zmq::sockopt::fd);
    fds[1].fd = monitor_->get(zmq::sockopt::fd);
    socket_lock_.unlock();
    if (::poll(fds, 4, static_cast<int>(timeout_ms)) < 0) {
      if (errno != EINTR) throw std::system_error(errno, std::generic_category(), "poll");
      fds[0].revents = fds[1].revents = POLLIN;  // look at everything again
      fds[3].revents = 0;
    }
    if (fds[3].revents != 0) {
      socket_lock_.lock();
      finish_probe(true);
      socket_lock_.unlock();
    }
    monitor_ready = fds[1].revents != 0;
    wake_ready = fds[2].revents != 0;
    // A thread that sent on the socket may have consumed its signal; it then says so and
    // wakes this thread through the eventfd (send_now(), keep_alive()).
    socket_ready = fds[0].revents != 0 || input_pending_.exchange(false);
  }
}

void Client::Impl::open_socket() {
  socket_ = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::dealer);
  socket_->set(zmq::sockopt::curve_serverkey, options_.broker_public_key);
  socket_->set(zmq::sockopt::curve_publickey, options_.keys.public_key);
  socket_->set(zmq::sockopt::curve_secretkey, options_.keys.secret_key);
  socket_->set(zmq::sockopt::linger, 0);
  // Queue only on completed connections: while disconnected, messages stay in our own
  // bounded outbox instead of reaching a new session ahead of its Hello.
  socket_->set(zmq::sockopt::immediate, 1);
  socket_->set(zmq::sockopt::reconnect_ivl, static_cast<int>(options_.reconnect_min.count()));
  socket_->set(zmq::sockopt::reconnect_ivl_max, static_cast<int>(options_.reconnect_max.count()));
  socket_->set(zmq::sockopt::sndhwm, 10000);
  // What the broker sent that this client has not read yet: 32 frames of at most 128 KiB
  // (a batch) or one large delivery. A client that reads too slowly leaves the rest in the
  // broker's byte-bounded queue for its session, which counts and reports what it drops
  // (docs/protocol.md 5.6), rather than in memory here.
  socket_->set(zmq::sockopt::rcvhwm, 32);
  // ZeroMQ's own heartbeat finds a dead connection where the session's liveness does not
  // look (before the Welcome). It counts time without input, and input also stops when this
  // client stops reading: a callback that holds the I/O thread while the receive queue is
  // full, which is no fault of the connection and must not cost it (the keeper pings for
  // the session meanwhile). Hence a long timeout; once the session is up, its own liveness
  // judges the broker after three heartbeats (link_session.hpp).
  const int heartbeat = static_cast<int>(options_.heartbeat.count());
  socket_->set(zmq::sockopt::heartbeat_ivl, heartbeat);
  socket_->set(zmq::sockopt::heartbeat_timeout, std::max(3 * heartbeat, kZmtpTimeoutMs));

  // A fresh name for every socket: an inproc endpoint may outlive its closed socket briefly.
  monitor_endpoint_ = "inproc://enlace-client-monitor-" +
                      std::to_string(reinterpret_cast<std::uintptr_t>(this)) + "-" +
                      std::to_string(++sockets_opened_);
  if (zmq_socket_monitor(socket_->handle(), monitor_endpoint_.c_str(), kMonitorEvents) != 0) {
    throw zmq::error_t();
  }
  monitor_ = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::pair);
  monitor_->connect(monitor_endpoint_);
  socket_->connect(options_.endpoint);
}

void Client::Impl::close_socket() {
  if (socket_) {
    zmq_socket_monitor(socket_->handle(), nullptr, 0);
    socket_.reset();
  }
  monitor_.reset();
  link_.disconnected();
  waiters_.connection_lost();
}

void Client::Impl::retry_later(std::int64_t now) {
  reopen_due_ns_ = now + nanoseconds(options_.reconnect_max);
}

void Client::Impl::reconnect(ErrorInfo why) {
  counters_.reconnects.fetch_add(1);
  set_state(ConnectionState::reconnecting, std::move(why));
  close_socket();
  open_socket();
}

bool Client::Impl::handle_monitor_event() {
  zmq::message_t event_frame, address_frame;
  if (!monitor_->recv(event_frame, zmq::recv_flags::dontwait)) return false;
  if (event_frame.more()) (void)monitor_->recv(address_frame);
  if (event_frame.size() < 6) return true;
  std::uint16_t event;
  std::memcpy(&event, event_frame.data(), sizeof(event));
  switch (event) {
    case ZMQ_EVENT_CONNECT_RETRIED:
      // The TCP connect failed; libzmq retries by itself, with back-off.
      probe_connect_failure();
      break;
    case ZMQ_EVENT_HANDSHAKE_SUCCEEDED: {
      probe_.cancel();
      // libzmq's own reconnection got through after a failed handshake: a fresh socket
      // would only cut this connection, and whatever is in flight on it.
      reopen_due_ns_ = 0;
      // What the lost connection delivered before it ended is read first: a resuming
      // Hello says how many deliveries arrived, and the broker counts the rest as missed.
      const std::uint64_t sockets_before = sockets_opened_;
      for (zmq::message_t message; socket_->recv(message, zmq::recv_flags::dontwait);) {
        handle_inbound(message);
        if (sockets_opened_ != sockets_before) return true;  // a frame ended that socket
      }
      link_.connected(protocol::monotonic_ns());
      send_hello();
      break;
    }
    case ZMQ_EVENT_DISCONNECTED:
      if (link_.ready()) counters_.reconnects.fetch_add(1);
      link_.disconnected();
      waiters_.connection_lost();
      if (state() != ConnectionState::auth_failed) {
        set_state(origin_generation_.load() != 0 ? ConnectionState::reconnecting
                                                 : ConnectionState::connecting,
                  {Errc::not_connected, "connection to " + options_.endpoint + " lost"});
      }
      break;
    case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
      // libzmq gives up on a connection whose handshake was refused: retry_later().
      retry_later(protocol::monotonic_ns());
      if (cut_off_) {
        // The broker refuses the system's handshakes while its cool-down lasts
        // (docs/protocol.md 8.2); the refusal does not say so, the notice before it did.
        set_state(ConnectionState::reconnecting,
                  {Errc::rate_limited,
                   "the broker refuses this system for now (cut off for "
                   "flooding); retrying every " +
                       std::to_string(options_.reconnect_max.count()) + " ms"});
        break;
      }
      set_state(ConnectionState::auth_failed,
                {Errc::authentication_failed,
                 "the broker refused this system's key (unknown or revoked)"});
      break;
    default:
      // The broker closes a connection whose Hello box it cannot open, which is what a
      // client holding another broker's public key sends: the handshake breaks off with
      // no refusal (an unknown client key would be refused, above).
      retry_later(protocol::monotonic_ns());
      set_state(ConnectionState::auth_failed,
                {Errc::handshake_failed,
                 "the CURVE handshake with " + options_.endpoint +
                     " broke off before the broker answered: the broker public key this client "
                     "was given is not that broker's (or the peer is not an Enlace broker)"});
      break;
  }
  return true;
}

void Client::Impl::probe_connect_failure() {
  if (probe_.active() || state() == ConnectionState::auth_failed) return;
  const std::int64_t now = protocol::monotonic_ns();
  if (auto cause = probe_.start(options_.endpoint, now + kProbeBoundNs)) {
    set_state(state(),
              {Errc::connect_failed, detail::connect_failure_reason(options_.endpoint, *cause)});
  }
}

void Client::Impl::finish_probe(bool signalled) {
  const auto cause = probe_.finish(signalled);
  const ConnectionState now = state();
  if (!cause || now == ConnectionState::connected || now == ConnectionState::auth_failed) return;
  set_state(now, {Errc::connect_failed, detail::connect_failure_reason(options_.endpoint, *cause)});
}

ConnectionState Client::Impl::state() const {
  std::lock_guard lock(mutex_);
  return state_;
}

void Client::Impl::handle_inbound(zmq::message_t& message) {
  counters_.frames_received.fetch_add(1);
  link_.frame_received(protocol::monotonic_ns());
  // Deliveries keep the frame alive beyond this call (handlers may copy a Delivery), so
  // the frame moves into shared ownership once, however many messages it holds. A frame
  // whose bytes are not 8-byte aligned (ZeroMQ keeps small ones inline) is copied first.
  auto received = std::make_shared<zmq::message_t>(std::move(message));
  std::shared_ptr<const void> owner = received;
  wire::Bytes bytes{static_cast<const std::uint8_t*>(received->data()), received->size()};
  if (!wire::is_aligned(bytes.data())) {
    auto copy = std::make_shared<std::vector<std::uint64_t>>();
    bytes = protocol::aligned_view(bytes, *copy);
    owner = std::move(copy);
  }
  wire::FrameView frame;
  if (wire::parse_frame(bytes, frame) != Errc::ok) {
    counters_.invalid_frames.fetch_add(1);
    return;
  }
  if (frame.command != wire::Command::batch) {
    handle_frame(frame, owner);
    return;
  }
  wire::BatchReader reader(frame.body);
  wire::FrameView inner;
  while (!reader.done()) {
    if (reader.next(inner) != Errc::ok) {
      counters_.invalid_frames.fetch_add(1);
      return;
    }
    handle_frame(inner, owner);
  }
}

void Client::Impl::handle_frame(const wire::FrameView& frame,
                                const std::shared_ptr<const void>& owner) {
  if (wire::verify_body(frame) != Errc::ok) {
    counters_.invalid_frames.fetch_add(1);
    return;
  }
  switch (frame.command) {
    case wire::Command::control:
      handle_control(*wire::control_of(frame));
      break;
    case wire::Command::deliver:
      link_.delivery_received();
      dispatch(frame, owner);
      break;
    default:
      counters_.invalid_frames.fetch_add(1);
      break;  // publish/batch never come down
  }
}

void Client::Impl::handle_control(const wire::ControlFrame& control) {
  switch (control.body_type()) {
    case wire::Control::Welcome:
      handle_welcome(*control.body_as_Welcome());
      break;
    case wire::Control::Ack:
      handle_ack(*control.body_as_Ack());
      break;
    case wire::Control::Error:
      handle_error(*control.body_as_Error());
      break;
    case wire::Control::EndOfReplay:
      handle_end_of_replay(*control.body_as_EndOfReplay());
      break;
    case wire::Control::EndOfSnapshot:
      handle_end_of_snapshot(*control.body_as_EndOfSnapshot());
      break;
    case wire::Control::Ping:
      protocol::build_pong(control_fbb_, control.body_as_Ping()->nonce(), protocol::utc_ns());
      send_control(control_fbb_);
      break;
    case wire::Control::Pong:
      // Its arrival already counted for liveness; it also ends the flushes waiting for it.
      waiters_.ponged(control.body_as_Pong()->nonce());
      break;
    default:
      break;  // bodies only clients send: nothing to do (docs/protocol.md, section 5)
  }
}

void Client::Impl::handle_welcome(const wire::Welcome& welcome) {
  cut_off_ = false;
  const auto outcome = link_.welcomed(welcome, protocol::monotonic_ns());
  if (outcome.code != Errc::ok) {
    set_state(ConnectionState::auth_failed,
              {Errc::unsupported_version,
               "broker speaks protocol version " + std::to_string(welcome.protocol_version())});
    return;
  }
  {
    std::lock_guard lock(mutex_);
    session_.broker_id = welcome.broker_id()->str();
    session_.nation = welcome.nation()->str();
    session_.system = welcome.system()->str();
    session_.role = welcome.role()->str();
    session_.policy_version = welcome.policy_version() ? welcome.policy_version()->str() : "";
    session_.max_message_bytes = welcome.max_message_bytes();
    session_.session_id = welcome.session_id();
    static std::atomic<std::uint64_t> generations{0};
    origin_generation_.store(generations.fetch_add(1) + 1, std::memory_order_release);
    if (welcome.max_message_bytes() > 0) max_frame_bytes_ = welcome.max_message_bytes();
  }
  // A new session gets every subscription; a resumed one kept them (link_session.hpp).
  link_.restore(
      outcome.resumed, [&](const protocol::SubscribeFields& fields) { send_subscribe(fields); },
      [&](std::uint32_t request_id, std::string_view pattern) {
        protocol::build_unsubscribe(control_fbb_, request_id, pattern);
        send_control(control_fbb_);
      });
  set_state(ConnectionState::connected, {});
  // Every gap is the application's to know (ClientOptions::resume_grace).
  if (outcome.resumed) {
    counters_.sessions_resumed.fetch_add(1);
    if (outcome.missed > 0) {
      counters_.deliveries_missed.fetch_add(outcome.missed);
      report_error(
          {Errc::deliveries_dropped, "session resumed; " + std::to_string(outcome.missed) +
                                         " deliveries were lost while the connection was down"});
    }
  } else if (outcome.previous_lost) {
    counters_.sessions_not_resumed.fetch_add(1);
    report_error({Errc::session_not_resumed,
                  "the broker opened a new session instead of resuming the one lost with the "
                  "connection (its grace period ended, or the broker restarted): what was "
                  "published for this client in between is lost, how much is unknown"});
  }
}

void Client::Impl::handle_ack(const wire::Ack& ack) {
  if (ack.request_id() == 0) {
    if (ack.message_id()) {
      answer_publish(*ack.message_id(), PublishAck{*ack.message_id(), ack.sequence(), ack.count()});
    }
    return;
  }
  using Kind = protocol::LinkSession::Answer::Kind;
  const auto answer = link_.answered(ack.request_id(), true);
  if (answer.kind == Kind::subscribe) waiters_.subscribed(answer.subscription_id, success());
  if (answer.kind == Kind::unsubscribe) waiters_.unsubscribed(answer.subscription_id, success());
}

void Client::Impl::handle_error(const wire::Error& frame) {
  counters_.broker_errors.fetch_add(1);
  ErrorInfo error{static_cast<Errc>(frame.code()), frame.reason() ? frame.reason()->str() : ""};
  // Before anything it names: hello_required means the broker no longer knows this session
  // (it restarted, or expired us). Start a new one; the Welcome handler restores every
  // subscription, the one this answer names included.
  if (error.code == Errc::hello_required) {
    // While a Hello is out or waits for its back-off, another would only be refused too.
    if (link_.ready()) {
      link_.session_lost();
      send_hello();
    }
    if (frame.message_id() != nullptr) answer_publish(*frame.message_id(), error);
    report_error(error);
    return;
  }
  if (frame.request_id() != 0) {
    using Kind = protocol::LinkSession::Answer::Kind;
    const auto answer = link_.answered(frame.request_id(), false);
    if (answer.kind == Kind::subscribe) {
      // A refused subscription leaves nothing behind. Nobody waits for a resubscription
      // refused after a policy change: it is reported instead.
      const bool awaited = waiters_.awaits_subscribe(answer.subscription_id);
      subscriptions_.remove(answer.subscription_id);
      waiters_.subscribed(answer.subscription_id, error);
      if (!awaited) report_error(error);
      return;
    }
    if (answer.kind == Kind::unsubscribe) {
      waiters_.unsubscribed(answer.subscription_id, error);
      return;
    }
  }
  if (frame.message_id() != nullptr && answer_publish(*frame.message_id(), error)) return;
  if (error.code == Errc::deliveries_dropped || error.code == Errc::slow_consumer) {
    counters_.deliveries_missed.fetch_add(frame.count());
    link_.drops_told(frame.count());
  }
  if (error.code == Errc::slow_consumer) {
    // The broker closed the session (it read too slowly) but not the connection: a new
    // session resubscribes, with a fresh snapshot where one was asked for.
    if (link_.ready()) {
      link_.session_ended();
      send_hello();
    }
  } else if (error.code == Errc::revoked) {
    // The session is over and the broker does not close our connection: close it
    // ourselves. The fresh socket's handshake fails (auth_failed) until the key is
    // registered again; retry_later() keeps trying.
    link_.session_ended();
    set_state(ConnectionState::auth_failed, error);
    close_socket();
    open_socket();
  } else if (error.code == Errc::rate_limited && frame.request_id() == 0 &&
             frame.message_id() == nullptr) {
    // The session was cut off for flooding (docs/protocol.md 8.2): nothing more is sent
    // on this connection, which the broker closes. Its handshakes fail while the
    // cool-down lasts; retry_later() keeps trying.
    cut_off_ = true;
    link_.session_ended();
    set_state(ConnectionState::reconnecting, error);
    close_socket();
    open_socket();
  } else if (error.code == Errc::shutting_down && link_.ready() && frame.request_id() == 0 &&
             frame.message_id() == nullptr) {
    // The broker is stopping and ended the session. Leaving the connection tells it that
    // the notice was read, so that it can stop at once (docs/protocol.md 5.5); a fresh
    // socket connects after the reconnection interval, once that broker is gone.
    counters_.reconnects.fetch_add(1);
    link_.session_ended();
    set_state(ConnectionState::reconnecting, error);
    try {
      socket_->disconnect(options_.endpoint);
    } catch (const zmq::error_t&) {
      // Not connected any more: nothing to leave.
    }
    reopen_due_ns_ = protocol::monotonic_ns() + nanoseconds(options_.reconnect_min);
  } else if (link_.phase() == protocol::LinkSession::Phase::awaiting_welcome &&
             frame.request_id() == 0 && frame.message_id() == nullptr && frame.retryable()) {
    // The Hello was refused for now (a cut-off's cool-down, the system's session limit,
    // a broker stopping): ask again after a back-off. The frame's retryable field decides,
    // not the SDK's table: it also answers for a code from a later version that the table
    // does not hold (docs/protocol.md 8.1).
    link_.hello_refused(protocol::monotonic_ns(), nanoseconds(options_.reconnect_max));
  }
  report_error(error);
}

void Client::Impl::handle_end_of_snapshot(const wire::EndOfSnapshot& end) {
  std::function<void(std::uint32_t)> callback;
  subscriptions_.for_each([&](const detail::SubscriptionTable::Entry& entry) {
    if (entry.options.snapshot && entry.options.on_snapshot_end &&
        link_.subscribe_request_of(entry.id) == end.request_id()) {
      callback = entry.options.on_snapshot_end;
    }
  });
  if (callback) run_callback([&] { callback(end.count()); });
}

void Client::Impl::handle_end_of_replay(const wire::EndOfReplay& end) {
  std::function<void(const ReplayEnd&)> callback;
  subscriptions_.for_each([&](const detail::SubscriptionTable::Entry& entry) {
    if (entry.options.on_replay_end && link_.subscribe_request_of(entry.id) == end.request_id()) {
      callback = entry.options.on_replay_end;
    }
  });
  const ReplayEnd ended{end.count(), end.damaged(), end.horizon()};
  if (callback) run_callback([&] { callback(ended); });
}

void Client::Impl::dispatch(const wire::FrameView& frame,
                            const std::shared_ptr<const void>& owner) {
  const Delivery delivery = detail::DeliveryAccess::over_verified(owner, frame.body);
  topic::Tokens tokens;
  if (!tokens.split(delivery.topic())) {
    counters_.invalid_frames.fetch_add(1);
    return;
  }
  std::size_t handled = 0;
  run_callback([&] {
    handled = subscriptions_.dispatch(
        delivery, tokens, [&](const detail::SubscriptionTable::Entry& entry, const char* what) {
          report_error({Errc::invalid_argument,
                        "a delivery handler for '" + entry.pattern + "' threw: " + what});
        });
  });
  counters_.delivered.fetch_add(handled);
}

void Client::Impl::run_commands() {
  std::deque<ClientCommand> commands;
  {
    std::lock_guard lock(mutex_);
    commands.swap(commands_);
  }
  for (auto& command : commands) {
    switch (command.kind) {
      case ClientCommand::Kind::subscribe:
        subscribe(command);
        break;
      case ClientCommand::Kind::unsubscribe:
        unsubscribe(command);
        break;
      case ClientCommand::Kind::flush:
        start_flush(command);
        break;
    }
  }
}

void Client::Impl::subscribe(ClientCommand& command) {
  const auto& entry = subscriptions_.add(command.subscription_id, std::move(command.pattern),
                                         std::move(command.handler), std::move(command.options));
  waiters_.wait_subscribe(entry.id, std::move(command.done));
  const auto& o = entry.options;
  protocol::SubscribeFields fields{.pattern = entry.pattern,
                                   .snapshot = o.snapshot,
                                   .replay_from = o.replay_from,
                                   .replay_value = o.replay_value,
                                   .conflation = o.conflation};
  // Sent now, or with the other subscriptions once the session is established.
  if (link_.subscribe(entry.id, fields, fields)) send_subscribe(fields);
}

void Client::Impl::unsubscribe(ClientCommand& command) {
  // Removed locally at once, so the handler is never called again, then the broker is
  // told. `done` is empty when the SDK cancels a subscribe that timed out.
  const auto* entry = subscriptions_.find(command.subscription_id);
  if (entry == nullptr) {
    if (command.done) {
      command.done->set_value(ErrorInfo{Errc::invalid_argument, "no such subscription"});
    }
    return;
  }
  const std::string pattern = entry->pattern;
  subscriptions_.remove(command.subscription_id);
  // A subscribe still waiting for its answer is answered by nobody now.
  waiters_.subscribed(command.subscription_id,
                      ErrorInfo{Errc::closed, "unsubscribed before the broker answered"});
  const std::uint32_t request_id = link_.unsubscribe(command.subscription_id);
  if (request_id == 0) {
    if (command.done) command.done->set_value(success());
    return;
  }
  waiters_.wait_unsubscribe(command.subscription_id, std::move(command.done));
  protocol::build_unsubscribe(control_fbb_, request_id, pattern);
  send_control(control_fbb_);
}

void Client::Impl::start_flush(ClientCommand& command) {
  // Everything published before the flush has left for the socket; a Ping behind it comes
  // back as a Pong only after the broker has processed all of it, in order.
  if (!link_.ready()) {
    command.done->set_value(
        ErrorInfo{Errc::not_connected, "no session: the broker cannot confirm the flush"});
    return;
  }
  const std::uint64_t nonce = link_.next_ping_nonce();
  protocol::build_ping(control_fbb_, nonce, protocol::utc_ns());
  if (!send_control(control_fbb_)) {
    command.done->set_value(ErrorInfo{Errc::queue_full, "the socket refused the flush's Ping"});
    return;
  }
  waiters_.wait_flush(nonce, std::move(command.done));
}

void Client::Impl::send_subscribe(const protocol::SubscribeFields& fields) {
  protocol::build_subscribe(control_fbb_, fields);
  send_control(control_fbb_);
}

void Client::Impl::send_hello() {
  protocol::build_hello(
      control_fbb_,
      link_.hello(options_.client_name, static_cast<std::uint32_t>(options_.resume_grace.count())));
  send_control(control_fbb_);
}

void Client::Impl::say_bye() {
  if (!socket_ || !link_.ready()) return;
  // The broker ends the session at once instead of keeping it for a resume. The socket
  // lingers so that the Bye leaves; the context waits for it at most this long.
  socket_->set(zmq::sockopt::linger, 1000);
  protocol::build_bye(control_fbb_);
  send_control(control_fbb_);
}

void Client::Impl::send_ping(std::int64_t now) {
  protocol::build_ping(control_fbb_, link_.next_ping_nonce(), protocol::utc_ns());
  send_control(control_fbb_);
  link_.pinged(now);
}

bool Client::Impl::send_control(flatbuffers::FlatBufferBuilder& fbb) {
  zmq::message_t frame(wire::kHeaderSize + fbb.GetSize());
  wire::write_frame(static_cast<std::uint8_t*>(frame.data()), wire::Command::control, 0,
                    {fbb.GetBufferPointer(), fbb.GetSize()});
  // Control frames are small and rare; if the pipe is momentarily full, a blocking send
  // with a short bound keeps their order relative to data without a second queue.
  socket_->set(zmq::sockopt::sndtimeo, 1000);
  ++send_attempts_;
  const bool sent = socket_->send(frame, zmq::send_flags::none).has_value();
  socket_->set(zmq::sockopt::sndtimeo, -1);
  if (sent) {
    counters_.frames_sent.fetch_add(1);
    link_.frame_sent(protocol::monotonic_ns());
  }
  return sent;
}

void Client::Impl::flush_outbox() {
  if (!link_.ready()) return;
  if (sending_next_ >= sending_records_.size()) {
    sending_.clear();
    sending_records_.clear();
    sending_next_ = 0;
    if (!outbox_.take(sending_, sending_records_)) return;
  }
  protocol::FrameSplitter splitter(sending_, sending_records_, max_frame_bytes_, sending_next_);
  while (!splitter.done()) {
    const auto next = splitter.peek();
    zmq::message_t frame(next.size);
    splitter.write(next, static_cast<std::uint8_t*>(frame.data()));
    ++send_attempts_;
    if (!socket_->send(frame, zmq::send_flags::dontwait)) break;  // full: wait for POLLOUT
    counters_.frames_sent.fetch_add(1);
    counters_.published.fetch_add(next.count);
    link_.frame_sent(protocol::monotonic_ns());
    splitter.consume(next);
  }
  sending_next_ = splitter.position();
  if (splitter.done()) outbox_.sent();
}

void Client::Impl::set_state(ConnectionState state, ErrorInfo error) {
  {
    std::lock_guard lock(mutex_);
    if (state_ == state && error.code == last_error_.code && error.reason == last_error_.reason)
      return;
    state_ = state;
    if (error.code != Errc::ok) last_error_ = error;
  }
  changed_.notify_all();
  if (options_.on_state) run_callback([&] { options_.on_state(state, error); });
}

bool Client::Impl::answer_publish(const wire::Uuid& id, const Result<PublishAck>& result) {
  // The handler runs at the end of the loop pass, with every other answer of the pass:
  // one hand-over of the socket for all of them (run_callback()), not one per Ack.
  return acks_.complete(id, result, answered_);
}

void Client::Impl::run_ack_handlers() {
  // Like every callback: on this thread, one at a time, with the socket given up. Nothing a
  // handler may call touches answered_ (only this thread's frame handling fills it).
  for (auto& answered : answered_) run_callback([&] { answered.handler(answered.result); });
  answered_.clear();
}

void Client::Impl::report_error(const ErrorInfo& error) {
  if (options_.on_error) run_callback([&] { options_.on_error(error); });
}

template <class F>
void Client::Impl::run_callback(F&& callback) {
  if (!socket_lock_.owns_lock()) {
    callback();
    return;
  }
  // The socket is free while the callback runs: publishing threads may send, and the
  // keeper pings should the callback hold this thread for a heartbeat or more.
  callback_since_ns_.store(protocol::monotonic_ns(), std::memory_order_relaxed);
  socket_lock_.unlock();
  callback();
  socket_lock_.lock();
  const std::int64_t since = callback_since_ns_.exchange(0, std::memory_order_relaxed);
  if (protocol::monotonic_ns() - since >= nanoseconds(options_.heartbeat))
    callback_held_thread_ = true;
}

void Client::Impl::wake_io_thread() noexcept {
  const std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof(one));
}

void Client::Impl::keep_alive() {
  pthread_setname_np(pthread_self(), "enlace-keeper");
  const std::int64_t heartbeat_ns = nanoseconds(options_.heartbeat);
  flatbuffers::FlatBufferBuilder fbb(128);
  std::int64_t last_ping_ns = 0;
  std::unique_lock lock(keeper_mutex_);
  while (true) {
    keeper_wake_.wait_for(lock, options_.heartbeat / 2);
    {
      std::lock_guard state_lock(mutex_);
      if (stopping_) return;
    }
    const std::int64_t since = callback_since_ns_.load(std::memory_order_relaxed);
    const std::int64_t now = protocol::monotonic_ns();
    if (since == 0 || now - since < heartbeat_ns || now - last_ping_ns < heartbeat_ns) continue;
    // A callback has held the I/O thread for a heartbeat: ping on its behalf, so that the
    // broker keeps the session. The I/O thread reads the Pong once the callback returns.
    std::unique_lock socket_lock(socket_mutex_, std::try_to_lock);
    if (!socket_lock.owns_lock() || !socket_ || callback_since_ns_.load() == 0) continue;
    protocol::build_ping(fbb, 0, protocol::utc_ns());
    zmq::message_t frame(wire::kHeaderSize + fbb.GetSize());
    wire::write_frame(static_cast<std::uint8_t*>(frame.data()), wire::Command::control, 0,
                      {fbb.GetBufferPointer(), fbb.GetSize()});
    if (socket_->send(frame, zmq::send_flags::dontwait)) {
      last_ping_ns = now;
      counters_.frames_sent.fetch_add(1);
    }
    if (socket_->get(zmq::sockopt::events) & ZMQ_POLLIN) {
      input_pending_.store(true);
      wake_io_thread();
    }
  }
}

}  // namespace enlace
