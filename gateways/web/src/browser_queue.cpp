#include "browser_queue.hpp"

#include "json_text.hpp"

namespace enlace::web {
namespace {

std::size_t size_of(const Json& json, const std::string& id) {
  return json ? json->size() : id.size() + 4;
}

}  // namespace

BrowserQueue::BrowserQueue(std::int64_t per_second, std::size_t frame_bytes,
                           std::size_t window_bytes)
    : interval_ms_(1000 / (per_second > 0 ? per_second : 1)),
      frame_bytes_(frame_bytes),
      window_bytes_(window_bytes) {}

void BrowserQueue::put(const std::string& id, Json json) {
  auto [it, inserted] = waiting_.try_emplace(id);
  if (inserted) {
    order_.push_back(id);
  } else {
    waiting_bytes_ -= size_of(it->second.json, id);
    ++stats_.conflated;
  }
  waiting_bytes_ += size_of(json, id);
  it->second.json = std::move(json);
}

std::int64_t BrowserQueue::next_due_ms() const {
  std::int64_t due = 0;
  for (const auto& id : order_) {
    const auto last = last_sent_ms_.find(id);
    const std::int64_t at = last == last_sent_ms_.end() ? 1 : last->second + interval_ms_;
    if (due == 0 || at < due) due = at;
  }
  return due;
}

std::string BrowserQueue::take(std::int64_t now_ms) {
  if (order_.empty() || in_flight_ >= window_bytes_) return {};
  std::string items, removed;
  std::size_t bytes = 0;
  // One pass over what waits, oldest first; what is not due yet keeps its place.
  const std::size_t count = order_.size();
  for (std::size_t i = 0; i < count && bytes < frame_bytes_; ++i) {
    std::string id = std::move(order_.front());
    order_.pop_front();
    const auto last = last_sent_ms_.find(id);
    if (last != last_sent_ms_.end() && now_ms < last->second + interval_ms_) {
      order_.push_back(std::move(id));
      continue;
    }
    auto found = waiting_.find(id);
    waiting_bytes_ -= size_of(found->second.json, id);
    if (found->second.json) {
      if (!items.empty()) items += ',';
      items += *found->second.json;
      bytes += found->second.json->size();
      last_sent_ms_[id] = now_ms;
    } else {
      if (!removed.empty()) removed += ',';
      removed += quote(id);
      bytes += id.size();
      last_sent_ms_.erase(id);
    }
    waiting_.erase(found);
    ++stats_.items_sent;
  }
  if (items.empty() && removed.empty()) return {};
  std::string frame =
      "{\"type\":\"update\",\"items\":[" + items + "],\"removed\":[" + removed + "]}";
  in_flight_ += frame.size();
  ++stats_.frames_sent;
  return frame;
}

}  // namespace enlace::web
