#include "raw_client.hpp"

#include <algorithm>
#include <cstring>

#include "enlace/protocol/control.hpp"

namespace enlace::test {
namespace {

Frame finished_control(flatbuffers::FlatBufferBuilder& fbb, std::uint8_t flags = 0) {
  return with_header(wire::Command::control, {fbb.GetBufferPointer(), fbb.GetSize()}, flags);
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
  return finished_control(fbb);
}

Frame subscribe_frame(std::uint32_t request_id, std::string_view pattern,
                      wire::Conflation conflation, std::uint8_t flags) {
  flatbuffers::FlatBufferBuilder fbb;
  protocol::build_subscribe(
      fbb, {.request_id = request_id, .pattern = pattern, .conflation = conflation});
  return finished_control(fbb, flags);
}

Frame unsubscribe_frame(std::uint32_t request_id, std::string_view pattern) {
  flatbuffers::FlatBufferBuilder fbb;
  protocol::build_unsubscribe(fbb, request_id, pattern);
  return finished_control(fbb);
}

Frame ping_frame(std::uint64_t nonce) {
  flatbuffers::FlatBufferBuilder fbb;
  protocol::build_ping(fbb, nonce, 0);
  return finished_control(fbb);
}

Frame pong_frame(std::uint64_t nonce) {
  flatbuffers::FlatBufferBuilder fbb;
  protocol::build_pong(fbb, nonce, 0);
  return finished_control(fbb);
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

Frame batch_body(const std::vector<Frame>& frames) {
  Frame body;
  for (const Frame& frame : frames) {
    const std::size_t at = body.size();
    body.resize(at + wire::record_size(frame.size()));
    wire::write_record(body.data() + at, frame);
  }
  return body;
}

Frame batch_frame(const std::vector<Frame>& frames, std::uint8_t flags) {
  return with_header(wire::Command::batch, batch_body(frames), flags);
}

Frame envelope_bytes(const EnvelopeSpec& spec, wire::Uuid* id_out) {
  static std::uint64_t counter = 0;
  flatbuffers::FlatBufferBuilder fbb;
  const auto topic = fbb.CreateString(spec.topic);
  const auto origin = wire::CreateOriginDirect(fbb, spec.nation.c_str(), spec.system.c_str());
  const auto payload = wire::CreateTextDirect(fbb, spec.text.c_str()).Union();
  flatbuffers::Offset<wire::ConfidentialityLabel> label;
  if (spec.label) {
    const RawLabel& l = *spec.label;
    std::vector<flatbuffers::Offset<wire::Category>> categories;
    for (const RawCategory& c : l.categories) {
      std::vector<flatbuffers::Offset<flatbuffers::String>> values;
      for (const auto& v : c.values) values.push_back(fbb.CreateString(v));
      categories.push_back(wire::CreateCategory(fbb, fbb.CreateString(c.name),
                                                static_cast<wire::CategoryType>(c.type),
                                                fbb.CreateVector(values)));
    }
    std::vector<flatbuffers::Offset<flatbuffers::String>> nations;
    for (const auto& n : l.releasable_to) nations.push_back(fbb.CreateString(n));
    label = wire::CreateConfidentialityLabel(
        fbb, l.policy_identifier ? fbb.CreateString(*l.policy_identifier) : 0,
        static_cast<wire::Classification>(l.classification),
        l.releasable_to.empty() ? 0 : fbb.CreateVector(nations),
        categories.empty() ? 0 : fbb.CreateVector(categories));
  }
  wire::Uuid id = spec.id;
  if (id.hi() == 0 && id.lo() == 0) id = wire::Uuid(0x5241570000000000ULL, ++counter);
  wire::EnvelopeBuilder builder(fbb);
  builder.add_id(&id);
  builder.add_origin(origin);
  builder.add_topic(topic);
  if (!label.IsNull()) builder.add_label(label);
  builder.add_payload_type(static_cast<wire::Payload>(spec.payload_type));
  builder.add_payload(payload);
  fbb.Finish(builder.Finish(), wire::EnvelopeIdentifier());
  if (id_out) *id_out = id;
  return Frame(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
}

Frame publish_frame(const EnvelopeSpec& spec, std::uint8_t flags, wire::Uuid* id_out) {
  return with_header(wire::Command::publish, envelope_bytes(spec, id_out), flags);
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

std::string Received::reason() const {
  const auto* c = control();
  if (c == nullptr || c->body_type() != wire::Control::Error) return {};
  const auto* reason = c->body_as_Error()->reason();
  return reason ? reason->str() : std::string();
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

std::uint64_t Received::sequence() const {
  const auto* c = control();
  return c && c->body_type() == wire::Control::Ack ? c->body_as_Ack()->sequence() : 0;
}

std::string Received::topic() const {
  if (command != wire::Command::deliver) return {};
  const auto* delivery = wire::GetDelivery(bytes.data() + wire::kHeaderSize);
  const auto* envelope = wire::GetEnvelope(delivery->envelope()->data());
  return envelope && envelope->topic() ? envelope->topic()->str() : std::string();
}

std::vector<Received> unpack_frames(wire::Bytes message) {
  std::vector<Received> out;
  wire::FrameView view;
  if (wire::parse_frame(message, view) != Errc::ok) return out;
  std::vector<wire::FrameView> frames;
  if (view.command == wire::Command::batch) {
    wire::BatchReader reader(view.body);
    wire::FrameView inner;
    while (!reader.done() && reader.next(inner) == Errc::ok) frames.push_back(inner);
  } else {
    frames.push_back(view);
  }
  for (const auto& frame : frames) {
    // A copy: ZeroMQ keeps small messages inline, not 8-byte aligned.
    Received received{frame.command, with_header(frame.command, frame.body, frame.flags)};
    wire::FrameView copy;
    if (wire::parse_frame(received.bytes, copy) != Errc::ok) continue;
    if (wire::verify_body(copy) != Errc::ok) continue;
    out.push_back(std::move(received));
  }
  return out;
}

bool same_id(const wire::Uuid& a, const wire::Uuid& b) {
  return a.hi() == b.hi() && a.lo() == b.lo();
}

bool has_error(const std::vector<Received>& frames, Errc code) {
  return std::any_of(frames.begin(), frames.end(),
                     [&](const Received& r) { return r.error_code() == code; });
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
  socket_->set(zmq::sockopt::sndhwm, options.sndhwm);
  socket_->connect(broker.endpoint());
}

void RawClient::send(const Frame& frame) {
  socket_->send(zmq::buffer(frame), zmq::send_flags::none);
}

bool RawClient::try_send(const Frame& frame) {
  return socket_->send(zmq::buffer(frame), zmq::send_flags::dontwait).has_value();
}

void RawClient::send_multipart(const Frame& first, const Frame& second) {
  socket_->send(zmq::buffer(first), zmq::send_flags::sndmore);
  socket_->send(zmq::buffer(second), zmq::send_flags::none);
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

void RawClient::unpack(const zmq::message_t& message) {
  for (Received& received :
       unpack_frames({static_cast<const std::uint8_t*>(message.data()), message.size()})) {
    if (answer_pings && received.control_type() == wire::Control::Ping) {
      send(pong_frame(received.control()->body_as_Ping()->nonce()));
    }
    if (observer) observer(received);
    pending_.push_back(std::move(received));
  }
}

void RawClient::receive(std::chrono::milliseconds timeout) {
  zmq::pollitem_t item{socket_->handle(), 0, ZMQ_POLLIN, 0};
  zmq::poll(&item, 1, timeout);
  if (!(item.revents & ZMQ_POLLIN)) return;
  zmq::message_t message;
  while (socket_->recv(message, zmq::recv_flags::dontwait)) unpack(message);
}

bool RawClient::read_until(const std::function<bool(const Received&)>& done,
                           std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    while (!pending_.empty()) {
      const Received frame = std::move(pending_.front());
      pending_.pop_front();
      if (done(frame)) return true;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    receive(left);
  }
}

void RawClient::read_available(const std::function<void(const Received&)>& seen) {
  receive(std::chrono::milliseconds(0));
  while (!pending_.empty()) {
    const Received frame = std::move(pending_.front());
    pending_.pop_front();
    seen(frame);
  }
}

std::vector<Received> RawClient::until(const std::function<bool(const Received&)>& stop) {
  std::vector<Received> seen;
  const bool found = read_until([&](const Received& r) {
    if (r.control_type() == wire::Control::NONE) return false;
    seen.push_back(r);
    return stop(r);
  });
  if (!found) seen.clear();
  return seen;
}

std::optional<Received> RawClient::next() {
  const auto seen = until([](const Received&) { return true; });
  if (seen.empty()) return std::nullopt;
  return seen.back();
}

Received RawClient::next_error() {
  const auto seen =
      until([](const Received& r) { return r.control_type() == wire::Control::Error; });
  return seen.empty() ? Received{} : seen.back();
}

std::vector<Received> RawClient::until_ack(std::uint32_t request_id) {
  return until([&](const Received& r) {
    return r.control_type() == wire::Control::Ack && r.request_id() == request_id;
  });
}

std::vector<Received> RawClient::until_pong() {
  const std::uint64_t nonce = ++nonce_;
  send(ping_frame(nonce));
  return until([&](const Received& r) {
    return r.control_type() == wire::Control::Pong && r.control()->body_as_Pong()->nonce() == nonce;
  });
}

std::vector<Received> RawClient::drain() {
  std::vector<Received> seen;
  read_available([&](const Received& r) {
    if (r.control_type() != wire::Control::NONE) seen.push_back(r);
  });
  return seen;
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
