// Resuming sessions (docs/protocol.md 5.2, "Resuming a session"): a session whose client
// asked for a grace period outlives the loss of its connection. It is detached: it keeps its
// subscriptions, and what is routed to it waits in its queue within the same byte bound as
// ever (drops counted), until a Hello from a new connection presents its id and token, or
// the period ends and the session with it.
//
// What the client missed is counted exactly: every delivery produced for the session is
// either still queued (it will arrive), dropped (counted), or was handed to ZeroMQ; of those
// handed over, the ones the lost connection never delivered are what the client's Hello
// says it did not receive. So the Welcome of a resume can say
//   missed = produced - still queued - received by the client
//            - told dropped (notices the client read, or still queued for it),
// which includes the drops not yet told: every delivery is accounted for once.
//
// Runs on the routing thread.
#include <algorithm>

#include "broker.hpp"
#include "enlace/protocol/clock.hpp"
#include "enlace/protocol/control.hpp"
#include "enlace/protocol/random.hpp"
#include "log.hpp"

namespace enlace::broker {
namespace {

// The count of an Error{deliveries_dropped} record (one the broker built: trusted bytes), else 0.
std::uint64_t told_dropped(const std::uint8_t* record, std::vector<std::uint64_t>& aligned) {
  const std::size_t frame_size = wire::record_frame_size(record);
  const std::uint8_t* frame = record + wire::kRecordHeaderSize;
  aligned.resize(frame_size / sizeof(std::uint64_t) + 1);
  std::memcpy(aligned.data(), frame, frame_size);  // the queue's frames need not be aligned
  const auto* body = reinterpret_cast<const std::uint8_t*>(aligned.data()) + wire::kHeaderSize;
  const auto* error = wire::GetControlFrame(body)->body_as_Error();
  if (error == nullptr || error->code() != static_cast<std::uint16_t>(Errc::deliveries_dropped))
    return 0;
  return error->count();
}

}  // namespace

std::int64_t Broker::grant_resume_grace(const wire::Hello& hello) const noexcept {
  const std::int64_t asked_ns = std::int64_t{hello.resume_grace_ms()} * 1'000'000;
  return std::min(asked_ns, policy_->limits().resume_grace_seconds * 1'000'000'000);
}

bool Broker::detach_session(Connection& connection, const char* why) {
  Session& session = *connection.session;
  if (session.resume_grace_ns <= 0) return false;
  const auto it = connections_.find(connection.routing_id);
  if (it == connections_.end() || it->second.get() != &connection) return false;
  std::unique_ptr<Connection> owned = std::move(it->second);
  connections_.erase(it);
  --metrics_.connections_open;
  monitor_->detach(connection);
  connection.detached_until_ns = protocol::monotonic_ns() + session.resume_grace_ns;
  ++metrics_.sessions_detached;
  log::info("session {} of '{}' detached: {}; kept {} s for a resume", session.session_id,
            session.system_id, why, session.resume_grace_ns / 1'000'000'000);
  detached_.emplace(session.session_id, std::move(owned));
  return true;
}

Connection* Broker::find_detached(const Peer& peer) {
  for (auto& [id, connection] : detached_) {
    const Session& session = *connection->session;
    if (session.routing_id == peer.routing_id && session.public_key == peer.public_key())
      return connection.get();
  }
  return nullptr;
}

Connection* Broker::find_resumable(const Peer& peer, const wire::Hello& hello) {
  const std::uint64_t id = hello.resume_session();
  Connection* found = nullptr;
  if (const auto it = detached_.find(id); it != detached_.end()) {
    found = it->second.get();
  } else {
    // Still attached: the broker has not seen its old connection end yet (a link that
    // went silent rather than closed). A Hello is rare; the walk is fine.
    for (auto& [routing_id, connection] : connections_) {
      if (connection->session && connection->session->session_id == id) {
        found = connection.get();
        break;
      }
    }
  }
  // Only the system that opened it, with the key it opened it with, and the token its
  // Welcome gave; and only as the first Hello of a connection, or again on its own.
  const Session* session = found ? found->session.get() : nullptr;
  const Connection* here = find_connection(peer.routing_id);
  if (session == nullptr || session->system_id != peer.system_id ||
      session->public_key != peer.public_key() || session->resume_token != hello.resume_token() ||
      (here != nullptr && here != found)) {
    ++metrics_.resumes_refused;
    log::info("system '{}' asked to resume session {}, which it cannot: a new session opens",
              peer.system_id, id);
    return nullptr;
  }
  return found;
}

std::uint64_t Broker::missed_on_resume(const Connection& connection, const wire::Hello& hello) {
  const Session& session = *connection.session;
  std::uint64_t queued = connection.queue.totals().deliveries;
  std::uint64_t told = hello.resume_told_dropped();
  const auto visit = [&](const std::uint8_t* record) {
    told += told_dropped(record, aligned_copy_);
  };
  connection.queue.for_each_control(visit);
  for (const protocol::RecordRef& ref : connection.pending) {
    const std::uint8_t* record = pass_buffer_.record(ref);
    if (OutboundQueue::is_control(record)) {
      visit(record);
    } else {
      ++queued;
    }
  }
  const std::uint64_t accounted = queued + hello.resume_received() + told;
  // A client that claims more than it was sent only hides its own losses.
  return session.deliveries_routed > accounted ? session.deliveries_routed - accounted : 0;
}

void Broker::resume_session(Connection& connection, const Peer& peer, const wire::Hello& hello,
                            int fd) {
  if (!monitor_->is_open(fd)) {
    ++metrics_.hellos_after_disconnect;  // a leftover of a connection that has ended
    return;
  }
  Session& session = *connection.session;
  const std::string& routing_id = peer.routing_id;
  if (connection.detached_until_ns != 0) {
    auto node = detached_.extract(session.session_id);
    connections_.emplace(routing_id, std::move(node.mapped()));
    ++metrics_.connections_open;
  } else if (connection.routing_id != routing_id) {
    auto node = connections_.extract(connection.routing_id);
    connections_.emplace(routing_id, std::move(node.mapped()));
  }
  monitor_->detach(connection);
  monitor_->attach(connection, fd);
  connection.routing_id = session.routing_id = routing_id;
  connection.detached_until_ns = 0;
  connection.over_bound_since_ns = 0;  // the client could not read while it was away

  const std::uint64_t missed = missed_on_resume(connection, hello);
  connection.unreported_drops = connection.unreported_drop_bytes = 0;  // the Welcome tells them
  session.last_activity_ns = protocol::monotonic_ns();
  session.probe_sent_ns = 0;
  session.idle_timeout_ns = idle_timeout_of(hello);
  session.resume_grace_ns = grant_resume_grace(hello);
  session.resume_token = protocol::random_u64();  // the old one resumed once: it is spent
  session.remote_address = ConnectionMonitor::remote_address(fd);
  session.connected_utc_ns = protocol::utc_ns();
  ++metrics_.sessions_resumed;
  metrics_.deliveries_missed_on_resume += missed;
  log::info("session {} of '{}' resumed: {} deliveries missed, {} waiting", session.session_id,
            session.system_id, missed, connection.queue.totals().deliveries);

  // The Welcome goes before everything the session kept: the client learns first that its
  // session goes on, and what it missed.
  build_welcome(session, true, missed);
  const protocol::RecordRef welcome = pass_buffer_.append(wire::Command::control, control_fbb_);
  if (connection.queue.empty()) {
    connection.pending.insert(connection.pending.begin(), welcome);
    if (!connection.queued_for_flush) {
      connection.queued_for_flush = true;
      flush_list_.push_back(&connection);
    }
  } else {
    connection.queue.push_front(pass_buffer_, welcome);
    note_backlog(connection);
  }
}

void Broker::end_detached(Connection& connection, const char* why) {
  Session& session = *connection.session;
  const std::uint64_t id = session.session_id;
  close_session(session, why);  // logs it; what waited for it is counted as dropped_gone
  metrics_.control_dropped += connection.queue.clear().controls + connection.pending.size();
  connection.pending.clear();
  std::erase(flush_list_, &connection);
  std::erase(backlogged_, &connection);
  detached_.erase(id);
}

void Broker::expire_detached(std::int64_t now) {
  for (auto it = detached_.begin(); it != detached_.end();) {
    Connection& connection = *it++->second;  // end_detached() erases the entry
    if (connection.detached_until_ns > now) continue;
    ++metrics_.sessions_resume_expired;
    end_detached(connection, "not resumed within its grace period");
  }
}

bool Broker::end_oldest_detached(std::string_view system_id) {
  Connection* oldest = nullptr;
  for (auto& [id, connection] : detached_) {
    if (connection->session->system_id != system_id) continue;
    if (oldest == nullptr || connection->detached_until_ns < oldest->detached_until_ns)
      oldest = connection.get();
  }
  if (oldest == nullptr) return false;
  ++metrics_.sessions_resume_expired;
  end_detached(*oldest, "detached, to make room for a new session of its system");
  return true;
}

}  // namespace enlace::broker
