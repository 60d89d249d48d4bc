// Broker lifecycle: binding, the event loop, housekeeping, metrics. How sessions end is in
// sessions.cpp; what the broker sends, in outbound.cpp and flush.cpp.
#include "broker.hpp"
#include "enlace/protocol/clock.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <system_error>

#include "log.hpp"

namespace enlace::broker {
namespace {

// The longest wait for traffic: timers (expiry, metrics) are looked at least this often.
constexpr int kIdlePassMs = 250;
// The longest wait while some connection has a backlog. ZeroMQ wakes the loop by itself as
// a pipe drains (its reader signals the socket every half high-water mark read), but a
// ZMQ_EVENTS query may consume that signal without telling which pipe has room; this bound
// keeps a draining backlog moving however the signals fall.
constexpr int kBacklogRetryMs = 5;
// ZeroMQ's own outbound pipe to each peer, in frames (at most kMaxBatchBytes each, or one
// delivery of up to max_message_bytes): small, so that what waits for a slow peer waits in
// its byte-bounded queue (docs/protocol.md, "Slow subscribers"), not in ZeroMQ.
constexpr int kPipeFrames = 16;
// ZeroMQ's inbound pipe from each peer, in frames of at most kHardFrameLimitFactor x
// max_message_bytes: once it is full, ZeroMQ stops reading that connection and TCP slows
// the peer down, so what one peer can make the broker hold before routing is bounded in
// bytes (docs/protocol.md 4). 32 batch frames keep the routing thread fed between reads.
constexpr int kInboundPipeFrames = 32;
// Sessions are checked for expiry at most this often, not on every loop pass.
constexpr std::int64_t kExpiryCheckNs = 100'000'000;
// At shutdown, the longest the broker waits for its peers to read the notice and go.
constexpr std::int64_t kShutdownDrainNs = 1'000'000'000;

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
  apply_cop_policy();
  open_journals();
  restore_cop_from_journals();
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
  // Likewise the monitor, so that no connection is accepted unseen.
  monitor_ = std::make_unique<ConnectionMonitor>(context_, router_);
  router_.set(zmq::sockopt::curve_server, 1);
  router_.set(zmq::sockopt::curve_secretkey, config_.keys.secret_key);
  router_.set(zmq::sockopt::zap_domain, "enlace");
  router_.set(zmq::sockopt::linger, 0);
  // Sending to a peer that is gone or full fails visibly instead of silently dropping.
  router_.set(zmq::sockopt::router_mandatory, 1);
  router_.set(zmq::sockopt::sndhwm, kPipeFrames);
  router_.set(zmq::sockopt::rcvhwm, kInboundPipeFrames);
  router_.set(
      zmq::sockopt::maxmsgsize,
      static_cast<std::int64_t>(policy_->limits().max_message_bytes) * kHardFrameLimitFactor);
  router_.set(zmq::sockopt::heartbeat_ivl, 2000);
  router_.set(zmq::sockopt::heartbeat_timeout, 6000);
  try {
    router_.bind(config_.endpoint);
  } catch (const zmq::error_t& e) {
    throw std::runtime_error(fmt::format("cannot bind {}: {} (choose another with --endpoint)",
                                         config_.endpoint, e.what()));
  }
  bound_endpoint_ = router_.get(zmq::sockopt::last_endpoint);
  log::info("broker '{}' listening on {} (policy '{}', {} systems, digest {})", config_.broker_id,
            bound_endpoint_, policy_->coalition(), policy_->systems().size(),
            policy_->digest().substr(0, 12));
  std::string ready = bound_endpoint_;
  if (config_.http) {
    http_ = std::make_unique<HttpEndpoint>(*config_.http);
    if (!config_.http->loopback()) {
      log::warn(
          "HTTP endpoint on {}, not a loopback address: /metrics and /status are "
          "readable from the network, without authentication",
          http_->bound_address());
    }
    log::info("HTTP endpoint on http://{} (/metrics, /healthz, /readyz, /status)",
              http_->bound_address());
    publish_status(true);
    // Line 2 of the ready file: where the HTTP endpoint listens (tests bind port 0).
    ready += "\nhttp://" + http_->bound_address();
  }
  // The pid file first: whoever waits for the ready file may read it at once.
  if (!config_.pid_file.empty()) write_atomically(config_.pid_file, std::to_string(::getpid()));
  if (!config_.ready_file.empty()) write_atomically(config_.ready_file, ready);
  notify_.ready();
}

void Broker::run() {
  started_utc_ns_ = protocol::utc_ns();
  started_monotonic_ns_ = protocol::monotonic_ns();
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
  const int monitor_fd = monitor_->fd();
  // -1 (ignored by poll) without durable streams.
  const int journal_fd = journal_ ? journal_->completion_fd() : -1;
  bool router_ready = true, zap_ready = true, wake_ready = true, monitor_ready = true;
  bool journal_ready = false;
  while (!stop_requested_.load()) {
    if (wake_ready) handle_wakeups();
    if (zap_ready) handle_authentications();
    if (monitor_ready) handle_connection_events();
    if (journal_ready) handle_journal_completions();
    if (router_ready) receive_all();
    if (journal_) journal_->hand_over();  // what this pass published, to the journal thread
    advance_snapshots();
    advance_replays();
    // End of the pass: what was routed in it leaves now, one frame per connection, after
    // what earlier passes left waiting.
    flush_connections();
    housekeeping(protocol::monotonic_ns());
    if (!flush_list_.empty()) flush_connections();  // liveness Pings, at once
    if (router_.get(zmq::sockopt::events) & ZMQ_POLLIN) {
      router_ready = true;
      zap_ready = wake_ready = monitor_ready = false;
      // Under sustained input the loop does not reach poll(): batches the journal thread
      // has stored are picked up here, or their Acks would wait for a quiet moment.
      journal_ready = journal_ && journal_->in_flight() > 0;
      continue;
    }
    pollfd fds[5] = {{router_fd, POLLIN, 0},
                     {zap_fd, POLLIN, 0},
                     {wake_fd_, POLLIN, 0},
                     {monitor_fd, POLLIN, 0},
                     {journal_fd, POLLIN, 0}};
    if (::poll(fds, 5, idle_wait_ms()) < 0) {
      if (errno != EINTR) throw std::system_error(errno, std::generic_category(), "poll");
      fds[2].revents = POLLIN;  // a signal: the wake-up fd says what it wanted
    }
    // A backlog is retried on every pass; after a timeout the router is looked at too, as
    // the signal that a pipe drained may have been consumed already.
    router_ready = fds[0].revents != 0 || !backlogged_.empty();
    zap_ready = fds[1].revents != 0;
    wake_ready = fds[2].revents != 0;
    monitor_ready = fds[3].revents != 0;
    journal_ready = fds[4].revents != 0;
  }
  // /readyz says so from now on; the HTTP thread stops without waiting for its clients.
  notify_.stopping();
  publish_status(false);
  http_.reset();
  // What the journal still holds is stored and answered before the sessions end.
  drain_journal();
  // The last frames: every session is told, ahead of the deliveries it still had queued
  // (which would only delay the notice: they are dropped and counted).
  std::vector<std::string> notified;
  for (auto& [id, connection] : connections_) {
    if (!connection->session) continue;
    close_session(*connection->session, "broker shutting down");
    send_notice(connection->routing_id, Errc::shutting_down, "broker shutting down");
    notified.push_back(id);
  }
  while (!detached_.empty()) end_detached(*detached_.begin()->second, "broker shutting down");
  flush_connections();
  await_departures(notified, router_fd, monitor_fd);
  // The socket runs with linger 0 so a dead peer never delays anything; for the last
  // frames (the shutdown notices) allow a bounded wait, or closing would discard them.
  router_.set(zmq::sockopt::linger, 1000);
  write_metrics();
  remove_pid_file();
  log::info("broker '{}' stopped: {} published, {} deliveries, {} refusals answered",
            config_.broker_id, metrics_.published, metrics_.deliveries, metrics_.errors_sent);
}

void Broker::remove_pid_file() const {
  if (config_.pid_file.empty()) return;
  // Only if it still names this process: a second broker started meanwhile owns it now.
  std::ifstream in(config_.pid_file);
  long pid = 0;
  if (in >> pid && pid == static_cast<long>(::getpid())) {
    std::error_code ignored;
    std::filesystem::remove(config_.pid_file, ignored);
  }
}

void Broker::await_departures(const std::vector<std::string>& notified, int router_fd,
                              int monitor_fd) {
  // Closing the socket at once lost notices under load: the frame had been handed to
  // ZeroMQ, and the client never received it (about one stop in ten, with linger set). So
  // the broker waits until each notified peer has read its notice and closed its
  // connection (the SDK does, on shutting_down), or kShutdownDrainNs passed. What peers send
  // meanwhile is read and discarded: their sessions are over, and a Hello would be refused anyway.
  const std::int64_t deadline = protocol::monotonic_ns() + kShutdownDrainNs;
  const auto all_gone = [&] {
    return std::none_of(notified.begin(), notified.end(),
                        [&](const std::string& id) { return find_connection(id) != nullptr; });
  };
  while (!all_gone()) {
    const std::int64_t left_ns = deadline - protocol::monotonic_ns();
    if (left_ns <= 0) {
      log::info("shutdown: peers still connected after {} ms; closing anyway",
                kShutdownDrainNs / 1'000'000);
      return;
    }
    pollfd fds[2] = {{router_fd, POLLIN, 0}, {monitor_fd, POLLIN, 0}};
    if (::poll(fds, 2, static_cast<int>(std::min<std::int64_t>(left_ns / 1'000'000 + 1, 50))) < 0 &&
        errno != EINTR) {
      return;
    }
    while (router_.get(zmq::sockopt::events) & ZMQ_POLLIN) {
      zmq::message_t part;
      (void)router_.recv(part, zmq::recv_flags::dontwait);
    }
    handle_connection_events();
    if (!backlogged_.empty()) flush_connections();  // notices that waited for room
  }
}

void Broker::handle_authentications() {
  // Until the socket holds no request: its descriptor signals only new ones.
  while (zap_->socket().get(zmq::sockopt::events) & ZMQ_POLLIN) {
    const auto decision = zap_->handle(*policy_, cool_downs_, protocol::monotonic_ns());
    if (!decision) continue;  // malformed, answered with 500
    if (decision->accepted) {
      ++metrics_.auth_accepted;
      log::info("auth accepted: system '{}' from {}", decision->system_id, decision->address);
    } else if (decision->cooling_seconds > 0) {
      // One per reconnection of a flooder (its cut-off was logged once, at warn).
      ++metrics_.auth_refused_cooling;
      log::debug("auth refused for now: system '{}' from {} is cut off for {} more s",
                 decision->system_id, decision->address, decision->cooling_seconds);
    } else {
      ++metrics_.auth_refused;
      log::warn("auth refused: key {} from {} is unknown or revoked", decision->public_key,
                decision->address);
    }
  }
}

int Broker::idle_wait_ms() const noexcept {
  // The next slice is due at once.
  if (snapshot_can_advance() || replays_due_ || replay_can_advance()) return 0;
  return backlogged_.empty() ? kIdlePassMs : kBacklogRetryMs;
}

void Broker::handle_wakeups() {
  std::uint64_t count;
  [[maybe_unused]] auto n = ::read(wake_fd_, &count, sizeof(count));
  if (reload_requested_.exchange(false)) reload_policy();
}

void Broker::housekeeping(std::int64_t now) {
  close_due_connections(now);
  if (now >= next_expiry_check_ns_) {
    next_expiry_check_ns_ = now + kExpiryCheckNs;
    cop_.expire(protocol::utc_ns());  // snapshots skip what is stale in between
    check_liveness(now);
    expire_detached(now);
  }
  if (http_ && now >= next_status_ns_) publish_status(true);
  if (now >= next_metrics_ns_) {
    next_metrics_ns_ =
        now +
        std::chrono::duration_cast<std::chrono::nanoseconds>(config_.metrics_interval).count();
    write_metrics();
  }
}

void Broker::refresh_gauges() {
  metrics_.subscriptions = trie_.size();
  metrics_.cop_entries = cop_.size();
  metrics_.cop_bytes = cop_.bytes();
  metrics_.cop = cop_.counters();
  note_session_queues();
}

void Broker::write_metrics() {
  if (config_.metrics_file.empty()) return;
  refresh_gauges();
  try {
    write_atomically(config_.metrics_file, metrics_.to_json(*policy_, config_.broker_id));
  } catch (const std::exception& e) {
    log::warn("metrics not written: {}", e.what());
  }
}

void Broker::note_session_queues() {
  constexpr std::size_t kListed = 16;
  metrics_.sessions_detached_now = detached_.size();
  metrics_.sessions_backlogged = metrics_.session_queue_bytes_total = 0;
  metrics_.session_queue_bytes_max = 0;
  auto& largest = metrics_.largest_queues;
  largest.clear();
  const auto note = [&](const Connection& connection) {
    const Session* session = connection.session.get();
    const std::uint64_t bytes = connection.queue.delivery_bytes() + connection.conflated.bytes();
    if (session == nullptr || bytes == 0) return;
    ++metrics_.sessions_backlogged;
    metrics_.session_queue_bytes_total += bytes;
    metrics_.session_queue_bytes_max = std::max(metrics_.session_queue_bytes_max, bytes);
    largest.push_back({session->session_id, session->system_id, bytes, session->dropped,
                       connection.detached_until_ns != 0});
    // Kept to the largest kListed: sorted, and cut once it holds twice as many.
    if (largest.size() >= 2 * kListed) {
      std::sort(largest.begin(), largest.end(),
                [](const auto& a, const auto& b) { return a.bytes > b.bytes; });
      largest.resize(kListed);
    }
  };
  for (const Connection* connection : backlogged_) note(*connection);
  for (const auto& [id, connection] : detached_)
    if (!connection->backlogged) note(*connection);  // the others are on backlogged_
  std::sort(largest.begin(), largest.end(),
            [](const auto& a, const auto& b) { return a.bytes > b.bytes; });
  if (largest.size() > kListed) largest.resize(kListed);
}

Connection* Broker::find_connection(std::string_view routing_id) noexcept {
  const auto it = connections_.find(routing_id);
  return it == connections_.end() ? nullptr : it->second.get();
}

Session* Broker::find_session(std::string_view routing_id) noexcept {
  Connection* connection = find_connection(routing_id);
  return connection ? connection->session.get() : nullptr;
}

}  // namespace enlace::broker
