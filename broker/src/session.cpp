#include "session.hpp"

namespace enlace::broker {

SessionSubscription* Session::find_subscription(std::string_view pattern) noexcept {
  for (auto& subscription : subscriptions) {
    if (subscription->pattern == pattern) return subscription.get();
  }
  return nullptr;
}

}  // namespace enlace::broker
