// The current picture: the newest item per id, each until its stale time.
//
// Threads: the Asio thread only. The JSON of an item is shared (shared_ptr) with the
// browser queues that still have to send it, so an update costs one string however many
// browsers are connected. Bounded by max_items: an item with a new id beyond it is
// refused (counted by the caller), updates of known items always go in.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "mapping.hpp"

namespace enlace::web {

using Json = std::shared_ptr<const std::string>;

class Picture {
 public:
  explicit Picture(std::size_t max_items) : max_items_(max_items) {}

  enum class Put { added, updated, full, already_stale };
  /// Keeps `item` as the newest of its id, unless it is stale at `now_ms` (then the older
  /// one goes too: the publisher says it no longer holds).
  Put put(Item item, std::int64_t now_ms, Json& stored);
  /// Removes what is stale at `now_ms` and returns the ids removed.
  std::vector<std::string> expire(std::int64_t now_ms);

  template <class F>
  void for_each(F&& visit) const {
    for (const auto& [id, entry] : entries_) visit(id, entry.json);
  }
  std::size_t size() const noexcept { return entries_.size(); }
  std::size_t bytes() const noexcept { return bytes_; }

 private:
  struct Entry {
    Json json;
    std::int64_t stale_ms = 0;
  };
  std::size_t max_items_;
  std::size_t bytes_ = 0;  // of the JSON held, for /status
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace enlace::web
