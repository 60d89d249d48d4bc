// The I/O half of enlace::Client: the thread that owns the socket, keeps the session
// alive across reconnections, sends the outbox (batched under load) and dispatches
// deliveries to handlers.
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

constexpr int kMonitorEvents =
    ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
    ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL;

// At most this many frames are read per loop pass, so that sending is never starved.
constexpr int kMaxReceivesPerPass = 1024;

}  // namespace

void Client::Impl::run() {
  pthread_setname_np(pthread_self(), "enlace-io");  // names the thread in top and perf
  try {
    loop();
  } catch (const std::exception& e) {
    // Nothing may escape the I/O thread: report, fail the waiters, and end as closed.
    report_error({Errc::internal_error, std::string("client I/O thread stopped: ") + e.what()});
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
  }
  fail_requests({Errc::closed, "client closed"});
  {
    std::lock_guard socket_lock(socket_mutex_);
    close_socket();
  }
  set_state(ConnectionState::closed, {});
}

void Client::Impl::loop() {
  const auto heartbeat_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(options_.heartbeat).count();
  // What signalled in the last wait. A pass leaves alone what did not: each look into a
  // ZeroMQ socket's mailbox costs two system calls.
  bool socket_ready = true, monitor_ready = true, wake_ready = true;
  while (true) {
    pollfd fds[3] = {{-1, POLLIN, 0}, {-1, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    long timeout_ms = 100;
    {
      // The whole pass holds the socket; only the wait below lets a publishing thread
      // send on it directly (Impl::send_now()).
      std::lock_guard socket_lock(socket_mutex_);
      {
        std::lock_guard lock(mutex_);
        if (stopping_) break;
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
      }
      run_commands();
      // End of the pass: whatever accumulated goes out now, batched if there is more than
      // one message, so batching never holds a message back.
      flush_outbox();

      const std::int64_t now = protocol::monotonic_ns();
      if (phase_ == Phase::ready) {
        // Ping when either direction has been quiet for a heartbeat: the broker must hear
        // from us, and we must hear from it (its Pong) to know it is alive.
        if (now - std::min(last_send_ns_, last_receive_ns_) >= heartbeat_ns &&
            now - last_ping_ns_ >= heartbeat_ns) {
          send_ping(now);
        }
        if (now - last_receive_ns_ > 3 * heartbeat_ns) {
          // The broker went silent: start over with a fresh connection.
          counters_.reconnects.fetch_add(1);
          set_state(ConnectionState::reconnecting,
                    {Errc::timeout, "no traffic from the broker for three heartbeats"});
          close_socket();
          open_socket();
          socket_ready = monitor_ready = true;
          continue;
        }
        const std::int64_t next_ping = std::min(last_send_ns_, last_receive_ns_) + heartbeat_ns;
        timeout_ms = std::max<long>(0, (next_ping - now) / 1000000 + 1);
      }
      // ZMQ_FD only signals changes, and any operation on the socket may consume the
      // signal: unless nothing touched the socket since a receive found it empty, ZMQ_EVENTS
      // says whether there is work now (and re-arms the descriptor).
      const bool want_send = phase_ == Phase::ready && sending_next_ < sending_records_.size();
      if (!armed || want_send || send_attempts_ != sends_before) {
        const int events = socket_->get(zmq::sockopt::events);
        if ((events & ZMQ_POLLIN) || (want_send && (events & ZMQ_POLLOUT))) {
          socket_ready = true;
          monitor_ready = wake_ready = false;
          continue;
        }
      }
      fds[0].fd = socket_->get(zmq::sockopt::fd);
      fds[1].fd = monitor_->get(zmq::sockopt::fd);
    }
    if (::poll(fds, 3, static_cast<int>(timeout_ms)) < 0) {
      if (errno != EINTR) throw std::system_error(errno, std::generic_category(), "poll");
      fds[0].revents = fds[1].revents = POLLIN;  // look at everything again
    }
    monitor_ready = fds[1].revents != 0;
    wake_ready = fds[2].revents != 0;
    // A publishing thread that sent on the socket may have consumed its signal; it then
    // says so and wakes this thread through the eventfd (send_now()).
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
  socket_->set(zmq::sockopt::rcvhwm, 10000);
  const int heartbeat = static_cast<int>(options_.heartbeat.count());
  socket_->set(zmq::sockopt::heartbeat_ivl, heartbeat);
  socket_->set(zmq::sockopt::heartbeat_timeout, 3 * heartbeat);

  monitor_endpoint_ = "inproc://enlace-client-monitor-" +
                      std::to_string(reinterpret_cast<std::uintptr_t>(this)) + "-" +
                      std::to_string(counters_.reconnects.load());
  if (zmq_socket_monitor(socket_->handle(), monitor_endpoint_.c_str(), kMonitorEvents) != 0) {
    throw zmq::error_t();
  }
  monitor_ = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::pair);
  monitor_->connect(monitor_endpoint_);
  socket_->connect(options_.endpoint);
  phase_ = Phase::disconnected;
}

void Client::Impl::close_socket() {
  if (socket_) {
    zmq_socket_monitor(socket_->handle(), nullptr, 0);
    socket_.reset();
  }
  monitor_.reset();
  phase_ = Phase::disconnected;
  // Requests in flight on the old connection will never be answered there; subscribe
  // requests are re-sent with the resubscription after the next Welcome.
  for (auto it = requests_.begin(); it != requests_.end();) {
    if (it->second.kind == ClientCommand::Kind::unsubscribe) {
      // The broker dropped the old session's subscriptions with the connection.
      if (it->second.done) it->second.done->set_value(success());
      it = requests_.erase(it);
    } else {
      ++it;
    }
  }
}

bool Client::Impl::handle_monitor_event() {
  zmq::message_t event_frame, address_frame;
  if (!monitor_->recv(event_frame, zmq::recv_flags::dontwait)) return false;
  if (event_frame.more()) (void)monitor_->recv(address_frame);
  if (event_frame.size() < 6) return true;
  std::uint16_t event;
  std::memcpy(&event, event_frame.data(), sizeof(event));
  switch (event) {
    case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
      phase_ = Phase::awaiting_welcome;
      send_hello();
      break;
    case ZMQ_EVENT_DISCONNECTED:
      if (phase_ == Phase::ready) counters_.reconnects.fetch_add(1);
      phase_ = Phase::disconnected;
      if (state() != ConnectionState::auth_failed) {
        set_state(origin_generation_.load() != 0 ? ConnectionState::reconnecting
                                                 : ConnectionState::connecting,
                  {Errc::not_connected, "connection to " + options_.endpoint + " lost"});
      }
      break;
    case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
      set_state(ConnectionState::auth_failed,
                {Errc::authentication_failed,
                 "the broker refused this system's key (unknown or revoked)"});
      break;
    default:
      set_state(ConnectionState::auth_failed,
                {Errc::authentication_failed, "CURVE handshake with " + options_.endpoint +
                                                  " failed (wrong broker public key?)"});
      break;
  }
  return true;
}

std::uint32_t Client::Impl::next_request_id() noexcept {
  // Ids of requests on the wire stay below 2^31; ids with the top bit mark requests that
  // wait locally for a session. Zero means "no request" on the wire.
  next_request_id_ = (next_request_id_ + 1) & 0x7FFFFFFFu;
  if (next_request_id_ == 0) next_request_id_ = 1;
  return next_request_id_;
}

ConnectionState Client::Impl::state() const {
  std::lock_guard lock(mutex_);
  return state_;
}

void Client::Impl::handle_inbound(zmq::message_t& message) {
  counters_.frames_received.fetch_add(1);
  last_receive_ns_ = protocol::monotonic_ns();
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
    case wire::Control::EndOfSnapshot: {
      const auto* end = control.body_as_EndOfSnapshot();
      for (auto& [id, subscription] : subscriptions_) {
        if (subscription->options.snapshot && subscription->options.on_snapshot_end &&
            subscription->confirmed && subscription->snapshot_request == end->request_id()) {
          subscription->options.on_snapshot_end(end->count());
        }
      }
      break;
    }
    case wire::Control::Ping: {
      protocol::build_pong(control_fbb_, control.body_as_Ping()->nonce(), protocol::utc_ns());
      send_control(control_fbb_);
      break;
    }
    default:
      break;  // Pong: its arrival already refreshed last_receive_ns_
  }
}

void Client::Impl::handle_welcome(const wire::Welcome& welcome) {
  if (welcome.protocol_version() != wire::kProtocolVersion) {
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
  phase_ = Phase::ready;
  last_receive_ns_ = protocol::monotonic_ns();
  // Restore every subscription, confirmed or still waiting for its first answer.
  for (auto& [id, subscription] : subscriptions_) {
    std::shared_ptr<std::promise<Status>> done;
    for (auto it = requests_.begin(); it != requests_.end();) {
      if (it->second.subscription_id == id && it->second.kind == ClientCommand::Kind::subscribe) {
        done = std::move(it->second.done);
        it = requests_.erase(it);
      } else {
        ++it;
      }
    }
    send_subscribe(*subscription, std::move(done));
  }
  set_state(ConnectionState::connected, {});
}

void Client::Impl::handle_ack(const wire::Ack& ack) {
  if (ack.request_id() == 0) {
    if (ack.message_id()) {
      complete_ack(*ack.message_id(), PublishAck{*ack.message_id(), ack.sequence(), ack.count()});
    }
    return;
  }
  const auto it = requests_.find(ack.request_id());
  if (it == requests_.end()) return;
  Request request = std::move(it->second);
  requests_.erase(it);
  if (request.kind == ClientCommand::Kind::subscribe) {
    const auto sub = subscriptions_.find(request.subscription_id);
    if (sub != subscriptions_.end()) sub->second->confirmed = true;
  }
  if (request.done) request.done->set_value(success());
}

void Client::Impl::handle_error(const wire::Error& frame) {
  counters_.broker_errors.fetch_add(1);
  ErrorInfo error{static_cast<Errc>(frame.code()), frame.reason() ? frame.reason()->str() : ""};
  if (frame.request_id() != 0) {
    const auto it = requests_.find(frame.request_id());
    if (it != requests_.end()) {
      Request request = std::move(it->second);
      requests_.erase(it);
      // A refused subscription leaves nothing behind.
      if (request.kind == ClientCommand::Kind::subscribe)
        subscriptions_.erase(request.subscription_id);
      if (request.done) {
        request.done->set_value(error);
      } else {
        report_error(error);  // a resubscription refused after a policy change
      }
      return;
    }
  }
  if (frame.message_id() != nullptr) {
    std::unique_lock lock(mutex_);
    const auto it = ack_waiters_.find(key_of(*frame.message_id()));
    if (it != ack_waiters_.end()) {
      it->second->done = true;
      it->second->result = error;
      lock.unlock();
      changed_.notify_all();
      return;
    }
  }
  switch (error.code) {
    case Errc::hello_required:
      // The broker no longer knows this session (it restarted, or expired us): start a
      // new one; the Welcome handler restores the subscriptions.
      phase_ = Phase::awaiting_welcome;
      send_hello();
      break;
    case Errc::revoked:
      phase_ = Phase::disconnected;
      set_state(ConnectionState::auth_failed, error);
      break;
    default:
      break;
  }
  report_error(error);
}

void Client::Impl::complete_ack(const wire::Uuid& id, Result<PublishAck> result) {
  {
    std::lock_guard lock(mutex_);
    const auto it = ack_waiters_.find(key_of(id));
    if (it == ack_waiters_.end()) return;
    it->second->done = true;
    it->second->result = std::move(result);
  }
  changed_.notify_all();
}

void Client::Impl::dispatch(const wire::FrameView& frame,
                            const std::shared_ptr<const void>& owner) {
  const Delivery delivery = detail::DeliveryAccess::over_verified(owner, frame.body);
  topic::Tokens tokens;
  if (!tokens.split(delivery.topic())) {
    counters_.invalid_frames.fetch_add(1);
    return;
  }
  // Collect first: a handler may not be called while iterating a table it could change
  // (it cannot today, but unsubscribe-from-handler is a natural thing to want).
  matched_.clear();
  for (auto& [id, subscription] : subscriptions_) {
    if (topic::matches(subscription->tokens, tokens)) matched_.push_back(subscription.get());
  }
  for (Subscription* subscription : matched_) {
    counters_.delivered.fetch_add(1);
    try {
      subscription->handler(delivery);
    } catch (const std::exception& e) {
      report_error({Errc::invalid_argument,
                    "a delivery handler for '" + subscription->pattern + "' threw: " + e.what()});
    }
  }
}

void Client::Impl::run_commands() {
  std::deque<ClientCommand> commands;
  {
    std::lock_guard lock(mutex_);
    commands.swap(commands_);
  }
  for (auto& command : commands) {
    if (command.kind == ClientCommand::Kind::subscribe) {
      auto subscription = std::make_unique<Subscription>();
      subscription->id = command.subscription_id;
      subscription->pattern = std::move(command.pattern);
      subscription->tokens.split(subscription->pattern);
      subscription->handler = std::move(command.handler);
      subscription->options = std::move(command.options);
      auto& entry =
          *subscriptions_.emplace(subscription->id, std::move(subscription)).first->second;
      if (phase_ == Phase::ready) {
        send_subscribe(entry, std::move(command.done));
      } else {
        // Sent with the other subscriptions once the session is established.
        requests_.emplace(
            0x80000000u | static_cast<std::uint32_t>(entry.id),
            Request{ClientCommand::Kind::subscribe, entry.id, std::move(command.done)});
      }
      continue;
    }
    // Unsubscribe: remove locally at once, so the handler is never called again, then
    // tell the broker. `done` is empty when the SDK cancels a subscribe that timed out.
    const auto finish = [&](Status status) {
      if (command.done) command.done->set_value(std::move(status));
    };
    const auto it = subscriptions_.find(command.subscription_id);
    if (it == subscriptions_.end()) {
      finish(ErrorInfo{Errc::invalid_argument, "no such subscription"});
      continue;
    }
    const std::string pattern = it->second->pattern;
    subscriptions_.erase(it);
    // A subscribe still waiting for its answer is answered by nobody now.
    std::erase_if(requests_, [&](const auto& entry) {
      return entry.second.subscription_id == command.subscription_id &&
             entry.second.kind == ClientCommand::Kind::subscribe;
    });
    const bool still_needed =
        std::any_of(subscriptions_.begin(), subscriptions_.end(),
                    [&](const auto& s) { return s.second->pattern == pattern; });
    if (phase_ != Phase::ready || still_needed) {
      finish(success());
      continue;
    }
    const std::uint32_t request_id = next_request_id();
    protocol::build_unsubscribe(control_fbb_, request_id, pattern);
    requests_.emplace(request_id, Request{ClientCommand::Kind::unsubscribe, command.subscription_id,
                                          std::move(command.done)});
    send_control(control_fbb_);
  }
}

void Client::Impl::send_subscribe(Subscription& subscription,
                                  std::shared_ptr<std::promise<Status>> done) {
  const std::uint32_t request_id = next_request_id();
  subscription.snapshot_request = request_id;
  const auto& o = subscription.options;
  protocol::build_subscribe(control_fbb_, {.request_id = request_id,
                                           .pattern = subscription.pattern,
                                           .snapshot = o.snapshot,
                                           .replay_from = o.replay_from,
                                           .replay_value = o.replay_value,
                                           .conflation = o.conflation});
  requests_.emplace(request_id,
                    Request{ClientCommand::Kind::subscribe, subscription.id, std::move(done)});
  send_control(control_fbb_);
}

void Client::Impl::send_hello() {
  protocol::build_hello(control_fbb_, options_.client_name,
                        static_cast<std::uint32_t>(options_.heartbeat.count()));
  send_control(control_fbb_);
}

void Client::Impl::send_ping(std::int64_t now) {
  protocol::build_ping(control_fbb_, ++ping_nonce_, protocol::utc_ns());
  send_control(control_fbb_);
  last_send_ns_ = now;
  last_ping_ns_ = now;
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
    last_send_ns_ = protocol::monotonic_ns();
  }
  return sent;
}

bool Client::Impl::send_now(wire::Bytes envelope, std::uint8_t flags) {
  zmq::message_t frame(wire::kHeaderSize + envelope.size());
  wire::write_frame(static_cast<std::uint8_t*>(frame.data()), wire::Command::publish, flags,
                    envelope);
  if (!socket_->send(frame, zmq::send_flags::dontwait)) return false;
  counters_.frames_sent.fetch_add(1);
  counters_.published.fetch_add(1);
  last_send_ns_ = protocol::monotonic_ns();
  // Any operation on the socket may consume the ZMQ_FD signal the I/O thread waits on: if
  // input is waiting, wake the thread so that it does not sleep on it.
  if (socket_->get(zmq::sockopt::events) & ZMQ_POLLIN) {
    input_pending_.store(true);
    wake_io_thread();
  }
  return true;
}

void Client::Impl::wake_io_thread() noexcept {
  const std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof(one));
}

void Client::Impl::flush_outbox() {
  if (phase_ != Phase::ready) return;
  if (sending_next_ >= sending_records_.size()) {
    sending_.clear();
    sending_records_.clear();
    sending_next_ = 0;
    std::lock_guard lock(mutex_);
    if (outbox_records_.empty()) return;
    sending_.swap(outbox_);
    sending_records_.swap(outbox_records_);
    in_flight_bytes_ = sending_.size();
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
    last_send_ns_ = protocol::monotonic_ns();
    splitter.consume(next);
  }
  sending_next_ = splitter.position();
  if (splitter.done()) {
    {
      std::lock_guard lock(mutex_);
      in_flight_bytes_ = 0;
    }
    changed_.notify_all();
  }
}

void Client::Impl::set_state(ConnectionState state, ErrorInfo error) {
  {
    std::lock_guard lock(mutex_);
    if (state_ == state && error.code == last_error_.code) return;
    state_ = state;
    if (error.code != Errc::ok) last_error_ = error;
  }
  changed_.notify_all();
  if (options_.on_state) options_.on_state(state, error);
}

void Client::Impl::fail_requests(const ErrorInfo& error) {
  for (auto& [id, request] : requests_) {
    if (request.done) request.done->set_value(error);
  }
  requests_.clear();
  {
    std::lock_guard lock(mutex_);
    for (auto& [id, waiter] : ack_waiters_) {
      if (!waiter->done) {
        waiter->done = true;
        waiter->result = error;
      }
    }
  }
  changed_.notify_all();
}

void Client::Impl::report_error(const ErrorInfo& error) {
  if (options_.on_error) options_.on_error(error);
}

}  // namespace enlace
