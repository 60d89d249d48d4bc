// The client's subscriptions with their handlers, and dispatch: which handlers a delivery
// goes to. The broker sends a message once per session however many of its patterns
// match; here it reaches every local handler whose pattern matches.
//
// Thread: the I/O thread only, which also runs the handlers.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "enlace/client.hpp"
#include "enlace/topic.hpp"

namespace enlace::detail {

class SubscriptionTable {
 public:
  struct Entry {
    std::uint64_t id = 0;
    std::string pattern;
    topic::Tokens tokens;  // views into `pattern`; entries are heap-stable (unique_ptr)
    DeliveryHandler handler;
    SubscribeOptions options;
  };

  Entry& add(std::uint64_t id, std::string pattern, DeliveryHandler handler,
             SubscribeOptions options);
  /// False when there is no such subscription.
  bool remove(std::uint64_t id);
  Entry* find(std::uint64_t id) noexcept;
  template <class F>
  void for_each(F&& f) const {
    for (const auto& [id, entry] : entries_) f(*entry);
  }

  /// Calls every matching handler with `delivery`; returns how many. Handlers that throw
  /// are reported through `on_throw(entry, what)` and do not stop the others.
  template <class OnThrow>
  std::size_t dispatch(const Delivery& delivery, const topic::Tokens& topic, OnThrow&& on_throw) {
    // Collect first: a handler may not be called while iterating a table it could change.
    matched_.clear();
    for (auto& [id, entry] : entries_) {
      if (topic::matches(entry->tokens, topic)) matched_.push_back(entry.get());
    }
    for (Entry* entry : matched_) {
      try {
        entry->handler(delivery);
      } catch (const std::exception& e) {
        on_throw(*entry, e.what());
      }
    }
    return matched_.size();
  }

 private:
  std::map<std::uint64_t, std::unique_ptr<Entry>> entries_;
  std::vector<Entry*> matched_;  // reused per delivery: dispatch allocates nothing
};

}  // namespace enlace::detail
