// Client::Impl, the half that runs on callers' threads: construction, encoding an
// envelope, admitting it to the outbox or sending it at once, flush, and handing commands
// to the I/O thread (client_io.cpp).
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>
#include <vector>

#include "client_impl.hpp"
#include "enlace/protocol/clock.hpp"

namespace enlace {
namespace {

// libzmq checks a tcp:// address's characters when connecting but resolves it later, on
// its own thread: an out-of-range port would show only as a connection that never comes.
void check_tcp_port(std::string_view endpoint) {
  constexpr std::string_view tcp = "tcp://";
  if (endpoint.substr(0, tcp.size()) != tcp) return;
  const auto colon = endpoint.rfind(':');
  const std::string_view port =
      colon < tcp.size() ? std::string_view() : endpoint.substr(colon + 1);
  unsigned long value = 0;
  bool digits = !port.empty() && port.size() <= 5;
  for (char c : port) {
    digits = digits && c >= '0' && c <= '9';
    value = value * 10 + static_cast<unsigned long>(c - '0');
  }
  if (!digits || value < 1 || value > 65535) {
    throw std::invalid_argument("endpoint '" + std::string(endpoint) +
                                "' needs a port from 1 to 65535 (tcp://HOST:PORT)");
  }
}

}  // namespace

Client::Impl::Impl(ClientOptions options)
    : options_(std::move(options)),
      outbox_(options_.send_queue_bytes, options_.send_queue_wait),
      socket_lock_(socket_mutex_, std::defer_lock),
      context_(1),
      link_(std::chrono::duration_cast<std::chrono::nanoseconds>(options_.heartbeat).count()) {
  if (!is_valid_key(options_.broker_public_key)) {
    throw std::invalid_argument("broker public key is not a 40-character Z85 key");
  }
  if (!is_valid_key(options_.keys.public_key) || !is_valid_key(options_.keys.secret_key)) {
    throw std::invalid_argument("client key pair is not two 40-character Z85 keys");
  }
  if (options_.endpoint.empty()) throw std::invalid_argument("broker endpoint is empty");
  if (options_.resume_grace.count() < 0 ||
      options_.resume_grace > std::chrono::milliseconds(UINT32_MAX)) {
    throw std::invalid_argument("resume_grace must be between 0 and 2^32 - 1 ms");
  }
  check_tcp_port(options_.endpoint);
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) throw std::runtime_error("eventfd failed");
  // Open the socket here, so a malformed endpoint fails the constructor instead of the I/O
  // thread. Starting the thread hands the socket over (thread creation is a full barrier).
  try {
    open_socket();
  } catch (const zmq::error_t& e) {
    ::close(wake_fd_);
    throw std::invalid_argument("cannot connect to '" + options_.endpoint + "': " + e.what());
  }
  io_thread_ = std::thread([this] { run(); });
  keeper_thread_ = std::thread([this] { keep_alive(); });
}

Client::Impl::~Impl() {
  stop();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void Client::Impl::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !io_thread_.joinable()) return;
    stopping_ = true;
  }
  wake_io_thread();
  keeper_wake_.notify_all();
  if (io_thread_.joinable() && !on_io_thread()) io_thread_.join();
  if (keeper_thread_.joinable() && std::this_thread::get_id() != keeper_thread_.get_id()) {
    keeper_thread_.join();
  }
  changed_.notify_all();
}

Result<wire::Uuid> Client::Impl::publish(std::string_view topic, const PublishOptions& options,
                                         Acknowledge acknowledge, AckHandler* on_answer,
                                         BuildFn build, void* context) {
  if (!topic::is_valid_topic(topic)) {
    return ErrorInfo{Errc::invalid_topic, "'" + std::string(topic) + "' is not a valid topic"};
  }
  if (acknowledge == Acknowledge::wait && on_io_thread()) {
    return ErrorInfo{Errc::invalid_argument, "publish_and_wait() called from a callback"};
  }
  // One builder and one copy of the origin per publishing thread: after warm-up, encoding
  // allocates nothing and takes no lock. The copy is refreshed when the generation says
  // another session (of this client or another) wrote it.
  struct PublisherState {  // one thread-local object: one TLS lookup per publish
    EnvelopeEncoder builder;
    std::string nation, system;
    std::uint64_t origin_of = 0;
  };
  thread_local PublisherState local;
  const auto generation = origin_generation_.load(std::memory_order_acquire);
  if (generation == 0) {
    return ErrorInfo{Errc::not_connected,
                     "no session yet: the origin is known after the broker's Welcome"};
  }
  if (generation != local.origin_of) {
    std::lock_guard lock(mutex_);
    local.nation = session_.nation;
    local.system = session_.system;
    local.origin_of = origin_generation_.load(std::memory_order_relaxed);
  }
  EnvelopeEncoder& builder = local.builder;
  builder.clear();
  auto [type, payload] = build(builder, context);
  const wire::Uuid id =
      builder.finish_any(topic, {local.nation, local.system}, type, payload, options);
  auto queued = enqueue_envelope(builder.bytes(), acknowledge, on_answer, id);
  if (!queued) return queued.error();
  return id;
}

Result<PublishAck> Client::Impl::enqueue_envelope(wire::Bytes envelope, Acknowledge acknowledge,
                                                  AckHandler* on_answer, const wire::Uuid& id) {
  const std::uint8_t flags = acknowledge != Acknowledge::no ? wire::flag::ack_requested : 0;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return ErrorInfo{Errc::closed, "client closed"};
    const std::size_t limit =
        session_.max_message_bytes ? session_.max_message_bytes : max_frame_bytes_;
    if (envelope.size() + wire::kHeaderSize > limit) {
      return ErrorInfo{Errc::message_too_large, "envelope of " + std::to_string(envelope.size()) +
                                                    " bytes exceeds the broker's limit of " +
                                                    std::to_string(limit) + " bytes per frame"};
    }
  }
  // While the I/O thread waits, the socket is free: a message with nothing queued ahead of
  // it goes out from this thread at once, one thread hand-over less on its way (the
  // Outbox decides, within its send-now budget). Low latency at low rates, batching under
  // load. A callback (on the I/O thread) never sends itself: its messages queue.
  std::unique_lock socket_lock(socket_mutex_, std::defer_lock);
  const bool io_thread = on_io_thread();
  if (!io_thread) (void)socket_lock.try_lock();
  const bool may_send_now = socket_lock.owns_lock() && link_.ready();
  // Registered before the frame can leave, so the answer cannot arrive first.
  if (acknowledge == Acknowledge::wait) acks_.add(id);
  if (acknowledge == Acknowledge::handler) {
    const std::int64_t deadline =
        protocol::monotonic_ns() +
        std::chrono::duration_cast<std::chrono::nanoseconds>(options_.ack_timeout).count();
    if (auto added = acks_.add(id, std::move(*on_answer), deadline, options_.max_pending_acks);
        !added) {
      return added.error();
    }
  }
  bool wake = false;
  auto route = outbox_.admit(
      envelope, flags, may_send_now, !io_thread, wake,
      [](void* lock) {
        auto& held = *static_cast<std::unique_lock<std::mutex>*>(lock);
        if (held.owns_lock()) held.unlock();  // the I/O thread makes the room
      },
      &socket_lock);
  if (!route) {
    if (acknowledge != Acknowledge::no) acks_.remove(id);
    return route.error();
  }
  if (*route == detail::Outbox::Route::send_now && !send_now(envelope, flags)) {
    outbox_.requeue(envelope, flags);  // ZeroMQ's pipe is full: it queues like any other
    wake = true;
  }
  if (socket_lock.owns_lock()) socket_lock.unlock();
  if (wake) wake_io_thread();
  return PublishAck{id, 0, 0};
}

bool Client::Impl::send_now(wire::Bytes envelope, std::uint8_t flags) {
  zmq::message_t frame(wire::kHeaderSize + envelope.size());
  wire::write_frame(static_cast<std::uint8_t*>(frame.data()), wire::Command::publish, flags,
                    envelope);
  if (!socket_->send(frame, zmq::send_flags::dontwait)) return false;
  counters_.frames_sent.fetch_add(1);
  counters_.published.fetch_add(1);
  link_.frame_sent(protocol::monotonic_ns());  // the socket's holder may touch the link
  // Any operation on the socket may consume the ZMQ_FD signal the I/O thread waits on: if
  // input is waiting, wake the thread so that it does not sleep on it.
  if (socket_->get(zmq::sockopt::events) & ZMQ_POLLIN) {
    input_pending_.store(true);
    wake_io_thread();
  }
  return true;
}

Status Client::Impl::flush(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  if (!outbox_.wait_drained(timeout)) {
    return ErrorInfo{Errc::timeout, std::to_string(outbox_.queued()) + " messages still queued"};
  }
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return submit({ClientCommand::Kind::flush, 0, {}, nullptr, {}, nullptr},
                std::max(left, std::chrono::milliseconds(1)));
}

bool Client::Impl::post(ClientCommand command) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return false;
    commands_.push_back(std::move(command));
  }
  wake_io_thread();
  return true;
}

Status Client::Impl::submit(ClientCommand command, std::chrono::milliseconds timeout) {
  if (on_io_thread())
    return ErrorInfo{Errc::invalid_argument, "subscribe()/unsubscribe() called from a callback"};
  auto done = std::make_shared<std::promise<Status>>();
  auto answer = done->get_future();
  command.done = done;
  if (!post(std::move(command))) return ErrorInfo{Errc::closed, "client closed"};
  if (answer.wait_for(timeout) != std::future_status::ready) {
    return ErrorInfo{Errc::timeout,
                     "no answer from the broker within " + std::to_string(timeout.count()) + " ms"};
  }
  return answer.get();
}

}  // namespace enlace
