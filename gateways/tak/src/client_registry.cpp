#include "client_registry.hpp"

#include <vector>

namespace enlace::tak {

void ClientRegistry::add(std::shared_ptr<Sink> sink, std::int64_t now_ms) {
  for (const auto& [uid, event] : picture_) {
    if (event->stale_ms > now_ms) sink->deliver(event);
  }
  sinks_.emplace(sink->sink_id(), std::move(sink));
}

void ClientRegistry::remove(std::uint64_t sink_id) {
  sinks_.erase(sink_id);
  // The uids it sent stay attributed until their picture items expire: sink ids are never
  // reused, so an echo that arrives after the client left simply reaches the others.
}

void ClientRegistry::broadcast(const std::shared_ptr<const OutEvent>& event) {
  if (picture_.size() < picture_max_items_ || picture_.contains(event->uid)) {
    picture_[event->uid] = event;
  }
  std::uint64_t excluded = 0;
  if (event->from_self) {
    if (const auto source = source_of_uid_.find(event->uid); source != source_of_uid_.end()) {
      excluded = source->second;
    }
  }
  std::uint64_t recipients = 0;
  for (const auto& [id, sink] : sinks_) {
    if (id == excluded) continue;
    sink->deliver(event);
    ++recipients;
  }
  counters_.event_out(event->kind, recipients);
}

void ClientRegistry::record_source(const std::string& uid, std::uint64_t sink_id) {
  source_of_uid_[uid] = sink_id;
}

void ClientRegistry::expire(std::int64_t now_ms) {
  std::vector<std::string> stale;
  for (const auto& [uid, event] : picture_) {
    if (event->stale_ms <= now_ms) stale.push_back(uid);
  }
  for (const auto& uid : stale) {
    picture_.erase(uid);
    source_of_uid_.erase(uid);
  }
  // Sources of uids that never made it into the picture (refused by the broker, or not
  // yet delivered back) are bounded by the picture's bound too.
  if (source_of_uid_.size() > picture_max_items_) {
    for (auto it = source_of_uid_.begin(); it != source_of_uid_.end();) {
      it = picture_.contains(it->first) ? std::next(it) : source_of_uid_.erase(it);
    }
  }
}

}  // namespace enlace::tak
