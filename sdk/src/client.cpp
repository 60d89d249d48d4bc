// enlace::Client: the public facade. Argument checks, then Client::Impl: its callers'
// threads' half in client_impl.cpp, its I/O thread in client_io.cpp.
#include <stdexcept>
#include <vector>

#include "client_impl.hpp"
#include "enlace/protocol/aligned.hpp"

namespace enlace {

std::string_view to_string(ConnectionState state) noexcept {
  switch (state) {
    case ConnectionState::connecting:
      return "connecting";
    case ConnectionState::connected:
      return "connected";
    case ConnectionState::reconnecting:
      return "reconnecting";
    case ConnectionState::auth_failed:
      return "auth_failed";
    case ConnectionState::closed:
      return "closed";
  }
  return "unknown";
}

// --- Client: thin forwarding ---------------------------------------------------------

Client::Client(ClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Client::~Client() {
  close();
}

void Client::close() {
  if (impl_) impl_->stop();
}

ConnectionState Client::state() const noexcept {
  std::lock_guard lock(impl_->mutex_);
  return impl_->state_;
}

SessionInfo Client::session() const {
  std::lock_guard lock(impl_->mutex_);
  return impl_->session_;
}

Result<SessionInfo> Client::wait_connected(std::chrono::milliseconds timeout) {
  if (impl_->on_io_thread())
    return ErrorInfo{Errc::invalid_argument, "wait_connected() called from a callback"};
  std::unique_lock lock(impl_->mutex_);
  const bool done = impl_->changed_.wait_for(lock, timeout, [&] {
    return impl_->state_ == ConnectionState::connected ||
           impl_->state_ == ConnectionState::auth_failed ||
           impl_->state_ == ConnectionState::closed;
  });
  switch (impl_->state_) {
    case ConnectionState::connected:
      return impl_->session_;
    case ConnectionState::auth_failed:
      return impl_->last_error_;
    case ConnectionState::closed:
      return ErrorInfo{Errc::closed, "client closed"};
    default:
      break;
  }
  (void)done;
  return ErrorInfo{Errc::timeout, "no session with " + impl_->options_.endpoint + " within " +
                                      std::to_string(timeout.count()) + " ms" +
                                      (impl_->last_error_.reason.empty()
                                           ? std::string()
                                           : " (last error: " + impl_->last_error_.reason + ")")};
}

Result<wire::Uuid> Client::publish_with(std::string_view topic, const PublishOptions& options,
                                        Acknowledge acknowledge, AckHandler* on_answer,
                                        BuildFn build, void* context) {
  return impl_->publish(topic, options, acknowledge, on_answer, build, context);
}

Result<PublishAck> Client::await_ack(const wire::Uuid& id, std::chrono::milliseconds timeout) {
  return impl_->acks_.await(id, timeout);
}

Result<PublishAck> Client::publish_envelope(wire::Bytes envelope, bool acknowledge,
                                            std::chrono::milliseconds timeout) {
  if (acknowledge && impl_->on_io_thread()) {
    return ErrorInfo{Errc::invalid_argument,
                     "publish_envelope() with acknowledge called from a callback"};
  }
  // Far above any broker's limit; refusing it first keeps the verifier's own bounds safe.
  constexpr std::size_t kMaxEnvelopeBytes = std::size_t{1} << 30;
  if (envelope.size() > kMaxEnvelopeBytes) {
    return ErrorInfo{Errc::message_too_large,
                     "envelope of " + std::to_string(envelope.size()) + " bytes"};
  }
  // The caller's buffer may sit anywhere; FlatBuffers reads fields in place, so verify an
  // aligned copy when it is not 8-byte aligned.
  std::vector<std::uint64_t> aligned;
  envelope = protocol::aligned_view(envelope, aligned);
  if (const Errc code = wire::verify_body({wire::Command::publish, 0, envelope});
      code != Errc::ok) {
    return ErrorInfo{Errc::invalid_envelope, "not a valid Envelope buffer (identifier ENV1): " +
                                                 std::string(to_string(code))};
  }
  const wire::Uuid id = *wire::GetEnvelope(envelope.data())->id();
  auto queued = impl_->enqueue_envelope(envelope, acknowledge ? Acknowledge::wait : Acknowledge::no,
                                        nullptr, id);
  if (!queued || !acknowledge) return queued;
  return impl_->acks_.await(id, timeout);
}

Result<Subscription> Client::subscribe(std::string pattern, DeliveryHandler handler,
                                       SubscribeOptions options,
                                       std::chrono::milliseconds timeout) {
  if (!topic::is_valid_pattern(pattern)) {
    return ErrorInfo{Errc::invalid_pattern, "'" + pattern + "' is not a valid topic pattern"};
  }
  if (!handler) return ErrorInfo{Errc::invalid_argument, "subscribe() needs a handler"};
  ClientCommand command{ClientCommand::Kind::subscribe,
                        impl_->next_subscription_id(),
                        pattern,
                        std::move(handler),
                        std::move(options),
                        nullptr};
  const std::uint64_t id = command.subscription_id;
  auto status = impl_->submit(std::move(command), timeout);
  if (status.code() == Errc::timeout) {
    // The caller was told it failed, so it must not become active later: cancel it.
    impl_->post({ClientCommand::Kind::unsubscribe, id, pattern, nullptr, {}, nullptr});
  }
  if (!status) return status.error();
  return Subscription{id, std::move(pattern)};
}

Status Client::unsubscribe(const Subscription& subscription, std::chrono::milliseconds timeout) {
  ClientCommand command{ClientCommand::Kind::unsubscribe,
                        subscription.id,
                        subscription.pattern,
                        nullptr,
                        {},
                        nullptr};
  return impl_->submit(std::move(command), timeout);
}

Status Client::flush(std::chrono::milliseconds timeout) {
  if (impl_->on_io_thread()) {
    return ErrorInfo{Errc::invalid_argument, "flush() called from a callback"};
  }
  return impl_->flush(timeout);
}

ClientStats Client::stats() const {
  const auto& c = impl_->counters_;
  return {c.published.load(),           c.delivered.load(),         c.frames_sent.load(),
          c.frames_received.load(),     c.broker_errors.load(),     c.invalid_frames.load(),
          c.reconnects.load(),          c.deliveries_missed.load(), c.sessions_resumed.load(),
          c.sessions_not_resumed.load()};
}

}  // namespace enlace
