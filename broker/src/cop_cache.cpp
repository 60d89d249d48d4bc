#include "cop_cache.hpp"

#include <cstring>
#include <new>
#include <utility>

#include "enlace/wire/envelope_generated.h"

namespace enlace::broker {
namespace {

// An entry's block has room for its envelope rounded up to this, so that a topic whose
// messages vary a little in size reuses its block.
constexpr std::size_t kBlockGrain = 16;

std::size_t capacity_for(std::size_t envelope_size) noexcept {
  return (envelope_size + kBlockGrain - 1) / kBlockGrain * kBlockGrain;
}

}  // namespace

std::string_view CopCache::Entry::topic() const noexcept {
  return wire::GetEnvelope(envelope().data())->topic()->string_view();
}

CopCache::~CopCache() {
  for (Entry* entry : slots_) {
    if (entry == nullptr) continue;
    entry->~Entry();
    ::operator delete(entry);
  }
}

void CopCache::set_limits(const Limits& limits) {
  limits_ = limits;
  evict_to_fit();
}

CopCache::Entry* CopCache::allocate(std::size_t envelope_size) {
  const std::size_t capacity = capacity_for(envelope_size);
  static_assert(sizeof(Entry) % wire::kAlignment == 0, "the envelope follows 8-byte aligned");
  auto* entry = new (::operator new(sizeof(Entry) + capacity)) Entry();
  entry->capacity = static_cast<std::uint32_t>(capacity);
  return entry;
}

void CopCache::store(std::string_view topic, wire::Bytes envelope,
                     std::shared_ptr<const CachedOrigin> origin, std::uint64_t sequence,
                     std::int64_t receive_ns, std::int64_t stale_ns, policy::NationMask audience) {
  Entry* entry = nullptr;
  std::uint32_t slot = kNoSlot;
  if (const auto found = index_.find(topic); found != index_.end()) {
    // Replacing: the key views the old envelope, so it leaves the index while the bytes
    // change and comes back viewing the new ones (extracting a node allocates nothing).
    auto node = index_.extract(found);
    slot = node.mapped();
    entry = slots_[slot];
    bytes_ -= entry->envelope_size;
    if (entry->capacity < envelope.size()) {
      Entry* grown = allocate(envelope.size() + envelope.size() / 4);
      grown->heap_at = entry->heap_at;
      grown->older = entry->older;
      grown->newer = entry->newer;
      entry->~Entry();
      ::operator delete(entry);
      slots_[slot] = entry = grown;
    }
    std::memcpy(entry->storage(), envelope.data(), envelope.size());
    entry->envelope_size = static_cast<std::uint32_t>(envelope.size());
    node.key() = entry->topic();
    index_.insert(std::move(node));
    unlink(slot);
    ++counters_.replaced;
  } else {
    entry = allocate(envelope.size());
    std::memcpy(entry->storage(), envelope.data(), envelope.size());
    entry->envelope_size = static_cast<std::uint32_t>(envelope.size());
    if (!free_slots_.empty()) {
      slot = free_slots_.back();
      free_slots_.pop_back();
      slots_[slot] = entry;
    } else {
      slot = static_cast<std::uint32_t>(slots_.size());
      slots_.push_back(entry);
    }
    index_.emplace(entry->topic(), slot);
  }
  entry->origin = std::move(origin);
  entry->sequence = sequence;
  entry->receive_ns = receive_ns;
  entry->stale_ns = stale_ns;
  entry->audience = audience;
  bytes_ += entry->envelope_size;
  link_newest(slot);
  if (entry->heap_at == kNoSlot) {
    heap_push(slot);
  } else {
    heap_fix(entry->heap_at);
  }
  ++counters_.stored;
  evict_to_fit();
}

void CopCache::expire(std::int64_t now_utc_ns) {
  while (!heap_.empty() && slots_[heap_.front()]->stale_ns <= now_utc_ns) {
    remove(heap_.front());
    ++counters_.expired;
  }
}

void CopCache::remove(std::uint32_t slot) {
  Entry* entry = slots_[slot];
  index_.erase(entry->topic());
  heap_remove(entry->heap_at);
  unlink(slot);
  bytes_ -= entry->envelope_size;
  entry->~Entry();
  ::operator delete(entry);
  slots_[slot] = nullptr;
  free_slots_.push_back(slot);
}

void CopCache::evict_to_fit() {
  while (oldest_ != kNoSlot &&
         (index_.size() > limits_.max_entries || bytes_ > limits_.max_bytes)) {
    remove(oldest_);
    ++counters_.evicted;
  }
}

void CopCache::link_newest(std::uint32_t slot) noexcept {
  Entry& entry = *slots_[slot];
  entry.older = newest_;
  entry.newer = kNoSlot;
  if (newest_ != kNoSlot) slots_[newest_]->newer = slot;
  newest_ = slot;
  if (oldest_ == kNoSlot) oldest_ = slot;
}

void CopCache::unlink(std::uint32_t slot) noexcept {
  Entry& entry = *slots_[slot];
  (entry.older != kNoSlot ? slots_[entry.older]->newer : oldest_) = entry.newer;
  (entry.newer != kNoSlot ? slots_[entry.newer]->older : newest_) = entry.older;
  entry.older = entry.newer = kNoSlot;
}

bool CopCache::heap_less(std::uint32_t a, std::uint32_t b) const noexcept {
  return slots_[heap_[a]]->stale_ns < slots_[heap_[b]]->stale_ns;
}

void CopCache::heap_swap(std::uint32_t a, std::uint32_t b) noexcept {
  std::swap(heap_[a], heap_[b]);
  slots_[heap_[a]]->heap_at = a;
  slots_[heap_[b]]->heap_at = b;
}

void CopCache::heap_push(std::uint32_t slot) {
  heap_.push_back(slot);
  const auto at = static_cast<std::uint32_t>(heap_.size() - 1);
  slots_[slot]->heap_at = at;
  heap_fix(at);
}

void CopCache::heap_remove(std::uint32_t at) {
  const auto last = static_cast<std::uint32_t>(heap_.size() - 1);
  slots_[heap_[at]]->heap_at = kNoSlot;
  if (at != last) {
    heap_[at] = heap_[last];
    slots_[heap_[at]]->heap_at = at;
  }
  heap_.pop_back();
  if (at < heap_.size()) heap_fix(at);
}

void CopCache::heap_fix(std::uint32_t at) {
  // Up while smaller than the parent, else down while larger than the smaller child.
  while (at > 0 && heap_less(at, (at - 1) / 2)) {
    heap_swap(at, (at - 1) / 2);
    at = (at - 1) / 2;
  }
  const auto size = static_cast<std::uint32_t>(heap_.size());
  for (;;) {
    const std::uint32_t left = 2 * at + 1;
    if (left >= size) break;
    std::uint32_t child = left;
    if (left + 1 < size && heap_less(left + 1, left)) child = left + 1;
    if (!heap_less(child, at)) break;
    heap_swap(at, child);
    at = child;
  }
}

}  // namespace enlace::broker
