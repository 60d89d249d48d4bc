#include "picture.hpp"

namespace enlace::web {

Picture::Put Picture::put(Item item, std::int64_t now_ms, Json& stored) {
  auto found = entries_.find(item.id);
  if (item.stale_ms <= now_ms) {
    if (found != entries_.end()) {
      bytes_ -= found->second.json->size();
      entries_.erase(found);
    }
    return Put::already_stale;
  }
  stored = std::make_shared<const std::string>(std::move(item.json));
  if (found != entries_.end()) {
    bytes_ += stored->size();
    bytes_ -= found->second.json->size();
    found->second = Entry{stored, item.stale_ms};
    return Put::updated;
  }
  if (entries_.size() >= max_items_) return Put::full;
  bytes_ += stored->size();
  entries_.emplace(std::move(item.id), Entry{stored, item.stale_ms});
  return Put::added;
}

// A scan once a second: 100 000 items cost well under a millisecond, and no index by
// time has to follow every update.
std::vector<std::string> Picture::expire(std::int64_t now_ms) {
  std::vector<std::string> removed;
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.stale_ms <= now_ms) {
      bytes_ -= it->second.json->size();
      removed.push_back(it->first);
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
  return removed;
}

}  // namespace enlace::web
