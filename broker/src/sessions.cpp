// How sessions and connections end: revocation and narrowing at a policy reload, liveness
// (heartbeat expiry and the broker's own probe), a connection that went away.
//
// A session ends with close_session(); its connection (connection.hpp) stays, with the
// answers and notices still queued for the peer, until the TCP connection itself ends
// (release_connection(), from the monitor or a failed send). Runs on the routing thread.
#include <algorithm>

#include "broker.hpp"
#include "enlace/protocol/clock.hpp"
#include "enlace/protocol/control.hpp"
#include "log.hpp"

namespace enlace::broker {

void Broker::reload_policy() {
  // systemd learns that the service is reloading until READY=1 follows (sd_notify.hpp).
  notify_.reloading();
  auto outcome = std::make_shared<ReloadOutcome>();
  outcome->sequence = last_reload_->sequence + 1;
  outcome->previous_digest = policy_->digest();
  std::shared_ptr<const policy::Policy> next;
  try {
    next = policy::Policy::load_file(config_.policy_file);
  } catch (const policy::PolicyError& e) {
    outcome->errors = e.diagnostics();
  } catch (const std::exception& e) {
    outcome->errors.push_back({{config_.policy_file.string(), 0}, e.what()});
  }
  outcome->utc_ns = protocol::utc_ns();
  if (!next) {
    ++metrics_.policy_reload_failures;
    outcome->digest = policy_->digest();
    log::error("policy reload {} refused, keeping version {}: {} error(s)", outcome->sequence,
               policy_->digest().substr(0, 12), outcome->errors.size());
    for (const auto& d : outcome->errors)
      log::error("{}:{}: error: {}", d.where.file, d.where.line, d.message);
    last_reload_ = std::move(outcome);
    publish_status(true);  // /status says it was refused, and why
    notify_.ready();
    return;
  }
  ++metrics_.policy_reloads;
  outcome->applied = true;
  outcome->digest = next->digest();
  outcome->changes = policy::diff(*policy_, *next);
  metrics_.renumber_nations(*policy_, *next);
  policy_ = std::move(next);
  apply_cop_policy();
  map_durable_streams();
  replay_templates_.clear();  // roles may have changed
  log::info("policy reload {} applied: '{}', {} systems, digest {}", outcome->sequence,
            policy_->coalition(), policy_->systems().size(), policy_->digest().substr(0, 12));

  // Every session is re-examined at once: a revoked or removed system loses its session
  // now, not when it next reconnects; subscriptions the new rules refuse are removed.
  std::vector<Session*> revoked;
  // Detached sessions (resume.cpp) are held to the new rules the same way: a narrowed
  // subscription's notice waits in its queue for the resume.
  std::vector<Connection*> examined;
  for (auto& [id, connection] : connections_) examined.push_back(connection.get());
  for (auto& [id, connection] : detached_) examined.push_back(connection.get());
  for (Connection* connection : examined) {
    if (!connection->session) continue;
    Session& session = *connection->session;
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
      // The subscriber must learn it: sent whatever its error budget says.
      refuse(&session, session.routing_id, decision.code, {.awaited = true},
             "subscription '{}' removed by policy reload: {}",
             log::escaped(it->second->pattern, 80), decision.reason);
      it = remove_subscription(session, it);
      ++outcome->subscriptions_removed;
    }
  }
  for (Session* session : revoked) {
    // Counted here only: a later Hello of the same system is a refusal (refusals.revoked),
    // not another revocation.
    ++metrics_.sessions_revoked;
    ++outcome->sessions_ended;
    Connection& connection = *session->connection;
    if (connection.detached_until_ns != 0) {
      end_detached(connection, "revoked by policy reload");  // nobody there to tell
      continue;
    }
    const std::string reason =
        "system '" + session->system_id + "' was revoked or removed from the policy";
    // Deliveries still queued go first (dropped: the system may no longer receive them),
    // then the notice, which leaves at the end of this pass behind the answers already
    // queued: the peer hears it before anything else could reach it.
    close_session(*session, "revoked by policy reload");
    send_notice(connection.routing_id, Errc::revoked, reason);
  }
  last_reload_ = std::move(outcome);
  publish_status(true);  // /status shows the new policy and the outcome at once
  notify_.ready();
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
  session.cached_origin = std::make_shared<const CachedOrigin>(
      CachedOrigin{DeliveryTemplate({session.nation_code, session.system_id, session.role_name,
                                     config_.broker_id, /*snapshot=*/true}),
                   session.system_id, session.public_key});
}

void Broker::check_liveness(std::int64_t now) {
  const std::int64_t probe_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(config_.liveness_probe).count();
  std::vector<Session*> expired;
  std::vector<Connection*> slow;
  const std::int64_t slow_ns = policy_->limits().slow_consumer_seconds * 1'000'000'000;
  for (auto& [id, connection] : connections_) {
    if (!connection->backlogged) connection->queue.shrink_if_idle();
    Session* session = connection->session.get();
    if (session == nullptr) continue;
    if (connection->over_bound_since_ns != 0 && now - connection->over_bound_since_ns > slow_ns) {
      slow.push_back(connection.get());
      continue;
    }
    const std::int64_t silent_ns = now - session->last_activity_ns;
    if (session->idle_timeout_ns > 0) {
      // It announced a heartbeat: it pings us, and silence past three intervals ends it.
      if (silent_ns > session->idle_timeout_ns) expired.push_back(session);
      continue;
    }
    if (probe_ns <= 0) continue;
    if (silent_ns > 2 * probe_ns) {
      expired.push_back(session);
    } else if (silent_ns > probe_ns && session->probe_sent_ns <= session->last_activity_ns) {
      // No heartbeat announced: the broker asks (docs/protocol.md 5.2); any frame answers.
      session->probe_sent_ns = now;
      ++metrics_.liveness_pings;
      protocol::build_ping(control_fbb_, ++next_ping_nonce_, protocol::utc_ns());
      send_control(connection->routing_id, control_fbb_);
    }
  }
  for (Connection* connection : slow) end_slow_session(*connection);
  for (Session* session : expired) {
    ++metrics_.sessions_expired;
    const char* why = session->idle_timeout_ns > 0 ? "no traffic for three heartbeats"
                                                   : "no answer to the broker's Ping";
    // A silent client may be blocked or cut off: its session waits for it, if it asked.
    if (!detach_session(*session->connection, why)) close_session(*session, why);
  }
}

void Broker::close_session(Session& session, const char* why) {
  log::info("session {} of '{}' closed: {} ({} frames delivered, {} dropped)", session.session_id,
            session.system_id, why, session.delivered, session.dropped);
  for (auto it = session.subscriptions.begin(); it != session.subscriptions.end();)
    it = remove_subscription(session, it);
  ++metrics_.sessions_closed;
  --metrics_.sessions_open;
  if (const auto it = sessions_per_system_.find(session.system_id);
      it != sessions_per_system_.end() && --it->second == 0) {
    sessions_per_system_.erase(it);
  }
  // What was queued for the session's subscriptions is not sent after its end; the answers
  // and notices are (in order, on the connection), as they answer what the peer sent.
  Connection& connection = *session.connection;
  metrics_.dropped_gone += connection.queue.discard_deliveries().deliveries;
  metrics_.dropped_gone += connection.conflated.clear();
  const auto delivery = [&](const protocol::RecordRef& ref) {
    return !OutboundQueue::is_control(pass_buffer_.record(ref));
  };
  metrics_.dropped_gone += static_cast<std::uint64_t>(std::erase_if(connection.pending, delivery));
  connection.unreported_drops = connection.unreported_drop_bytes = 0;
  connection.session.reset();
}

void Broker::release_connection(Connection& connection, const char* why) {
  if (connection.session) {
    if (detach_session(connection, why)) return;  // kept, with its queue, for a resume
    ++metrics_.sessions_released;
    close_session(*connection.session, why);
  }
  metrics_.control_dropped += connection.queue.clear().controls;
  metrics_.control_dropped += connection.pending.size();  // deliveries went with the session
  monitor_->detach(connection);
  std::erase(flush_list_, &connection);
  std::erase(backlogged_, &connection);
  --metrics_.connections_open;
  const std::string routing_id = connection.routing_id;  // the key must outlive the erase
  connections_.erase(routing_id);
}

void Broker::close_due_connections(std::int64_t now) {
  if (closing_.empty() || closing_.front().due_ns > now) return;
  handle_connection_events();  // a connection that ended meanwhile is not shut again
  while (!closing_.empty() && closing_.front().due_ns <= now) {
    const Closing& closing = closing_.front();
    const Connection* connection = find_connection(closing.routing_id);
    if (connection != nullptr && monitor_->shut_down(*connection, closing.remote)) {
      ++metrics_.connections_closed;
      log::info("cut-off system '{}': its connection closed", closing.system_id);
    }
    closing_.pop_front();
  }
}

void Broker::handle_connection_events() {
  monitor_->drain(departed_);
  for (Connection* connection : departed_) release_connection(*connection, "connection closed");
  departed_.clear();
}

}  // namespace enlace::broker
