// Inbound frames: checks in the order of docs/protocol.md ("Processing a frame"), then
// routing. This is the broker's hot path: no allocation of its own after warm-up, no
// locks, one topic split per message and a bit test per delivery.
#include <bit>
#include <cstring>

#include "broker.hpp"
#include "enlace/protocol/aligned.hpp"
#include "enlace/protocol/clock.hpp"
#include "log.hpp"

namespace enlace::broker {
namespace {

// A loop pass reads at most this many frames, and stops early once the frames it produced
// fill the pass buffer to kPassBufferBytes: then it flushes. Bounded passes keep batches
// moderate and latency low under load.
constexpr int kMaxFramesPerPass = 4096;
constexpr std::size_t kPassBufferBytes = 1024 * 1024;

constexpr std::size_t kMaxLabelNations = policy::kMaxNations;

}  // namespace

std::string_view Peer::public_key() const {
  const char* key = message->gets(kZapKeyProperty);
  return key ? key : "";
}

void Broker::receive_all() {
  for (int i = 0; i < kMaxFramesPerPass && pass_buffer_.size() < kPassBufferBytes; ++i) {
    zmq::message_t routing_id;
    if (!router_.recv(routing_id, zmq::recv_flags::dontwait)) return;
    zmq::message_t payload;
    if (!routing_id.more() || !router_.recv(payload, zmq::recv_flags::dontwait)) continue;
    if (payload.more()) {
      // One message is one frame: drain the rest of this multipart message and refuse it.
      zmq::message_t rest;
      do {
        if (!router_.recv(rest, zmq::recv_flags::dontwait)) break;
      } while (rest.more());
      const std::string id = routing_id.to_string();
      ++metrics_.frames_in;  // one frame, refused as a whole
      send_error(find_session(id), id, Errc::malformed_frame,
                 "multipart message: every Enlace message is exactly one frame");
      continue;
    }
    handle_message(routing_id, payload);
  }
}

void Broker::handle_message(zmq::message_t& routing_id, zmq::message_t& payload) {
  ++metrics_.frames_in;
  metrics_.bytes_in += payload.size();
  const std::string_view id = routing_id.to_string_view();
  // ZeroMQ attaches the ZAP User-Id (our system id) and metadata to every message of a
  // connection.
  const char* user_id = payload.gets("User-Id");
  const Peer peer{std::string(id), user_id ? user_id : "", &payload, protocol::monotonic_ns(),
                  protocol::utc_ns()};
  Session* session = find_session(id);
  if (session != nullptr && session->system_id != peer.system_id) {
    // A new connection reused a departed peer's routing id: the old session is over.
    close_session(*session, "routing id taken over by another connection");
    session = nullptr;
  }
  if (session != nullptr) session->last_activity_ns = peer.arrival_ns;

  const std::size_t limit = policy_->limits().max_message_bytes;
  if (payload.size() > limit) {
    send_error(session, peer.routing_id, Errc::message_too_large,
               "frame of " + std::to_string(payload.size()) + " bytes exceeds max_message_bytes " +
                   std::to_string(limit));
    return;
  }

  const wire::Bytes bytes = protocol::aligned_view(
      {static_cast<const std::uint8_t*>(payload.data()), payload.size()}, aligned_copy_);
  const std::uint8_t* data = bytes.data();
  wire::FrameView frame;
  if (const Errc code = wire::parse_frame(bytes, frame); code != Errc::ok) {
    send_error(
        session, peer.routing_id, code,
        code == Errc::unsupported_version
            ? "protocol version " + std::to_string(data[0]) +
                  " not supported (this broker speaks 1)"
            : std::string(code == Errc::unknown_command ? "unknown command byte"
                                                        : "frame header malformed or too short"));
    return;
  }
  if (frame.command != wire::Command::batch) {
    handle_frame(session, peer, frame);
    return;
  }
  ++metrics_.batches_in;
  wire::BatchReader reader(frame.body);
  wire::FrameView inner;
  while (!reader.done()) {
    if (const Errc code = reader.next(inner); code != Errc::ok) {
      send_error(session, peer.routing_id, code,
                 "batch framing broken; the rest of the batch was discarded");
      return;
    }
    handle_frame(session, peer, inner);
    // Only a control frame opens or ends a session (a Hello inside a batch creates the
    // session the following frames belong to): look it up again after one, only then.
    if (inner.command == wire::Command::control) session = find_session(peer.routing_id);
  }
}

void Broker::handle_frame(Session* session, const Peer& peer, const wire::FrameView& frame) {
  const std::string& routing_id = peer.routing_id;
  if (const Errc code = wire::verify_body(frame); code != Errc::ok) {
    send_error(session, routing_id, code,
               code == Errc::wrong_identifier
                   ? "body's file identifier does not match the frame command"
                   : "body failed FlatBuffers verification (truncated or corrupt)");
    return;
  }
  switch (frame.command) {
    case wire::Command::control:
      handle_control(session, peer, *wire::control_of(frame));
      return;
    case wire::Command::publish:
      if (session == nullptr) {
        send_error(nullptr, routing_id, Errc::hello_required, "send Hello before publishing");
        return;
      }
      handle_publish(*session, peer, frame);
      return;
    default:
      send_error(session, routing_id, Errc::unknown_command,
                 "Deliver frames are sent by brokers only");
      return;
  }
}

void Broker::handle_publish(Session& session, const Peer& peer, const wire::FrameView& frame) {
  const wire::Envelope& envelope = *wire::envelope_of(frame);
  const wire::Uuid* message_id = envelope.id();
  // With ack_requested the publisher waits for exactly one answer: a refusal is that
  // answer, always sent. Without, it is unsolicited and rate limited (docs/protocol.md 8.2).
  const bool answer = (frame.flags & wire::flag::ack_requested) != 0;
  const auto refuse = [&](Errc code, std::string reason) {
    if (answer)
      answer_error(session.routing_id, code, std::move(reason), 0, message_id);
    else
      send_error(&session, session.routing_id, code, std::move(reason), 0, message_id);
  };

  // 1. No spoofing: the envelope must name the identity the broker authenticated.
  const std::string_view nation = envelope.origin()->nation()->string_view();
  const std::string_view system = envelope.origin()->system()->string_view();
  if (nation != session.nation_code || system != session.system_id) {
    refuse(Errc::origin_mismatch, "envelope origin " + std::string(nation) + "/" +
                                      std::string(system) +
                                      " differs from the authenticated identity " +
                                      session.nation_code + "/" + session.system_id);
    return;
  }
  // 2. Publish ACL (also validates the topic). The topic is split here once, for the ACL,
  // the agreements and the trie.
  const std::string_view topic = envelope.topic()->string_view();
  topic::Tokens tokens;
  tokens.split(topic);
  if (auto decision = policy_->check_publish(*session.system, topic, tokens); !decision.allowed) {
    refuse(decision.code, std::move(decision.reason));
    return;
  }
  // 3. Rate limit.
  if (!session.publish_rate.take(peer.arrival_ns)) {
    refuse(Errc::rate_limited,
           "system '" + session.system_id + "' exceeds its rate of " +
               std::to_string(static_cast<long>(session.system->rate_per_second)) + " messages/s");
    return;
  }
  // 4. Label and audience, computed once for every subscriber.
  const auto* label = envelope.label();
  label_nations_.clear();
  auto classification = policy::Classification::unmarked;
  if (label != nullptr) {
    classification = static_cast<policy::Classification>(label->classification());
    if (const auto* nations = label->releasable_to()) {
      if (nations->size() > kMaxLabelNations) {
        refuse(Errc::invalid_label, "releasable_to lists more than 64 nations");
        return;
      }
      for (const auto* code : *nations) label_nations_.push_back(code->string_view());
    }
  }
  auto audience = policy_->audience(*session.system, tokens, label_nations_, classification);
  if (!audience.label.allowed) {
    refuse(audience.label.code, std::move(audience.label.reason));
    return;
  }

  const std::uint64_t sequence = ++sequence_;
  ++metrics_.published;
  ++metrics_.published_by_nation[session.nation];
  route(session, tokens, frame.body, audience.nations, sequence, peer.arrival_utc_ns);
  if (frame.flags & wire::flag::ack_requested) {
    send_ack(session, 0, message_id, sequence,
             static_cast<std::uint32_t>(std::popcount(audience.nations)));
  }
}

void Broker::route(Session& publisher, const topic::Tokens& tokens, wire::Bytes envelope_bytes,
                   policy::NationMask audience, std::uint64_t sequence, std::int64_t receive_ns) {
  // Build the delivery lazily: a message nobody may receive costs no encoding.
  protocol::RecordRef record{};
  bool built = false;
  const auto build = [&] {
    record = append_delivery(publisher, sequence, receive_ns, envelope_bytes);
    built = true;
  };

  trie_.match(tokens, [&](const SubscriptionRef& ref) {
    Session& subscriber = *ref.session;
    if (subscriber.last_routed_sequence == sequence) return;  // already queued via another pattern
    subscriber.last_routed_sequence = sequence;
    if ((subscriber.nation_bit & audience) == 0) {
      ++metrics_.denied_by_audience;
      return;
    }
    if (!built) build();
    enqueue(*subscriber.connection, record);  // every subscriber shares the one delivery
    ++metrics_.deliveries;
    ++metrics_.delivered[publisher.nation][subscriber.nation];
  });
}

}  // namespace enlace::broker
