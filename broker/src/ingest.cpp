// Inbound frames: checks in the order of docs/protocol.md ("Processing a frame"), then
// routing. This is the broker's hot path: no allocation of its own after warm-up, no
// locks, one topic split per message and a bit test per delivery.
#include <bit>
#include <cstring>

#include "broker.hpp"
#include "enlace/protocol/aligned.hpp"
#include "enlace/protocol/clock.hpp"
#include "enlace/protocol/control.hpp"
#include "log.hpp"

namespace enlace::broker {
namespace {

// A loop pass reads at most this many frames, and stops early once the frames it produced
// fill the pass buffer to kPassBufferBytes, or the frames it read reach kPassInputBytes:
// then it flushes. Bounded passes keep batches moderate and latency low under load. The
// input bound is for what produces nothing: a flood of refused batches would otherwise
// hold every delivery of the pass back for thousands of frames (tens of milliseconds).
constexpr int kMaxFramesPerPass = 4096;
constexpr std::size_t kPassBufferBytes = 1024 * 1024;
constexpr std::size_t kPassInputBytes = 512 * 1024;

constexpr std::size_t kMaxLabelNations = policy::kMaxNations;

// How long a cut-off connection stays open for its notice to leave: ZeroMQ's I/O thread
// writes what the routing thread handed it within microseconds, unless the peer's TCP
// window is full, which for a flooder that no longer reads is no loss.
constexpr std::int64_t kCutOffCloseDelayNs = 100'000'000;

// Bytes of a peer's text a reason quotes at most (docs/protocol.md 8.4).
constexpr std::size_t kQuotedBytes = 80;

// The first category of `label` that is not informative (one this broker would have to
// enforce, and cannot), or nullptr.
const wire::Category* enforced_category(const wire::ConfidentialityLabel& label) noexcept {
  if (const auto* categories = label.categories()) {
    for (const auto* category : *categories) {
      if (category->type() != wire::CategoryType::Informative) return category;
    }
  }
  return nullptr;
}

// The reason for a refusal of the frame codec (frame.hpp), by code: static text, so
// refusing a broken frame builds nothing. unsupported_version has its own, with the byte.
const char* codec_reason(Errc code) noexcept {
  switch (code) {
    case Errc::malformed_frame:
      return "frame header malformed or too short (reserved bytes and bits must be zero; "
             "ack_requested is for publish frames only)";
    case Errc::unknown_command:
      return "unknown command byte";
    case Errc::bad_batch:
      return "batch framing broken (no record, a record shorter than a frame header, a length "
             "past the end, non-zero reserved or padding bytes, or a nested batch); the rest "
             "of the batch was discarded";
    case Errc::wrong_identifier:
      return "body's file identifier does not match the frame command, or the body is too "
             "short to hold one";
    case Errc::verification_failed:
      return "body failed FlatBuffers verification (truncated or corrupt)";
    default:
      return "frame refused";
  }
}

}  // namespace

std::string_view Peer::public_key() const {
  const char* key = message->gets(kZapKeyProperty);
  return key ? key : "";
}

void Broker::receive_all() {
  std::size_t input_bytes = 0;
  for (int i = 0; i < kMaxFramesPerPass && pass_buffer_.size() < kPassBufferBytes &&
                  input_bytes < kPassInputBytes;
       ++i) {
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
      refuse(find_session(id), id, Errc::malformed_frame, {},
             "multipart message: every Enlace message is exactly one frame");
      continue;
    }
    input_bytes += payload.size();
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
    refuse(session, peer.routing_id, Errc::message_too_large, {},
           "frame of {} bytes exceeds max_message_bytes {}", payload.size(), limit);
    return;
  }

  const wire::Bytes bytes = protocol::aligned_view(
      {static_cast<const std::uint8_t*>(payload.data()), payload.size()}, aligned_copy_);
  wire::FrameView frame;
  if (const Errc code = wire::parse_frame(bytes, frame); code != Errc::ok) {
    if (code == Errc::unsupported_version) {
      refuse(session, peer.routing_id, code, {},
             "protocol version {} not supported (this broker speaks 1)", unsigned{bytes[0]});
    } else {
      refuse(session, peer.routing_id, code, {}, "{}", codec_reason(code));
    }
    return;
  }
  if (session == nullptr && frame.command != wire::Command::control) {
    if (CoolDowns::Entry* cooling = cool_downs_.find(peer.system_id, peer.arrival_ns)) {
      refuse_cooling(peer, *cooling);
      return;
    }
  }
  if (frame.command != wire::Command::batch) {
    handle_frame(session, peer, frame);
    if (frame.command == wire::Command::control) session = find_session(peer.routing_id);
    if (session != nullptr && session->flood.tripped()) cut_off(*session);
    return;
  }
  ++metrics_.batches_in;
  wire::BatchReader reader(frame.body);
  wire::FrameView inner;
  while (!reader.done()) {
    if (const Errc code = reader.next(inner); code != Errc::ok) {
      if (code == Errc::bad_batch) {
        refuse(session, peer.routing_id, code, {}, "{}", codec_reason(code));
      } else {
        refuse(session, peer.routing_id, code, {},
               "{} (a frame inside a batch); the rest of the batch was discarded",
               codec_reason(code));
      }
    } else {
      handle_frame(session, peer, inner);
      // Only a control frame opens or ends a session (a Hello inside a batch creates the
      // session the following frames belong to): look it up again after one, only then.
      if (inner.command == wire::Command::control) session = find_session(peer.routing_id);
    }
    if (session != nullptr && session->flood.tripped()) {
      cut_off(*session);  // the rest of the batch is not read
      return;
    }
  }
}

void Broker::handle_frame(Session* session, const Peer& peer, const wire::FrameView& frame) {
  const std::string& routing_id = peer.routing_id;
  // The rate limit comes before verification (docs/protocol.md 4, step 4): a publish over
  // the rate is refused at the cost of a token bucket, its body never read unless the
  // refusal is answered.
  if (frame.command == wire::Command::publish && session != nullptr &&
      !session->publish_rate.take(peer.arrival_ns)) {
    refuse_rate_limited(*session, frame);
    return;
  }
  if (const Errc code = wire::verify_body(frame); code != Errc::ok) {
    refuse(session, routing_id, code, {}, "{}", codec_reason(code));
    return;
  }
  switch (frame.command) {
    case wire::Command::control:
      handle_control(session, peer, *wire::control_of(frame));
      return;
    case wire::Command::publish:
      if (session == nullptr) {
        // The body is verified: the answer can name the envelope it refuses (8.1).
        refuse(nullptr, routing_id, Errc::hello_required, {0, wire::envelope_of(frame)->id()},
               "send Hello before publishing");
        return;
      }
      handle_publish(*session, peer, frame);
      return;
    default:
      refuse(session, routing_id, Errc::unknown_command, {},
             "Deliver frames are sent by brokers only");
      return;
  }
}

void Broker::refuse_rate_limited(Session& session, const wire::FrameView& frame) {
  // With ack_requested the publisher waits for this answer; else it spends the budget.
  const bool awaited = (frame.flags & wire::flag::ack_requested) != 0;
  if (!answerable(&session, session.routing_id, Errc::rate_limited, {0, nullptr, awaited})) return;
  // Answered: now the body is worth verifying, so that the Error names the envelope. One
  // that fails is refused for that instead: rate_limited without ids means a cut-off.
  if (const Errc code = wire::verify_body(frame); code != Errc::ok) {
    answer(&session, session.routing_id, code, {}, "{}", fmt::make_format_args(codec_reason(code)));
    return;
  }
  const wire::Uuid* id = wire::envelope_of(frame)->id();
  const double rate = session.system->rate_per_second;
  answer(&session, session.routing_id, Errc::rate_limited, {0, id, awaited},
         "system '{}' exceeds its rate of {} messages/s",
         fmt::make_format_args(session.system_id, rate));
}

void Broker::refuse_cooling(const Peer& peer, CoolDowns::Entry& cooling) {
  // Not read, and answered at most once a second: hello_required tells the client it has
  // no session; its Hello learns how long the cool-down lasts.
  metrics_.count_refusal(Errc::hello_required);
  if (!cooling.answers.take(peer.arrival_ns)) {
    ++metrics_.errors_suppressed;
    return;
  }
  const std::int64_t seconds = (cooling.until_ns - peer.arrival_ns) / 1'000'000'000 + 1;
  answer(nullptr, peer.routing_id, Errc::hello_required, {},
         "no session: system '{}' was cut off for flooding; its Hello is refused for {} more s",
         fmt::make_format_args(peer.system_id, seconds));
}

bool Broker::answerable(Session* session, const std::string& routing_id, Errc code, Ids ids) {
  metrics_.count_refusal(code);
  // A session's frames all carry their arrival time in last_activity_ns: no clock read.
  const std::int64_t now = session ? session->last_activity_ns : protocol::monotonic_ns();
  if (session != nullptr) session->flood.refused(now);
  // Answers to what a peer waits for always go; their cost is bounded by the connection's
  // control-frame bound. Unsolicited refusals spend the connection's error budget, so a
  // new Hello does not renew it; peers that never opened a session share one.
  if (ids.request_id != 0 || ids.awaited) return true;
  Connection* connection = session ? session->connection : find_connection(routing_id);
  TokenBucket& budget = connection ? connection->error_budget : anonymous_errors_;
  if (budget.take(now)) return true;
  ++metrics_.errors_suppressed;
  return false;
}

void Broker::answer(Session* session, const std::string& routing_id, Errc code, Ids ids,
                    fmt::string_view reason, fmt::format_args args) {
  ++metrics_.errors_sent;
  reason_.clear();
  fmt::vformat_to(std::back_inserter(reason_), reason, args);
  const std::string_view text(reason_.data(), reason_.size());
  // At info, at most kRefusalLogRate lines a second over all peers; those not logged are
  // counted and their number logged with the next line that is.
  if (refusal_log_.take(protocol::monotonic_ns())) {
    if (refusals_not_logged_ > 0) {
      log::info("{} refusal(s) not logged (at most {} a second)", refusals_not_logged_,
                kRefusalLogRate);
      refusals_not_logged_ = 0;
    }
    log::info("refused {} ({}): {}",
              session ? std::string_view(session->system_id) : std::string_view("<no session>"),
              to_string(code), text);
  } else {
    ++refusals_not_logged_;
  }
  protocol::build_error(control_fbb_, code, text, ids.request_id, ids.message_id);
  if (session != nullptr) {
    // On the session's own connection, detached ones (waiting for a resume) included.
    enqueue(*session->connection, pass_buffer_.append(wire::Command::control, control_fbb_));
    return;
  }
  send_control(routing_id, control_fbb_);
}

void Broker::cut_off(Session& session) {
  ++metrics_.sessions_cut_off;
  const std::string system_id = session.system_id;
  const std::string routing_id = session.routing_id;
  constexpr double kSeconds = static_cast<double>(FloodGuard::kFloodNs) / 1e9;
  constexpr auto kCoolDownSeconds = CoolDowns::kCoolDownNs / 1'000'000'000;
  log::warn(
      "system '{}' cut off: session {} was refused more than it was served, {} times a second "
      "or more, for {} s; its connection closes and it may not connect for {} s",
      system_id, session.session_id,
      FloodGuard::kMinRefusals * (1'000'000'000 / FloodGuard::kWindowNs), kSeconds,
      kCoolDownSeconds);
  cool_downs_.start(system_id, session.last_activity_ns);
  // The connection is shut down shortly after the notice below was handed to ZeroMQ, so
  // that the notice most likely leaves first; the flooder's reconnections then fail their
  // handshake until the cool-down ends (zap_handler.hpp), and its frames stop costing
  // decryption.
  if (const Connection* connection = session.connection) {
    if (const auto remote = ConnectionMonitor::remote_end(connection->fd)) {
      closing_.push_back(
          {routing_id, system_id, *remote, session.last_activity_ns + kCutOffCloseDelayNs});
    }
  }
  close_session(session, "cut off for flooding");
  // Sent after closing, at once and whatever the error budget: a session's queue goes
  // with it, and this is the one notice the client gets.
  metrics_.count_refusal(Errc::rate_limited);
  ++metrics_.errors_sent;
  reason_.clear();
  fmt::format_to(std::back_inserter(reason_),
                 "session cut off: refused more than served for {} s; the connection closes, "
                 "and system '{}' may connect again in {} s",
                 kSeconds, system_id, kCoolDownSeconds);
  protocol::build_error(control_fbb_, Errc::rate_limited, {reason_.data(), reason_.size()}, 0,
                        nullptr);
  send_control(routing_id, control_fbb_);
}

void Broker::handle_publish(Session& session, const Peer& peer, const wire::FrameView& frame) {
  const wire::Envelope& envelope = *wire::envelope_of(frame);
  // With ack_requested the publisher waits for exactly one answer: a refusal is that
  // answer, always sent. Without, it is unsolicited and rate limited (docs/protocol.md 8.2).
  const Ids ids{0, envelope.id(), (frame.flags & wire::flag::ack_requested) != 0};
  const std::string& to = session.routing_id;

  // 1. The payload is required: a union of type NONE has none. A type this broker does
  // not know (a newer schema's) is routed unchanged, as the broker never reads payloads.
  if (envelope.payload_type() == wire::Payload::NONE) {
    refuse(&session, to, Errc::invalid_envelope, ids,
           "envelope has no payload (payload type NONE)");
    return;
  }
  // 2. No spoofing: the envelope must name the identity the broker authenticated.
  const std::string_view nation = envelope.origin()->nation()->string_view();
  const std::string_view system = envelope.origin()->system()->string_view();
  if (nation != session.nation_code || system != session.system_id) {
    refuse(&session, to, Errc::origin_mismatch, ids,
           "envelope origin {}/{} differs from the authenticated identity {}/{}",
           log::escaped(nation, kQuotedBytes), log::escaped(system, kQuotedBytes),
           session.nation_code, session.system_id);
    return;
  }
  // 3. Publish ACL (also validates the topic). The topic is split here once, for the ACL,
  // the agreements and the trie. (The rate limit came before verification.)
  const std::string_view topic = envelope.topic()->string_view();
  topic::Tokens tokens;
  tokens.split(topic);
  if (auto decision = policy_->check_publish(*session.system, topic, tokens); !decision.allowed) {
    refuse(&session, to, decision.code, ids, "{}", decision.reason);
    return;
  }
  // 4. Label and audience, computed once for every subscriber.
  auto classification = policy::Classification::unmarked;
  if (!read_label(session, envelope, ids, classification)) return;
  auto audience = policy_->audience(*session.system, tokens, label_nations_, classification);
  if (!audience.label.allowed) {
    refuse(&session, to, audience.label.code, ids, "{}", audience.label.reason);
    return;
  }

  // 5. A durable topic's stream must be able to take it: what could not be stored is not
  // delivered either.
  const int stream = journal_stream_of_.empty()
                         ? -1
                         : durable_stream_for(session, tokens, frame.body.size(), peer, ids);
  if (stream == -2) return;

  session.flood.accepted(peer.arrival_ns);
  const std::uint64_t sequence = next_sequence();
  ++metrics_.published;
  ++metrics_.published_by_nation[session.nation];
  pass_arrivals_.note(peer.arrival_ns);
  // Live delivery first, never waiting for the journal (docs/protocol.md 6.2).
  route(session, tokens, frame.body, audience.nations, sequence, peer.arrival_utc_ns);
  if (policy_->cop().caches(tokens)) {
    cache_message(session, envelope, frame.body, audience.nations, sequence, peer.arrival_utc_ns);
  }
  // Counted only for what reports it: a call to __popcountdi2 where the CPU's is not assumed.
  const auto audience_count = [&] {
    return static_cast<std::uint32_t>(std::popcount(audience.nations));
  };
  if (stream >= 0) {
    // The Ack, if asked for, follows once the journal has stored the message.
    journal_message(stream, session, topic, frame.body, sequence, peer.arrival_utc_ns, ids,
                    audience_count());
  } else if (frame.flags & wire::flag::ack_requested) {
    send_ack(session, 0, ids.message_id, sequence, audience_count());
  }
}

bool Broker::read_label(Session& session, const wire::Envelope& envelope, Ids ids,
                        policy::Classification& classification) {
  label_nations_.clear();
  const auto* label = envelope.label();
  if (label == nullptr) return true;  // absent: an empty label
  const std::string& to = session.routing_id;
  const auto* nations = label->releasable_to();
  if (nations != nullptr && nations->size() > kMaxLabelNations) {
    refuse(&session, to, Errc::invalid_label, ids, "releasable_to lists {} entries; at most {}",
           nations->size(), kMaxLabelNations);
    return false;
  }
  if (const auto* identifier = label->policy_identifier();
      identifier != nullptr && identifier->size() > 0 &&
      identifier->string_view() != policy_->policy_identifier()) {
    refuse(&session, to, Errc::invalid_label, ids,
           "label policy identifier '{}' is not this coalition's ('{}')",
           log::escaped(identifier->string_view(), kQuotedBytes), policy_->policy_identifier());
    return false;
  }
  if (const wire::Category* category = enforced_category(*label)) {
    refuse(&session, to, Errc::invalid_label, ids,
           "label category '{}' is not informative: this broker enforces releasable_to only "
           "and refuses restrictions it cannot enforce",
           log::escaped(category->name() ? category->name()->string_view() : "", kQuotedBytes));
    return false;
  }
  classification = static_cast<policy::Classification>(label->classification());
  if (nations != nullptr) {
    for (const auto* code : *nations) label_nations_.push_back(code->string_view());
  }
  return true;
}

void Broker::route(Session& publisher, const topic::Tokens& tokens, wire::Bytes envelope_bytes,
                   policy::NationMask audience, std::uint64_t sequence, std::int64_t receive_ns) {
  // Build the delivery lazily: a message nobody may receive costs no encoding.
  protocol::RecordRef record{};
  bool built = false;
  const auto build = [&] {
    record = append_delivery(publisher.delivery_template, sequence, receive_ns, envelope_bytes);
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
    Connection& connection = *subscriber.connection;
    if (ref.conflate && connection.backlogged) {
      // Backed up: the newest of each topic waits beside the queue (docs/protocol.md 5.6).
      conflate(connection, wire::GetEnvelope(envelope_bytes.data())->topic()->string_view(),
               record);
    } else {
      ++subscriber.deliveries_routed;
      enqueue(connection, record);  // every subscriber shares the one delivery
    }
    ++metrics_.deliveries;
    ++metrics_.delivered[publisher.nation][subscriber.nation];
  });
}

}  // namespace enlace::broker
