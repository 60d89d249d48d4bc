// Session control: Hello/Welcome, Subscribe/Unsubscribe, Ping/Pong.
#include "enlace/protocol/control.hpp"
#include "broker.hpp"
#include "enlace/protocol/clock.hpp"
#include "enlace/protocol/random.hpp"
#include "log.hpp"

namespace enlace::broker {
namespace {

// Unsolicited Error frames one connection may cause per second (and in a burst) before the
// broker stops sending them and only counts: a misbehaving client cannot make the broker
// flood. Answers to requests are not limited by this (docs/protocol.md 8.2).
constexpr double kErrorsPerSecond = 20;
constexpr double kErrorBurst = 50;

// A session that announced a heartbeat is closed after this many silent intervals.
constexpr std::int64_t kMissedHeartbeats = 3;
// Floor for the idle timeout, so that a tiny heartbeat cannot make sessions flap.
constexpr std::int64_t kMinIdleTimeoutNs = 3'000'000'000;

// A Hello's client_name is informative: the log carries at most this many bytes of it
// (docs/protocol.md 5.1), escaped like every peer's text.
constexpr std::size_t kClientNameLogBytes = 128;

// The request id a hello_required answer can carry: the body is verified, so it is read.
std::uint32_t request_id_of(const wire::ControlFrame& control) noexcept {
  if (const auto* subscribe = control.body_as_Subscribe()) return subscribe->request_id();
  if (const auto* unsubscribe = control.body_as_Unsubscribe()) return unsubscribe->request_id();
  return 0;
}

}  // namespace

void Broker::handle_control(Session* session, const Peer& peer, const wire::ControlFrame& control) {
  const std::string& routing_id = peer.routing_id;
  const wire::Control type = control.body_type();
  if (type == wire::Control::Error) {
    // Never answered, with or without a session: an Error answering an Error could make
    // two peers (brokers of a federation) bounce refusals for ever. Counted all the same.
    metrics_.count_refusal(Errc::unknown_command);
    log::debug("ignored an Error frame from {} (clients do not send Error)",
               session ? std::string_view(session->system_id) : peer.system_id);
    return;
  }
  if (type == wire::Control::Hello) {
    handle_hello(peer, *control.body_as_Hello());
    return;
  }
  if (type == wire::Control::Bye && session == nullptr) {
    // The client closed its connection right after its Bye, and the broker saw the end
    // first: the session is detached by now, and the Bye still ends it. Nothing is answered.
    if (Connection* detached = find_detached(peer)) {
      ++metrics_.sessions_said_bye;
      end_detached(*detached, "ended by its client (Bye)");
    }
    return;
  }
  if (session == nullptr) {
    refuse(nullptr, routing_id, Errc::hello_required, {request_id_of(control)}, "send Hello first");
    return;
  }
  switch (type) {
    case wire::Control::Subscribe:
      handle_subscribe(*session, *control.body_as_Subscribe());
      return;
    case wire::Control::Unsubscribe:
      handle_unsubscribe(*session, *control.body_as_Unsubscribe());
      return;
    case wire::Control::Ping: {
      protocol::build_pong(control_fbb_, control.body_as_Ping()->nonce(), protocol::utc_ns());
      send_control(routing_id, control_fbb_);
      return;
    }
    case wire::Control::Pong:
      return;  // its arrival refreshed the session's activity
    case wire::Control::Bye:
      ++metrics_.sessions_said_bye;
      close_session(*session, "ended by its client (Bye)");
      return;
    case wire::Control::Welcome:
    case wire::Control::Ack:
    case wire::Control::EndOfSnapshot:
    case wire::Control::EndOfReplay:
      refuse(session, routing_id, Errc::unknown_command, {},
             "control body '{}' is sent by brokers only", wire::EnumNameControl(type));
      return;
    default:  // NONE, or a type a later version appended
      refuse(session, routing_id, Errc::unknown_command, {},
             "control body type {} is one this broker does not know", static_cast<unsigned>(type));
      return;
  }
}

void Broker::handle_hello(const Peer& peer, const wire::Hello& hello) {
  const std::string& routing_id = peer.routing_id;
  if (hello.protocol_version() != wire::kProtocolVersion) {
    refuse(find_session(routing_id), routing_id, Errc::unsupported_version, {.awaited = true},
           "client speaks protocol version {}, this broker speaks 1", hello.protocol_version());
    return;
  }
  // ZAP accepted the key when the connection was made; the policy may have changed since.
  const policy::System* system = policy_->find_system(peer.system_id);
  if (system == nullptr || system->revoked || system->public_key != peer.public_key()) {
    refuse(nullptr, routing_id, Errc::revoked, {.awaited = true},
           "system '{}' with this key is no longer in the policy", peer.system_id);
    return;
  }
  // A system cut off for flooding waits out its cool-down (docs/protocol.md 8.2).
  if (const CoolDowns::Entry* cooling = cool_downs_.find(system->id, peer.arrival_ns)) {
    refuse(nullptr, routing_id, Errc::rate_limited, {.awaited = true},
           "system '{}' was cut off for flooding; it may open a new session in {} s", system->id,
           (cooling->until_ns - peer.arrival_ns) / 1'000'000'000 + 1);
    return;
  }
  // Which TCP connection this is, with every connection event read first, so that its
  // descriptor is known to be open (connection_monitor.hpp explains the ordering).
  handle_connection_events();
  const int fd = peer.source_fd();
  if (hello.resume_session() != 0) {
    if (Connection* kept = find_resumable(peer, hello)) {
      resume_session(*kept, peer, hello, fd);
      return;
    }
  }
  Connection* connection = find_connection(routing_id);
  if (connection != nullptr && connection->fd >= 0 && fd >= 0 && connection->fd != fd) {
    // The routing id now names another TCP connection (peers may choose their own ids).
    release_connection(*connection, "routing id taken over by another connection");
    connection = nullptr;
  }
  Session* replaced = connection ? connection->session.get() : nullptr;
  const auto held = sessions_per_system_.find(system->id);
  std::size_t sessions = (held == sessions_per_system_.end() ? 0 : held->second) -
                         (replaced != nullptr && replaced->system_id == system->id ? 1 : 0);
  // A session kept for a resume that has not come gives way to a new one of its system.
  if (sessions >= policy_->limits().max_sessions_per_system && end_oldest_detached(system->id))
    --sessions;
  if (sessions >= policy_->limits().max_sessions_per_system) {
    refuse(nullptr, routing_id, Errc::too_many_sessions, {.awaited = true},
           "system '{}' already holds {} sessions (max_sessions_per_system)", system->id, sessions);
    return;
  }
  if (connection == nullptr) {
    auto created = std::make_unique<Connection>();
    if (!monitor_->attach(*created, fd)) {
      // A leftover of a connection that has ended: nobody is there to answer.
      ++metrics_.hellos_after_disconnect;
      log::debug("Hello of '{}' read after its connection ended: ignored", system->id);
      return;
    }
    created->routing_id = routing_id;
    created->error_budget = TokenBucket(kErrorsPerSecond, kErrorBurst);
    connection = created.get();
    connections_.emplace(routing_id, std::move(created));
    ++metrics_.connections_open;
  } else if (!monitor_->attach(*connection, fd)) {
    ++metrics_.hellos_after_disconnect;
    return;
  }
  if (replaced != nullptr) close_session(*replaced, "replaced by a new Hello");

  auto session = std::make_unique<Session>();
  session->connection = connection;
  session->routing_id = routing_id;
  session->session_id = ++next_session_id_;
  session->system_id = system->id;
  session->public_key = system->public_key;
  apply_policy(*session, *system);
  session->last_activity_ns = protocol::monotonic_ns();
  session->idle_timeout_ns = idle_timeout_of(hello);
  session->resume_grace_ns = grant_resume_grace(hello);
  session->resume_token = protocol::random_u64();
  session->remote_address = ConnectionMonitor::remote_address(fd);
  session->connected_utc_ns = protocol::utc_ns();
  Session& s = *session;
  connection->session = std::move(session);
  ++sessions_per_system_[s.system_id];
  ++metrics_.sessions_opened;
  ++metrics_.sessions_open;
  log::info("session {} opened: system '{}' ({} {}), client '{}'", s.session_id, s.system_id,
            s.nation_code, s.role_name,
            log::escaped(hello.client_name() ? hello.client_name()->string_view() : "",
                         kClientNameLogBytes));

  build_welcome(s, false, 0);
  send_control(routing_id, control_fbb_);
}

void Broker::build_welcome(const Session& session, bool resumed, std::uint64_t missed) {
  protocol::build_welcome(
      control_fbb_,
      {.broker_id = config_.broker_id,
       .nation = session.nation_code,
       .system = session.system_id,
       .role = session.role_name,
       .policy_version = policy_->digest(),
       .max_message_bytes = static_cast<std::uint32_t>(policy_->limits().max_message_bytes),
       .session_id = session.session_id,
       .resume_grace_ms = static_cast<std::uint32_t>(session.resume_grace_ns / 1'000'000),
       .resume_token = session.resume_grace_ns > 0 ? session.resume_token : 0,
       .resumed = resumed,
       .missed = missed});
}

std::int64_t Broker::idle_timeout_of(const wire::Hello& hello) noexcept {
  if (hello.heartbeat_ms() == 0) return 0;  // probed instead (check_liveness)
  return std::max(kMinIdleTimeoutNs,
                  kMissedHeartbeats * std::int64_t{hello.heartbeat_ms()} * 1'000'000);
}

int Peer::source_fd() const {
  // Deprecated in libzmq but present in 4.3.4; read from the connection's metadata.
  return zmq_msg_get(message->handle(), ZMQ_SRCFD);
}

void Broker::handle_subscribe(Session& session, const wire::Subscribe& request) {
  const std::string_view pattern = request.pattern()->string_view();
  const std::uint32_t request_id = request.request_id();
  const std::string& to = session.routing_id;  // every refusal here is an answer (request_id)
  if (auto decision = policy_->check_subscribe(*session.system, pattern); !decision.allowed) {
    refuse(&session, to, decision.code, {request_id}, "{}", decision.reason);
    return;
  }
  std::vector<std::uint32_t> replay_from;
  if (request.replay_from() != wire::ReplayFrom::None) {
    if (request.snapshot()) {
      refuse(&session, to, Errc::replay_unavailable, {request_id},
             "a Subscribe asks for a snapshot or a replay, not both");
      return;
    }
    replay_from = replay_streams(pattern);
    if (replay_from.empty()) {
      refuse(&session, to, Errc::replay_unavailable, {request_id},
             "no durable stream of this broker holds topics matching '{}'",
             log::escaped(pattern, 80));
      return;
    }
  }
  if (const auto held = session.subscriptions.find(pattern); held != session.subscriptions.end()) {
    // Idempotent: subscribing twice to one pattern is one subscription. A snapshot asked for
    // again is sent again: a subscriber rebuilds its picture that way after a gap.
    send_ack(session, request_id, nullptr, 0, 0);
    if (request.snapshot()) start_snapshot(session, *held->second, request_id);
    if (!replay_from.empty()) start_replay(session, *held->second, request, std::move(replay_from));
    return;
  }
  if (session.subscriptions.size() >= policy_->limits().max_subscriptions_per_session) {
    refuse(&session, to, Errc::too_many_subscriptions, {request_id},
           "session already holds {} subscriptions (max_subscriptions)",
           session.subscriptions.size());
    return;
  }
  auto subscription = std::make_unique<SessionSubscription>();
  subscription->id = ++next_subscription_id_;
  subscription->pattern = std::string(pattern);
  subscription->tokens.split(subscription->pattern);
  subscription->snapshot = request.snapshot();
  // A conflation mode this broker does not know (a newer client's) is treated as None.
  subscription->conflate = request.conflation() == wire::Conflation::LatestPerTopic;
  trie_.add(subscription->tokens,
            {&session, subscription->id, &subscription->trie_slot, subscription->conflate});
  const std::string_view key = subscription->pattern;
  const SessionSubscription& added =
      *session.subscriptions.emplace(key, std::move(subscription)).first->second;
  send_ack(session, request_id, nullptr, 0, 0);
  // From here on, what matches is delivered live; the snapshot holds what came before.
  if (request.snapshot()) start_snapshot(session, added, request_id);
  if (!replay_from.empty()) start_replay(session, added, request, std::move(replay_from));
}

void Broker::handle_unsubscribe(Session& session, const wire::Unsubscribe& request) {
  const std::string_view pattern = request.pattern()->string_view();
  const auto it = session.subscriptions.find(pattern);
  if (it == session.subscriptions.end()) {
    refuse(&session, session.routing_id, Errc::invalid_pattern, {request.request_id()},
           "no subscription to '{}' in this session", log::escaped(pattern, 80));
    return;
  }
  remove_subscription(session, it);
  send_ack(session, request.request_id(), nullptr, 0, 0);
}

SubscriptionsByPattern::iterator Broker::remove_subscription(Session& session,
                                                             SubscriptionsByPattern::iterator it) {
  SessionSubscription& subscription = *it->second;
  stop_snapshots(session, subscription);
  stop_replays(session, subscription);
  trie_.remove(subscription.tokens, {&session, subscription.id, &subscription.trie_slot});
  return session.subscriptions.erase(it);
}

}  // namespace enlace::broker
