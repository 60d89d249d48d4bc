#include "requests.hpp"

namespace enlace::detail {

void PublishWaiters::add(const wire::Uuid& id) {
  std::lock_guard lock(mutex_);
  waiters_[key_of(id)] = Waiter{};
}

Status PublishWaiters::add(const wire::Uuid& id, AckHandler handler, std::int64_t deadline_ns,
                           std::size_t max_pending) {
  std::lock_guard lock(mutex_);
  if (handlers_ >= max_pending) {
    return ErrorInfo{Errc::queue_full, std::to_string(handlers_.load()) +
                                           " publishes already wait for the broker's answer "
                                           "(ClientOptions::max_pending_acks)"};
  }
  // Answered entries leave deadlines_ when they reach its front; one that is never
  // answered holds the rest back until it expires. Compacting at twice the bound keeps the
  // deque at most that long, at an amortised constant cost per publish.
  if (deadlines_.size() >= 2 * max_pending) {
    std::erase_if(deadlines_, [&](const auto& entry) { return !waiters_.count(entry.second); });
  }
  const Key key = key_of(id);
  waiters_[key] =
      Waiter{false, ErrorInfo{Errc::timeout, "no answer from the broker"}, std::move(handler)};
  deadlines_.emplace_back(deadline_ns, key);
  ++handlers_;
  return success();
}

void PublishWaiters::remove(const wire::Uuid& id) {
  std::lock_guard lock(mutex_);
  const auto it = waiters_.find(key_of(id));
  if (it == waiters_.end()) return;
  if (it->second.handler) --handlers_;
  waiters_.erase(it);
}

bool PublishWaiters::complete(const wire::Uuid& id, const Result<PublishAck>& result,
                              std::vector<Answered>& answered) {
  {
    std::lock_guard lock(mutex_);
    const auto it = waiters_.find(key_of(id));
    if (it == waiters_.end() || it->second.done) return false;
    if (it->second.handler) {
      answered.push_back({std::move(it->second.handler), result});
      waiters_.erase(it);
      --handlers_;
      return true;
    }
    it->second.done = true;
    it->second.result = result;
  }
  answered_.notify_all();
  return true;
}

void PublishWaiters::expire(std::int64_t now_ns, std::vector<Answered>& answered) {
  // No handler waits: answered entries left in deadlines_ go at a later expire() or compaction.
  if (handlers_.load(std::memory_order_relaxed) == 0) return;
  std::lock_guard lock(mutex_);
  while (!deadlines_.empty()) {
    const auto [deadline, key] = deadlines_.front();
    const auto it = waiters_.find(key);
    if (it != waiters_.end()) {
      if (deadline > now_ns) return;
      answered.push_back(
          {std::move(it->second.handler),
           ErrorInfo{Errc::timeout,
                     "no answer from the broker within ClientOptions::ack_timeout: the "
                     "message may or may not have been accepted"}});
      waiters_.erase(it);
      --handlers_;
    }
    deadlines_.pop_front();
  }
}

Result<PublishAck> PublishWaiters::await(const wire::Uuid& id, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  const auto it = waiters_.find(key_of(id));
  if (it == waiters_.end() || it->second.handler) {
    return ErrorInfo{Errc::invalid_argument, "no acknowledgement requested for this id"};
  }
  const Waiter& waiter = it->second;
  answered_.wait_for(lock, timeout, [&] { return waiter.done; });
  Result<PublishAck> result = waiter.result;
  waiters_.erase(it);
  return result;
}

void PublishWaiters::fail_all(const ErrorInfo& error, std::vector<Answered>& answered) {
  {
    std::lock_guard lock(mutex_);
    for (auto it = waiters_.begin(); it != waiters_.end();) {
      Waiter& waiter = it->second;
      if (waiter.handler) {
        answered.push_back({std::move(waiter.handler), error});
        it = waiters_.erase(it);
        continue;
      }
      if (!waiter.done) {
        waiter.done = true;
        waiter.result = error;
      }
      ++it;
    }
    handlers_ = 0;
    deadlines_.clear();
  }
  answered_.notify_all();
}

void RequestWaiters::wait_subscribe(std::uint64_t subscription, StatusPromise done) {
  if (done) subscribes_[subscription] = std::move(done);
}

void RequestWaiters::wait_unsubscribe(std::uint64_t subscription, StatusPromise done) {
  if (done) unsubscribes_[subscription] = std::move(done);
}

void RequestWaiters::wait_flush(std::uint64_t ping_nonce, StatusPromise done) {
  if (done) flushes_[ping_nonce] = std::move(done);
}

void RequestWaiters::answer(std::map<std::uint64_t, StatusPromise>& waiters, std::uint64_t key,
                            const Status& status) {
  const auto it = waiters.find(key);
  if (it == waiters.end()) return;
  it->second->set_value(status);
  waiters.erase(it);
}

void RequestWaiters::subscribed(std::uint64_t subscription, const Status& status) {
  answer(subscribes_, subscription, status);
}

void RequestWaiters::unsubscribed(std::uint64_t subscription, const Status& status) {
  answer(unsubscribes_, subscription, status);
}

void RequestWaiters::ponged(std::uint64_t nonce) {
  while (!flushes_.empty() && flushes_.begin()->first <= nonce) {
    flushes_.begin()->second->set_value(success());
    flushes_.erase(flushes_.begin());
  }
}

void RequestWaiters::connection_lost() {
  for (auto& [id, done] : unsubscribes_) done->set_value(success());
  unsubscribes_.clear();
  for (auto& [nonce, done] : flushes_) {
    done->set_value(
        ErrorInfo{Errc::not_connected, "connection lost before the broker confirmed the flush"});
  }
  flushes_.clear();
}

void RequestWaiters::fail_all(const ErrorInfo& error) {
  for (auto* waiters : {&subscribes_, &unsubscribes_, &flushes_}) {
    for (auto& [key, done] : *waiters) done->set_value(error);
    waiters->clear();
  }
}

}  // namespace enlace::detail
