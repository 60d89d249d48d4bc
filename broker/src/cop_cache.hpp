// The COP cache: the newest message of each cached topic (policy [cop]), kept until its stale
// time, so that a subscriber that joins late gets the current picture at once
// (docs/protocol.md 5.3, "Snapshot").
//
// What an entry holds: the envelope bytes as published, the delivery's sequence and receive
// time, its stale time, the audience computed for it under the policy in force (recomputed
// at every reload, so a snapshot never shows what the policy now forbids), and the origin
// it was published under (shared by a session's entries: its snapshot delivery template and
// system). The topic is not stored twice: the index keys view it inside the envelope.
//
// Costs, all on the routing thread (no locks, no disk):
//   - store: one hash lookup, one copy of the envelope, one heap sift; it allocates only when
//     a topic is new or its message outgrows the entry's block;
//   - expiry: a min-heap by stale time, so expiring looks only at the entries that expire;
//   - eviction when full: the least recently stored entry first (a list in store order);
//   - snapshot: entries sit in numbered slots that do not move, so a snapshot walks the
//     slots with a cursor across loop passes while the cache keeps changing (cop.cpp).
// Memory per entry beyond the envelope: the block's header and the index, heap, list and
// slot entries (docs/performance.md gives the measured figure).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "delivery_template.hpp"
#include "enlace/policy/policy.hpp"
#include "enlace/protocol/frame.hpp"
#include "string_hash.hpp"

namespace enlace::broker {

/// Who published a cached message, shared by the entries one session published.
struct CachedOrigin {
  DeliveryTemplate snapshot_template;  // the session's deliveries, marked snapshot = true
  std::string system_id;
  std::string public_key;  // a reload that changes the system's key purges its entries
};

class CopCache {
 public:
  static constexpr std::uint32_t kNoSlot = 0xffffffff;

  struct Entry {
    std::shared_ptr<const CachedOrigin> origin;
    std::uint64_t sequence = 0;
    std::int64_t receive_ns = 0;  // UTC
    std::int64_t stale_ns = 0;    // UTC; the entry is removed once this has passed
    policy::NationMask audience = 0;
    std::uint32_t envelope_size = 0;
    std::uint32_t capacity = 0;       // bytes the block has for the envelope
    std::uint32_t heap_at = kNoSlot;  // position in the expiry heap
    std::uint32_t older = kNoSlot;    // store-order list, for eviction
    std::uint32_t newer = kNoSlot;

    wire::Bytes envelope() const noexcept {
      return {reinterpret_cast<const std::uint8_t*>(this + 1), envelope_size};
    }
    /// The block's room for the envelope, right after the entry.
    std::uint8_t* storage() noexcept { return reinterpret_cast<std::uint8_t*>(this + 1); }
    std::string_view topic() const noexcept;
  };

  struct Limits {
    std::size_t max_entries = 0;
    std::size_t max_bytes = 0;
  };

  /// What the cache did, for the broker's metrics.
  struct Counters {
    std::uint64_t stored = 0;    // messages stored (new topics and replacements)
    std::uint64_t replaced = 0;  // of which replaced an older message of their topic
    std::uint64_t evicted = 0;   // oldest entries removed to stay within the limits
    std::uint64_t expired = 0;   // entries removed at their stale time
    std::uint64_t purged = 0;    // entries removed by a reload (publisher revoked, label refused)
  };

  CopCache() = default;
  CopCache(const CopCache&) = delete;
  CopCache& operator=(const CopCache&) = delete;
  ~CopCache();

  /// The limits in force; lowering them evicts the oldest entries at once.
  void set_limits(const Limits& limits);

  /// Stores the message as its topic's newest, replacing the older one. `envelope` must be
  /// a verified Envelope whose topic is `topic`. Evicts the oldest entries if the cache is
  /// over a limit afterwards.
  void store(std::string_view topic, wire::Bytes envelope,
             std::shared_ptr<const CachedOrigin> origin, std::uint64_t sequence,
             std::int64_t receive_ns, std::int64_t stale_ns, policy::NationMask audience);

  /// Removes every entry whose stale time is at or before `now_utc_ns`.
  void expire(std::int64_t now_utc_ns);

  /// Removes every entry for which `keep(entry)` returns false; `keep` may change the
  /// entry's audience. For reloads: O(entries).
  template <class Keep>
  void revise(Keep&& keep) {
    for (std::uint32_t slot = 0; slot < slots_.size(); ++slot) {
      if (slots_[slot] != nullptr && !keep(*slots_[slot])) {
        remove(slot);
        ++counters_.purged;
      }
    }
  }

  /// Slots are numbered 0 .. slot_count() - 1; a free one holds nullptr. A slot keeps its
  /// entry (replaced messages included) until the entry is removed.
  std::size_t slot_count() const noexcept { return slots_.size(); }
  const Entry* at(std::size_t slot) const noexcept { return slots_[slot]; }

  std::size_t size() const noexcept { return index_.size(); }
  /// Envelope bytes of all entries: what max_bytes bounds.
  std::size_t bytes() const noexcept { return bytes_; }
  const Counters& counters() const noexcept { return counters_; }

 private:
  Entry* allocate(std::size_t envelope_size);
  void remove(std::uint32_t slot);
  void evict_to_fit();
  // The store-order list.
  void link_newest(std::uint32_t slot) noexcept;
  void unlink(std::uint32_t slot) noexcept;
  // The expiry heap (by stale_ns), with each entry's position kept in Entry::heap_at.
  void heap_push(std::uint32_t slot);
  void heap_remove(std::uint32_t at);
  void heap_fix(std::uint32_t at);
  bool heap_less(std::uint32_t a, std::uint32_t b) const noexcept;
  void heap_swap(std::uint32_t a, std::uint32_t b) noexcept;

  // Keys view the topic inside their entry's envelope.
  std::unordered_map<std::string_view, std::uint32_t, StringHash, std::equal_to<>> index_;
  std::vector<Entry*> slots_;
  std::vector<std::uint32_t> free_slots_;
  std::vector<std::uint32_t> heap_;
  std::uint32_t oldest_ = kNoSlot;
  std::uint32_t newest_ = kNoSlot;
  std::size_t bytes_ = 0;
  Limits limits_;
  Counters counters_;
};

}  // namespace enlace::broker
