#include "enlace/protocol/link_session.hpp"

#include <algorithm>

#include "enlace/protocol/frame.hpp"

namespace enlace::protocol {

void LinkSession::connected(std::int64_t now) noexcept {
  phase_ = Phase::awaiting_welcome;
  last_send_ns_ = last_receive_ns_ = now;
}

void LinkSession::disconnected() noexcept {
  phase_ = Phase::disconnected;
  hello_due_ns_ = 0;
  pending_.clear();
  // Whether they arrived is unknown: a resumed session may still hold their patterns.
  for (auto& [request_id, pattern] : unsubscribing_)
    unsent_unsubscribes_.push_back(std::move(pattern));
  unsubscribing_.clear();
}

void LinkSession::hello_refused(std::int64_t now, std::int64_t max_backoff_ns) noexcept {
  if (phase_ != Phase::awaiting_welcome) return;
  hello_backoff_ns_ =
      hello_backoff_ns_ == 0 ? heartbeat_ns_ : std::min(2 * hello_backoff_ns_, max_backoff_ns);
  hello_due_ns_ = now + hello_backoff_ns_;
}

void LinkSession::session_lost() noexcept {
  if (phase_ != Phase::disconnected) phase_ = Phase::awaiting_welcome;
  pending_.clear();
  for (auto& [request_id, pattern] : unsubscribing_)
    unsent_unsubscribes_.push_back(std::move(pattern));
  unsubscribing_.clear();
}

void LinkSession::session_ended() noexcept {
  session_lost();
  resume_ = {};
  unsent_unsubscribes_.clear();
}

HelloFields LinkSession::hello(std::string_view client_name,
                               std::uint32_t resume_grace_ms) noexcept {
  HelloFields fields{.client_name = client_name,
                     .heartbeat_ms = static_cast<std::uint32_t>(heartbeat_ns_ / 1'000'000),
                     .resume_grace_ms = resume_grace_ms};
  resume_asked_ = resume_.token != 0;
  if (resume_asked_) {
    fields.resume_session = resume_.session_id;
    fields.resume_token = resume_.token;
    fields.resume_received = resume_.received;
    fields.resume_told_dropped = resume_.told_dropped;
  }
  return fields;
}

LinkSession::Welcomed LinkSession::welcomed(const wire::Welcome& welcome,
                                            std::int64_t now) noexcept {
  if (welcome.protocol_version() != wire::kProtocolVersion) return {Errc::unsupported_version};
  phase_ = Phase::ready;
  last_receive_ns_ = now;
  hello_due_ns_ = hello_backoff_ns_ = 0;
  Welcomed outcome;
  outcome.resumed =
      resume_asked_ && welcome.resumed() && welcome.session_id() == resume_.session_id;
  outcome.previous_lost = resume_asked_ && !outcome.resumed;
  resume_asked_ = false;
  if (outcome.resumed) {
    outcome.missed = welcome.missed();
    // Told now: a later resume of the same session must not count them again.
    resume_.told_dropped += outcome.missed;
  } else {
    resume_ = {.session_id = welcome.session_id()};
  }
  resume_.token = welcome.resume_token();  // 0: no grace period, nothing to resume
  return outcome;
}

LinkSession::Due LinkSession::poll(std::int64_t now) noexcept {
  if (phase_ == Phase::awaiting_welcome && hello_due_ns_ != 0 && now >= hello_due_ns_) {
    hello_due_ns_ = 0;
    return Due::hello;
  }
  if (phase_ != Phase::ready) return Due::nothing;
  if (now - last_receive_ns_ > 3 * heartbeat_ns_) return Due::reconnect;
  // Ping when either direction has been quiet for a heartbeat: the peer must hear from
  // us, and we must hear from it (its Pong) to know it is alive.
  if (now - std::min(last_send_ns_, last_receive_ns_) >= heartbeat_ns_ &&
      now - last_ping_ns_ >= heartbeat_ns_) {
    return Due::ping;
  }
  return Due::nothing;
}

std::int64_t LinkSession::until_next_timer(std::int64_t now) const noexcept {
  if (phase_ == Phase::awaiting_welcome && hello_due_ns_ != 0) {
    return std::max<std::int64_t>(0, hello_due_ns_ - now);
  }
  if (phase_ != Phase::ready) return heartbeat_ns_;
  const std::int64_t next_ping =
      std::max(std::min(last_send_ns_, last_receive_ns_), last_ping_ns_) + heartbeat_ns_;
  const std::int64_t lost = last_receive_ns_ + 3 * heartbeat_ns_ + 1;
  return std::max<std::int64_t>(0, std::min(next_ping, lost) - now);
}

bool LinkSession::subscribe(std::uint64_t id, const SubscribeFields& fields, SubscribeFields& out) {
  auto& entry = subscriptions_[id];
  entry.pattern = std::string(fields.pattern);
  entry.fields = fields;
  entry.fields.pattern = entry.pattern;
  if (phase_ != Phase::ready) return false;
  entry.fields.request_id = next_request_id();
  pending_[entry.fields.request_id] = {Answer::Kind::subscribe, id};
  out = entry.fields;
  return true;
}

std::uint32_t LinkSession::unsubscribe(std::uint64_t id) {
  const auto it = subscriptions_.find(id);
  if (it == subscriptions_.end()) return 0;
  std::string pattern = std::move(it->second.pattern);
  subscriptions_.erase(it);
  // A subscribe of this id still in flight is answered by nobody now.
  std::erase_if(pending_, [&](const auto& request) {
    return request.second.kind == Answer::Kind::subscribe && request.second.subscription_id == id;
  });
  const bool still_held =
      std::any_of(subscriptions_.begin(), subscriptions_.end(),
                  [&](const auto& s) { return s.second.fields.pattern == pattern; });
  if (still_held) return 0;
  if (phase_ != Phase::ready) {
    if (resume_.token != 0) unsent_unsubscribes_.push_back(std::move(pattern));
    return 0;
  }
  const std::uint32_t request_id = next_request_id();
  pending_[request_id] = {Answer::Kind::unsubscribe, id};
  unsubscribing_[request_id] = std::move(pattern);
  return request_id;
}

LinkSession::Answer LinkSession::answered(std::uint32_t request_id, bool accepted) {
  const auto it = pending_.find(request_id);
  if (it == pending_.end()) return {};
  const Answer answer = it->second;
  pending_.erase(it);
  unsubscribing_.erase(request_id);
  if (answer.kind == Answer::Kind::subscribe) {
    if (!accepted) {
      subscriptions_.erase(answer.subscription_id);
    } else if (const auto entry = subscriptions_.find(answer.subscription_id);
               entry != subscriptions_.end() && entry->second.fields.request_id == request_id) {
      entry->second.confirmed = true;
      // A replay is asked for once: a later session's Subscribe restores the subscription
      // live only (the client asks anew, from the sequence it has, to fill a gap).
      entry->second.fields.replay_from = wire::ReplayFrom::None;
    }
  }
  return answer;
}

std::uint32_t LinkSession::subscribe_request_of(std::uint64_t id) const noexcept {
  const auto it = subscriptions_.find(id);
  return it == subscriptions_.end() ? 0 : it->second.fields.request_id;
}

std::uint32_t LinkSession::next_request_id() noexcept {
  request_id_ = (request_id_ + 1) & 0x7FFFFFFFu;
  if (request_id_ == 0) request_id_ = 1;
  return request_id_;
}

}  // namespace enlace::protocol
