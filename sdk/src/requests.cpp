#include "requests.hpp"

namespace enlace::detail {

void PublishWaiters::add(const wire::Uuid& id) {
  std::lock_guard lock(mutex_);
  waiters_[key_of(id)] = std::make_shared<Waiter>();
}

void PublishWaiters::remove(const wire::Uuid& id) {
  std::lock_guard lock(mutex_);
  waiters_.erase(key_of(id));
}

bool PublishWaiters::complete(const wire::Uuid& id, Result<PublishAck> result) {
  {
    std::lock_guard lock(mutex_);
    const auto it = waiters_.find(key_of(id));
    if (it == waiters_.end()) return false;
    it->second->done = true;
    it->second->result = std::move(result);
  }
  answered_.notify_all();
  return true;
}

Result<PublishAck> PublishWaiters::await(const wire::Uuid& id, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  const auto it = waiters_.find(key_of(id));
  if (it == waiters_.end()) {
    return ErrorInfo{Errc::invalid_argument, "no acknowledgement requested for this id"};
  }
  const auto waiter = it->second;
  answered_.wait_for(lock, timeout, [&] { return waiter->done; });
  waiters_.erase(key_of(id));
  return waiter->result;
}

void PublishWaiters::fail_all(const ErrorInfo& error) {
  {
    std::lock_guard lock(mutex_);
    for (auto& [key, waiter] : waiters_) {
      if (!waiter->done) {
        waiter->done = true;
        waiter->result = error;
      }
    }
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
