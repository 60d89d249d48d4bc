// Broker lifecycle: binding, the event loop, policy reload, session expiry, metrics.
#include "broker.hpp"
#include "enlace/protocol/clock.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <poll.h>

#include <cerrno>
#include <fstream>
#include <system_error>

#include "log.hpp"

namespace enlace::broker {
namespace {

// The longest wait for traffic: timers (expiry, metrics) are looked at least this often.
constexpr int kIdlePassMs = 250;
// Sessions are checked for expiry at most this often, not on every loop pass.
constexpr std::int64_t kExpiryCheckNs = 100'000'000;

// Writes `text` to `path` through a temporary file and rename, so readers never see a
// partial file.
void write_atomically(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text << '\n';
    if (!out) throw std::runtime_error("cannot write " + tmp.string());
  }
  std::filesystem::rename(tmp, path);
}

// Upper bound on one inbound frame, far above max_message_bytes: a peer sending more is
// disconnected by ZeroMQ before the frame is buffered. Frames between the two limits get
// a message_too_large error instead, so honest clients learn what happened.
constexpr std::int64_t kHardFrameLimitFactor = 4;

}  // namespace

Broker::Broker(BrokerConfig config, std::shared_ptr<const policy::Policy> policy)
    : config_(std::move(config)), policy_(std::move(policy)), context_(1), router_() {
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) throw std::runtime_error("eventfd failed");
  pass_buffer_.reserve_capacity(2 * 1024 * 1024);
}

Broker::~Broker() {
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void Broker::request_stop() noexcept {
  stop_requested_.store(true);
  const std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof(one));
}

void Broker::request_reload() noexcept {
  reload_requested_.store(true);
  const std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof(one));
}

std::string Broker::bound_endpoint() const {
  return bound_endpoint_;
}

void Broker::bind() {
  // The ZAP handler must be bound before the ROUTER so that no handshake slips through
  // unauthenticated.
  zap_ = std::make_unique<ZapHandler>(context_);
  router_ = zmq::socket_t(context_, zmq::socket_type::router);
  router_.set(zmq::sockopt::curve_server, 1);
  router_.set(zmq::sockopt::curve_secretkey, config_.keys.secret_key);
  router_.set(zmq::sockopt::zap_domain, "enlace");
  router_.set(zmq::sockopt::linger, 0);
  // Sending to a peer that is gone or full fails visibly instead of silently dropping.
  router_.set(zmq::sockopt::router_mandatory, 1);
  router_.set(zmq::sockopt::sndhwm, 100000);
  router_.set(zmq::sockopt::rcvhwm, 100000);
  router_.set(
      zmq::sockopt::maxmsgsize,
      static_cast<std::int64_t>(policy_->limits().max_message_bytes) * kHardFrameLimitFactor);
  router_.set(zmq::sockopt::heartbeat_ivl, 2000);
  router_.set(zmq::sockopt::heartbeat_timeout, 6000);
  router_.bind(config_.endpoint);
  bound_endpoint_ = router_.get(zmq::sockopt::last_endpoint);
  log::info("broker '{}' listening on {} (policy '{}', {} systems, digest {})", config_.broker_id,
            bound_endpoint_, policy_->coalition(), policy_->systems().size(),
            policy_->digest().substr(0, 12));
  if (!config_.ready_file.empty()) write_atomically(config_.ready_file, bound_endpoint_);
}

void Broker::run() {
  bind();
  next_metrics_ns_ =
      protocol::monotonic_ns() +
      std::chrono::duration_cast<std::chrono::nanoseconds>(config_.metrics_interval).count();
  // The loop waits with one poll() on the sockets' ZMQ_FD descriptors. They signal changes
  // only, and any operation on a socket may consume the signal, so a pass works until the
  // socket says nothing is left (ZMQ_EVENTS) before waiting again, and leaves alone what
  // did not signal. At low rates system calls are most of what a message costs (each
  // ZeroMQ mailbox check is two): zmq_poll() made about twenty per message, this loop
  // about seven.
  const int router_fd = router_.get(zmq::sockopt::fd);
  const int zap_fd = zap_->socket().get(zmq::sockopt::fd);
  bool router_ready = true, zap_ready = true, wake_ready = true;
  while (!stop_requested_.load()) {
    if (wake_ready) handle_wakeups();
    if (zap_ready) handle_authentications();
    if (router_ready) receive_all();
    // End of the pass: what was routed in it leaves now, one frame per session.
    flush_sessions();
    housekeeping(protocol::monotonic_ns());
    if (router_.get(zmq::sockopt::events) & ZMQ_POLLIN) {
      router_ready = true;
      zap_ready = wake_ready = false;
      continue;
    }
    pollfd fds[3] = {{router_fd, POLLIN, 0}, {zap_fd, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    if (::poll(fds, 3, kIdlePassMs) < 0) {
      if (errno != EINTR) throw std::system_error(errno, std::generic_category(), "poll");
      fds[2].revents = POLLIN;  // a signal: the wake-up fd says what it wanted
    }
    router_ready = fds[0].revents != 0;
    zap_ready = fds[1].revents != 0;
    wake_ready = fds[2].revents != 0;
  }
  for (auto& [id, session] : sessions_) {
    send_notice(session.get(), session->routing_id, Errc::shutting_down, "broker shutting down");
  }
  flush_sessions();
  // The socket runs with linger 0 so a dead peer never delays anything; for the last
  // frames (the shutdown notices) allow a bounded wait, or closing would discard them.
  router_.set(zmq::sockopt::linger, 1000);
  write_metrics();
  log::info("broker '{}' stopped: {} published, {} deliveries, {} refusals answered",
            config_.broker_id, metrics_.published, metrics_.deliveries, metrics_.errors_sent);
}

void Broker::handle_authentications() {
  // Until the socket holds no request: its descriptor signals only new ones.
  while (zap_->socket().get(zmq::sockopt::events) & ZMQ_POLLIN) {
    const auto decision = zap_->handle(*policy_);
    if (!decision) continue;  // malformed, answered with 500
    if (decision->accepted) {
      ++metrics_.auth_accepted;
      log::info("auth accepted: system '{}' from {}", decision->system_id, decision->address);
    } else {
      ++metrics_.auth_refused;
      log::warn("auth refused: key {} from {} is unknown or revoked", decision->public_key,
                decision->address);
    }
  }
}

void Broker::handle_wakeups() {
  std::uint64_t count;
  [[maybe_unused]] auto n = ::read(wake_fd_, &count, sizeof(count));
  if (reload_requested_.exchange(false)) reload_policy();
}

void Broker::reload_policy() {
  std::shared_ptr<const policy::Policy> next;
  try {
    next = policy::Policy::load_file(config_.policy_file);
  } catch (const std::exception& e) {
    ++metrics_.policy_reload_failures;
    log::error("policy reload refused, keeping version {}: {}", policy_->digest().substr(0, 12),
               e.what());
    return;
  }
  ++metrics_.policy_reloads;
  policy_ = std::move(next);
  log::info("policy reloaded: '{}', {} systems, digest {}", policy_->coalition(),
            policy_->systems().size(), policy_->digest().substr(0, 12));

  // Every session is re-examined at once: a revoked or removed system loses its session
  // now, not when it next reconnects; subscriptions the new rules refuse are removed.
  std::vector<Session*> revoked;
  for (auto& [id, session_ptr] : sessions_) {
    Session& session = *session_ptr;
    const policy::System* system = policy_->find_system(session.system_id);
    // A changed key counts as a revocation: the session was opened with the old one.
    if (system == nullptr || system->revoked || system->public_key != session.public_key) {
      revoked.push_back(&session);
      continue;
    }
    apply_policy(session, *system);
    for (auto it = session.subscriptions.begin(); it != session.subscriptions.end();) {
      const auto decision = policy_->check_subscribe(*system, it->second->pattern);
      if (decision.allowed) {
        ++it;
        continue;
      }
      send_error(&session, session.routing_id, decision.code,
                 "subscription '" + it->second->pattern +
                     "' removed by policy reload: " + decision.reason);
      it = remove_subscription(session, it);
    }
  }
  for (Session* session : revoked) {
    ++metrics_.sessions_revoked;
    send_error(session, session->routing_id, Errc::revoked,
               "system '" + session->system_id + "' was revoked or removed from the policy");
    close_session(*session, "revoked by policy reload");
  }
}

void Broker::apply_policy(Session& session, const policy::System& system) {
  session.system = &system;
  session.nation = system.nation;
  session.nation_bit = policy::NationMask{1} << system.nation;
  session.nation_code = policy_->nations()[system.nation].code;
  session.role_name = policy_->roles()[system.role].name;
  session.publish_rate = TokenBucket(system.rate_per_second, system.burst);
  session.delivery_template = DeliveryTemplate(
      {session.nation_code, session.system_id, session.role_name, config_.broker_id});
}

void Broker::housekeeping(std::int64_t now) {
  if (now >= next_expiry_check_ns_) {
    next_expiry_check_ns_ = now + kExpiryCheckNs;
    expire_sessions(now);
  }
  if (now >= next_metrics_ns_) {
    next_metrics_ns_ =
        now +
        std::chrono::duration_cast<std::chrono::nanoseconds>(config_.metrics_interval).count();
    write_metrics();
  }
}

void Broker::expire_sessions(std::int64_t now) {
  std::vector<Session*> expired;
  for (auto& [id, session] : sessions_) {
    if (session->idle_timeout_ns > 0 &&
        now - session->last_activity_ns > session->idle_timeout_ns) {
      expired.push_back(session.get());
    }
  }
  for (Session* session : expired) {
    ++metrics_.sessions_expired;
    close_session(*session, "no traffic for three heartbeats");
  }
}

void Broker::write_metrics() {
  if (config_.metrics_file.empty()) return;
  metrics_.subscriptions = trie_.size();
  try {
    write_atomically(config_.metrics_file, metrics_.to_json(*policy_, config_.broker_id));
  } catch (const std::exception& e) {
    log::warn("metrics not written: {}", e.what());
  }
}

void Broker::close_session(Session& session, const char* why) {
  log::info("session {} of '{}' closed: {} ({} frames delivered, {} dropped)", session.session_id,
            session.system_id, why, session.delivered, session.dropped);
  for (auto it = session.subscriptions.begin(); it != session.subscriptions.end();)
    it = remove_subscription(session, it);
  ++metrics_.sessions_closed;
  // The session may still sit in this pass's flush list: take it out before freeing it.
  std::erase(flush_list_, &session);
  const std::string routing_id = session.routing_id;  // the key must outlive the erase
  sessions_.erase(routing_id);
}

Session* Broker::find_session(std::string_view routing_id) noexcept {
  const auto it = sessions_.find(routing_id);
  return it == sessions_.end() ? nullptr : it->second.get();
}

}  // namespace enlace::broker
