#include "subscription_table.hpp"

namespace enlace::detail {

SubscriptionTable::Entry& SubscriptionTable::add(std::uint64_t id, std::string pattern,
                                                 DeliveryHandler handler,
                                                 SubscribeOptions options) {
  auto entry = std::make_unique<Entry>();
  entry->id = id;
  entry->pattern = std::move(pattern);
  entry->tokens.split(entry->pattern);
  entry->handler = std::move(handler);
  entry->options = std::move(options);
  return *entries_.insert_or_assign(id, std::move(entry)).first->second;
}

bool SubscriptionTable::remove(std::uint64_t id) {
  return entries_.erase(id) != 0;
}

SubscriptionTable::Entry* SubscriptionTable::find(std::uint64_t id) noexcept {
  const auto it = entries_.find(id);
  return it == entries_.end() ? nullptr : it->second.get();
}

}  // namespace enlace::detail
