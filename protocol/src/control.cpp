#include "enlace/protocol/control.hpp"

#include "enlace/protocol/frame.hpp"

namespace enlace::protocol {
namespace {

flatbuffers::Offset<flatbuffers::String> string(flatbuffers::FlatBufferBuilder& fbb,
                                                std::string_view text) {
  return fbb.CreateString(text.data(), text.size());
}

template <class Body>
void finish(flatbuffers::FlatBufferBuilder& fbb, wire::Control type,
            flatbuffers::Offset<Body> body) {
  fbb.Finish(wire::CreateControlFrame(fbb, type, body.Union()), wire::ControlFrameIdentifier());
}

}  // namespace

void build_hello(flatbuffers::FlatBufferBuilder& fbb, const HelloFields& h) {
  fbb.Clear();
  finish(fbb, wire::Control::Hello,
         wire::CreateHello(fbb, wire::kProtocolVersion, string(fbb, h.client_name), 0,
                           h.heartbeat_ms, h.resume_grace_ms, h.resume_session, h.resume_token,
                           h.resume_received, h.resume_told_dropped));
}

void build_welcome(flatbuffers::FlatBufferBuilder& fbb, const WelcomeFields& w) {
  fbb.Clear();
  finish(fbb, wire::Control::Welcome,
         wire::CreateWelcome(fbb, wire::kProtocolVersion, string(fbb, w.broker_id),
                             string(fbb, w.nation), string(fbb, w.system), string(fbb, w.role),
                             w.max_message_bytes, w.session_id, string(fbb, w.policy_version),
                             w.resume_grace_ms, w.resume_token, w.resumed, w.missed));
}

void build_subscribe(flatbuffers::FlatBufferBuilder& fbb, const SubscribeFields& s) {
  fbb.Clear();
  finish(fbb, wire::Control::Subscribe,
         wire::CreateSubscribe(fbb, s.request_id, string(fbb, s.pattern), s.snapshot, s.replay_from,
                               s.replay_value, s.conflation));
}

void build_unsubscribe(flatbuffers::FlatBufferBuilder& fbb, std::uint32_t request_id,
                       std::string_view pattern) {
  fbb.Clear();
  finish(fbb, wire::Control::Unsubscribe,
         wire::CreateUnsubscribe(fbb, request_id, string(fbb, pattern)));
}

void build_ack(flatbuffers::FlatBufferBuilder& fbb, std::uint32_t request_id,
               const wire::Uuid* message_id, std::uint64_t sequence, std::uint32_t count) {
  fbb.Clear();
  finish(fbb, wire::Control::Ack, wire::CreateAck(fbb, request_id, message_id, sequence, count));
}

void build_error(flatbuffers::FlatBufferBuilder& fbb, Errc code, std::string_view reason,
                 std::uint32_t request_id, const wire::Uuid* message_id, std::uint64_t count) {
  fbb.Clear();
  const auto text = string(fbb, reason);
  wire::ErrorBuilder error(fbb);
  error.add_code(static_cast<std::uint16_t>(code));
  error.add_reason(text);
  error.add_request_id(request_id);
  if (message_id) error.add_message_id(message_id);
  error.add_retryable(is_retryable(code));
  if (count != 0) error.add_count(count);
  finish(fbb, wire::Control::Error, error.Finish());
}

void build_end_of_snapshot(flatbuffers::FlatBufferBuilder& fbb, std::uint32_t request_id,
                           std::uint32_t count, std::uint64_t horizon) {
  fbb.Clear();
  finish(fbb, wire::Control::EndOfSnapshot,
         wire::CreateEndOfSnapshot(fbb, request_id, count, horizon));
}

void build_end_of_replay(flatbuffers::FlatBufferBuilder& fbb, std::uint32_t request_id,
                         std::uint64_t count, std::uint64_t horizon, std::uint64_t damaged) {
  fbb.Clear();
  finish(fbb, wire::Control::EndOfReplay,
         wire::CreateEndOfReplay(fbb, request_id, count, horizon, damaged));
}

void build_ping(flatbuffers::FlatBufferBuilder& fbb, std::uint64_t nonce, std::int64_t time_ns) {
  fbb.Clear();
  finish(fbb, wire::Control::Ping, wire::CreatePing(fbb, nonce, time_ns));
}

void build_pong(flatbuffers::FlatBufferBuilder& fbb, std::uint64_t nonce, std::int64_t time_ns) {
  fbb.Clear();
  finish(fbb, wire::Control::Pong, wire::CreatePong(fbb, nonce, time_ns));
}

void build_bye(flatbuffers::FlatBufferBuilder& fbb) {
  fbb.Clear();
  finish(fbb, wire::Control::Bye, wire::CreateBye(fbb));
}

}  // namespace enlace::protocol
