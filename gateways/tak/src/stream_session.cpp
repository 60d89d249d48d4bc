#include "stream_session.hpp"

#include <atomic>
#include <chrono>

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "cot_xml.hpp"
#include "log.hpp"
#include "negotiation.hpp"
#include "tak_proto.hpp"

namespace enlace::tak {
namespace {

template <class Stream>
constexpr bool is_tls = !std::is_same_v<Stream, asio::ip::tcp::socket>;

template <class Stream>
asio::ip::tcp::socket& socket_of(Stream& stream) {
  if constexpr (is_tls<Stream>) {
    return stream.next_layer();
  } else {
    return stream;
  }
}

// A certificate's subject CN ("" when there is none).
std::string common_name(const X509* certificate) {
  if (certificate == nullptr) return {};
  X509_NAME* subject = X509_get_subject_name(certificate);
  char buffer[256] = {};
  const int length = X509_NAME_get_text_by_NID(subject, NID_commonName, buffer, sizeof buffer);
  return length > 0 ? std::string(buffer, static_cast<std::size_t>(length)) : std::string();
}

// At most this many queued events go into one write: enough to fill TLS records, few
// enough that a write never holds much more than one queue bound.
constexpr std::size_t kMaxBuffersPerWrite = 64;

}  // namespace

std::uint64_t next_sink_id() noexcept {
  static std::atomic<std::uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

std::int64_t now_ms() noexcept {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

template <class Stream>
StreamSession<Stream>::StreamSession(Stream stream, ClientInfo info,
                                     SessionEnvironment& environment)
    : stream_(std::move(stream)),
      info_(std::move(info)),
      env_(environment),
      id_(next_sink_id()),
      decoder_(environment.config.max_event_bytes),
      handshake_timer_(stream_.get_executor()) {}

template <class Stream>
void StreamSession<Stream>::start() {
  if constexpr (is_tls<Stream>) {
    // The context verifies the chain and the CRL; this records why a certificate failed,
    // and refuses a valid client certificate whose CN no [[units]] entry maps
    // (unmapped_certificate): a certificate stands for a unit, or it does not get in. The
    // refusal happens in the handshake, so the client gets an alert, not a silent close.
    stream_.set_verify_callback([this](bool preverified, asio::ssl::verify_context& context) {
      X509_STORE_CTX* store = context.native_handle();
      if (!preverified) {
        if (verify_error_.empty())
          verify_error_ = X509_verify_cert_error_string(X509_STORE_CTX_get_error(store));
        return false;
      }
      if (X509_STORE_CTX_get_error_depth(store) != 0) return true;
      const std::string cn = common_name(X509_STORE_CTX_get_current_cert(store));
      if (env_.config.unit_for(cn) != nullptr) return true;
      refusal_ = Reason::unmapped_certificate;
      verify_error_ = "no [[units]] mapping for the certificate CN '" + cn + "'";
      X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
      return false;
    });
    // A client that connects and then sends nothing, or half a ClientHello, would hold its
    // connection (and a slot of max_handshakes) for as long as it likes: the timer ends it.
    env_.counters.handshake_started();
    handshake_timer_.expires_after(env_.config.tls->handshake_timeout);
    handshake_timer_.async_wait([self = this->shared_from_this()](const asio::error_code& error) {
      if (!error) self->handshake_timed_out();
    });
    stream_.async_handshake(asio::ssl::stream_base::server, [self = this->shared_from_this()](
                                                                const asio::error_code& error) {
      if (self->handshake_ended_) return;  // timed out: counted and closed already
      self->handshake_ended_ = true;
      self->env_.counters.handshake_ended();
      self->handshake_timer_.cancel();
      if (error) {
        // A client that went away before its certificate was judged was not refused: it
        // is logged, not counted as certificate_refused.
        const bool went_away =
            self->verify_error_.empty() &&
            (error == asio::error::eof || error == asio::ssl::error::stream_truncated ||
             error == asio::error::connection_reset);
        if (went_away) {
          log::info("tls {}: closed by the client during the handshake: {}", self->info_.remote,
                    error.message());
        } else {
          self->env_.counters.refused(self->refusal_);
          log::warn("tls {}: refused ({}): {}{}{}", self->info_.remote, to_string(self->refusal_),
                    self->verify_error_, self->verify_error_.empty() ? "" : "; ", error.message());
        }
        self->closed_ = true;
        asio::error_code ignored;
        socket_of(self->stream_).close(ignored);
        return;
      }
      self->info_.certificate_cn =
          common_name(SSL_get0_peer_certificate(self->stream_.native_handle()));
      self->info_.unit = self->env_.config.unit_for(self->info_.certificate_cn);
      self->open();
    });
  } else {
    open();
  }
}

template <class Stream>
void StreamSession<Stream>::open() {
  open_ = true;
  env_.counters.client_opened(info_.transport, Protocol::xml);
  log::info("{} {}: connected{}{}", to_string(info_.transport), info_.remote,
            info_.certificate_cn.empty() ? "" : ", certificate CN ", info_.certificate_cn);
  // TAK Server's order: the protocol offer first, then the picture.
  send_control(protocol_offer(now_ms()));
  env_.registry.add(this->shared_from_this(), now_ms());
  read();
}

// Asio thread, when the handshake timer expires: if the handshake is still running, the
// connection is refused and closed, which also ends the pending async_handshake (its
// handler then sees handshake_ended_ and does nothing).
template <class Stream>
void StreamSession<Stream>::handshake_timed_out() {
  if (handshake_ended_) return;
  handshake_ended_ = true;
  env_.counters.handshake_ended();
  env_.counters.refused(Reason::handshake_timeout);
  if (env_.counters.should_log(Reason::handshake_timeout)) {
    log::warn("{} {}: refused ({}): no complete TLS handshake within {} ms",
              to_string(info_.transport), info_.remote, to_string(Reason::handshake_timeout),
              env_.config.tls->handshake_timeout.count());
  }
  closed_ = true;
  asio::error_code ignored;
  socket_of(stream_).close(ignored);
}

template <class Stream>
void StreamSession<Stream>::read() {
  stream_.async_read_some(
      asio::buffer(read_buffer_),
      [self = this->shared_from_this()](const asio::error_code& error, std::size_t n) {
        if (self->closed_) return;
        if (error) {
          self->close(error == asio::error::eof ? "closed by the client" : error.message());
          return;
        }
        self->decoder_.feed(std::string_view(self->read_buffer_.data(), n));
        while (!self->closed_) {
          auto next = self->decoder_.next();
          if (!next) {
            self->env_.counters.refused(next.refusal().reason);
            log::warn("{} {}: closing ({}): {}", to_string(self->info_.transport),
                      self->info_.remote, to_string(next.refusal().reason), next.refusal().detail);
            self->close("stream error");
            return;
          }
          if (!next->has_value()) break;
          self->handle(**next);
        }
        if (!self->closed_) self->read();
      });
}

template <class Stream>
void StreamSession<Stream>::handle(const std::string& bytes) {
  const XmlLimits limits{env_.config.max_event_bytes};
  auto decoded =
      decoder_.mode() == StreamMode::xml ? decode_xml(bytes, limits) : decode_proto(bytes, limits);
  if (!decoded) {
    env_.counters.refused(decoded.refusal().reason);
    if (env_.counters.should_log(decoded.refusal().reason)) {
      log::warn("{} {}: event refused ({}): {}", to_string(info_.transport), info_.remote,
                to_string(decoded.refusal().reason), decoded.refusal().detail);
    }
    return;
  }
  const CotEvent& event = *decoded;
  if (event.type == kTypePing) {
    env_.counters.event_in(EventKind::control);
    send_control(ping_reply(env_.config.uid, now_ms()));
    return;
  }
  if (const auto version = requested_version(event)) {
    env_.counters.event_in(EventKind::control);
    const bool accepted = *version == kTakProtocolVersion && decoder_.mode() == StreamMode::xml;
    // The response goes out in XML; everything after it, both ways, is TAK v1.
    send_control(protocol_response(env_.config.uid, accepted, now_ms()));
    if (accepted) {
      decoder_.set_mode(StreamMode::protobuf);
      protocol_ = Protocol::protobuf;
      env_.counters.client_upgraded(info_.transport);
      log::info("{} {}: TAK protocol version 1", to_string(info_.transport), info_.remote);
    }
    return;
  }
  if (is_stream_control(event)) {
    env_.counters.event_in(EventKind::control);
    return;
  }
  env_.on_event(event, info_, id_);
}

template <class Stream>
void StreamSession<Stream>::send_control(const CotEvent& event) {
  auto out = std::make_shared<OutEvent>();
  out->uid = event.uid;
  if (protocol_ == Protocol::xml) {
    out->xml = encode_xml(event);
  } else {
    out->stream_frame = stream_frame(encode_proto(event));
  }
  const std::string* bytes = protocol_ == Protocol::xml ? &out->xml : &out->stream_frame;
  enqueue(std::move(out), bytes);
}

template <class Stream>
void StreamSession<Stream>::deliver(const std::shared_ptr<const OutEvent>& event) {
  enqueue(event, protocol_ == Protocol::xml ? &event->xml : &event->stream_frame);
}

template <class Stream>
void StreamSession<Stream>::enqueue(std::shared_ptr<const OutEvent> event,
                                    const std::string* bytes) {
  if (closed_) return;
  if (queued_bytes_ + bytes->size() > env_.config.client_queue_bytes) {
    env_.counters.refused(Reason::send_queue_full);
    if (env_.counters.should_log(Reason::send_queue_full)) {
      log::warn("{} {}: send queue full ({} bytes), dropping {}", to_string(info_.transport),
                info_.remote, queued_bytes_, event->uid);
    }
    return;
  }
  queued_bytes_ += bytes->size();
  queue_.push_back(Queued{std::move(event), bytes});
  if (writing_ == 0) write();
}

template <class Stream>
void StreamSession<Stream>::write() {
  buffers_.clear();
  for (std::size_t i = 0; i < queue_.size() && i < kMaxBuffersPerWrite; ++i) {
    buffers_.push_back(asio::buffer(*queue_[i].bytes));
  }
  writing_ = buffers_.size();
  if (writing_ == 0) return;
  asio::async_write(stream_, buffers_,
                    [self = this->shared_from_this()](const asio::error_code& error, std::size_t) {
                      if (self->closed_) return;
                      if (error) {
                        self->close(error.message());
                        return;
                      }
                      for (std::size_t i = 0; i < self->writing_; ++i) {
                        self->queued_bytes_ -= self->queue_.front().bytes->size();
                        self->queue_.pop_front();
                      }
                      self->writing_ = 0;
                      self->write();
                    });
}

template <class Stream>
void StreamSession<Stream>::close(std::string_view why) {
  if (closed_) return;
  closed_ = true;
  if (open_) {
    env_.counters.client_closed(info_.transport, protocol_);
    env_.registry.remove(id_);
    log::info("{} {}: disconnected: {}", to_string(info_.transport), info_.remote, why);
  }
  // The queue stays until the session is destroyed: a write in flight still points into it.
  asio::error_code ignored;
  socket_of(stream_).close(ignored);
}

template class StreamSession<asio::ip::tcp::socket>;
template class StreamSession<asio::ssl::stream<asio::ip::tcp::socket>>;

}  // namespace enlace::tak
