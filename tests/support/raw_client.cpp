#include "raw_client.hpp"

#include <cstring>

#include "enlace/protocol/control.hpp"

namespace enlace::test {
namespace {

Frame control_frame(flatbuffers::FlatBufferBuilder& fbb) {
  return with_header(wire::Command::control, {fbb.GetBufferPointer(), fbb.GetSize()});
}

}  // namespace

Frame with_header(wire::Command command, wire::Bytes body, std::uint8_t flags) {
  Frame frame(wire::kHeaderSize + body.size());
  wire::write_frame(frame.data(), command, flags, body);
  return frame;
}

Frame hello_frame(std::uint32_t heartbeat_ms) {
  return hello_frame({.client_name = "raw-test", .heartbeat_ms = heartbeat_ms});
}

Frame hello_frame(const protocol::HelloFields& hello) {
  flatbuffers::FlatBufferBuilder fbb;
  protocol::build_hello(fbb, hello);
  return control_frame(fbb);
}

Frame subscribe_frame(std::uint32_t request_id, std::string_view pattern,
                      wire::Conflation conflation) {
  flatbuffers::FlatBufferBuilder fbb;
  protocol::build_subscribe(
      fbb, {.request_id = request_id, .pattern = pattern, .conflation = conflation});
  return control_frame(fbb);
}

Frame ping_frame(std::uint64_t nonce) {
  flatbuffers::FlatBufferBuilder fbb;
  protocol::build_ping(fbb, nonce, 0);
  return control_frame(fbb);
}

Frame pong_frame(std::uint64_t nonce) {
  flatbuffers::FlatBufferBuilder fbb;
  protocol::build_pong(fbb, nonce, 0);
  return control_frame(fbb);
}

Frame publish_frame(const TestSystem& from, const std::string& topic, std::uint8_t flags,
                    std::size_t body_bytes, wire::Uuid* id,
                    std::vector<std::string> releasable_to) {
  EnvelopeEncoder builder;
  PublishOptions options;
  options.label.releasable_to = std::move(releasable_to);
  auto text = wire::CreateTextDirect(builder.fbb(), std::string(body_bytes, 'x').c_str());
  const wire::Uuid made = builder.finish(topic, {from.nation, from.id}, text, options);
  if (id != nullptr) *id = made;
  return with_header(wire::Command::publish, builder.bytes(), flags);
}

Frame batch_frame(const std::vector<Frame>& frames) {
  Frame body;
  for (const Frame& frame : frames) {
    const std::size_t at = body.size();
    body.resize(at + wire::record_size(frame.size()));
    wire::write_record(body.data() + at, frame);
  }
  return with_header(wire::Command::batch, body);
}

// --- Received ---------------------------------------------------------------------------

const wire::ControlFrame* Received::control() const {
  if (command != wire::Command::control) return nullptr;
  return wire::GetControlFrame(bytes.data() + wire::kHeaderSize);
}

wire::Control Received::control_type() const {
  const auto* c = control();
  return c ? c->body_type() : wire::Control::NONE;
}

Errc Received::error_code() const {
  const auto* c = control();
  if (c == nullptr || c->body_type() != wire::Control::Error) return Errc::ok;
  return static_cast<Errc>(c->body_as_Error()->code());
}

std::uint32_t Received::request_id() const {
  const auto* c = control();
  if (c == nullptr) return 0;
  if (c->body_type() == wire::Control::Ack) return c->body_as_Ack()->request_id();
  if (c->body_type() == wire::Control::Error) return c->body_as_Error()->request_id();
  return 0;
}

const wire::Uuid* Received::message_id() const {
  const auto* c = control();
  if (c == nullptr) return nullptr;
  if (c->body_type() == wire::Control::Ack) return c->body_as_Ack()->message_id();
  if (c->body_type() == wire::Control::Error) return c->body_as_Error()->message_id();
  return nullptr;
}

std::string Received::topic() const {
  if (command != wire::Command::deliver) return {};
  const auto* delivery = wire::GetDelivery(bytes.data() + wire::kHeaderSize);
  const auto* envelope = delivery->envelope_nested_root();
  return envelope && envelope->topic() ? envelope->topic()->str() : std::string();
}

// --- RawClient --------------------------------------------------------------------------

RawClient::RawClient(const BrokerProcess& broker, const TestSystem& system,
                     RawClientOptions options)
    : context_(1) {
  socket_.emplace(context_, zmq::socket_type::dealer);
  socket_->set(zmq::sockopt::curve_serverkey, broker.public_key());
  socket_->set(zmq::sockopt::curve_publickey, system.keys.public_key);
  socket_->set(zmq::sockopt::curve_secretkey, system.keys.secret_key);
  socket_->set(zmq::sockopt::linger, 0);
  socket_->set(zmq::sockopt::rcvhwm, options.rcvhwm);
  if (options.rcvbuf > 0) socket_->set(zmq::sockopt::rcvbuf, options.rcvbuf);
  socket_->set(zmq::sockopt::sndhwm, 0);  // the test decides how much it sends
  socket_->connect(broker.endpoint());
}

void RawClient::send(const Frame& frame) {
  socket_->send(zmq::buffer(frame), zmq::send_flags::none);
}

bool RawClient::hello(std::uint32_t heartbeat_ms, Errc* refusal) {
  send(hello_frame(heartbeat_ms));
  bool welcomed = false;
  const bool answered = read_until([&](const Received& r) {
    if (r.control_type() == wire::Control::Welcome) return welcomed = true;
    // Only the refusals of a Hello answer it; other errors may still be on their way.
    const Errc code = r.error_code();
    if (code == Errc::unsupported_version || code == Errc::revoked ||
        code == Errc::too_many_sessions) {
      if (refusal != nullptr) *refusal = code;
      return true;
    }
    return false;
  });
  return answered && welcomed;
}

std::optional<Received> RawClient::hello(const protocol::HelloFields& hello) {
  send(hello_frame(hello));
  std::optional<Received> welcome;
  read_until([&](const Received& r) {
    if (r.control_type() == wire::Control::Welcome) welcome = r;
    return welcome.has_value() || r.error_code() == Errc::revoked ||
           r.error_code() == Errc::too_many_sessions;
  });
  return welcome;
}

void RawClient::unpack(const zmq::message_t& message, std::vector<Received>& out) {
  const Frame bytes(static_cast<const std::uint8_t*>(message.data()),
                    static_cast<const std::uint8_t*>(message.data()) + message.size());
  wire::FrameView view;
  if (wire::parse_frame(bytes, view) != Errc::ok) return;
  std::vector<wire::FrameView> frames;
  if (view.command == wire::Command::batch) {
    wire::BatchReader reader(view.body);
    wire::FrameView inner;
    while (!reader.done() && reader.next(inner) == Errc::ok) frames.push_back(inner);
  } else {
    frames.push_back(view);
  }
  for (const auto& frame : frames) {
    Received received{frame.command, with_header(frame.command, frame.body, frame.flags)};
    wire::FrameView copy;
    if (wire::parse_frame(received.bytes, copy) != Errc::ok) continue;
    if (wire::verify_body(copy) != Errc::ok) continue;  // the copy is 8-byte aligned
    out.push_back(std::move(received));
  }
}

bool RawClient::read_until(const std::function<bool(const Received&)>& done,
                           std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<Received> frames;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    zmq::pollitem_t item{socket_->handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, left);
    if (!(item.revents & ZMQ_POLLIN)) continue;
    zmq::message_t message;
    while (socket_->recv(message, zmq::recv_flags::dontwait)) {
      frames.clear();
      unpack(message, frames);
      for (const auto& frame : frames) {
        if (answer_pings && frame.control_type() == wire::Control::Ping) {
          send(pong_frame(frame.control()->body_as_Ping()->nonce()));
        }
        if (observer) observer(frame);
        if (done(frame)) return true;
      }
    }
  }
}

void RawClient::read_available(const std::function<void(const Received&)>& seen) {
  zmq::message_t message;
  std::vector<Received> frames;
  while (socket_->recv(message, zmq::recv_flags::dontwait)) {
    frames.clear();
    unpack(message, frames);
    for (const auto& frame : frames) {
      if (answer_pings && frame.control_type() == wire::Control::Ping) {
        send(pong_frame(frame.control()->body_as_Ping()->nonce()));
      }
      if (observer) observer(frame);
      seen(frame);
    }
  }
}

bool RawClient::marker(std::uint64_t nonce, const std::function<void(const Received&)>& seen,
                       std::chrono::milliseconds timeout) {
  send(ping_frame(nonce));
  return read_until(
      [&](const Received& r) {
        if (r.control_type() == wire::Control::Pong &&
            r.control()->body_as_Pong()->nonce() == nonce) {
          return true;
        }
        if (seen) seen(r);
        return false;
      },
      timeout);
}

void RawClient::close() {
  socket_.reset();
}

}  // namespace enlace::test
