// Subscriptions indexed by pattern tokens, so that routing a message costs a walk down the
// tokens of its topic, not a scan of every subscription.
//
// Invariants: a node exists only while some subscription lives at or below it; remove()
// prunes empty branches, so the trie's size follows the live subscriptions. Every stored
// ref's slot holds the ref's position in its node's list, so removal goes straight to it:
// adding and removing cost O(pattern length), however many subscriptions share a node.
// Not thread-safe: owned by the broker's routing thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "enlace/topic.hpp"
#include "string_hash.hpp"

namespace enlace::broker {

struct Session;

/// Where the trie keeps one subscription: its index in a node's list. Lives with the
/// subscription (SessionSubscription); written by the trie only.
struct TrieSlot {
  std::uint32_t index = 0;
};

/// One subscription as the trie stores it.
struct SubscriptionRef {
  Session* session;
  std::uint64_t id;       // unique per broker: checked on removal
  TrieSlot* slot;         // kept up to date by the trie; must outlive the subscription's entry
  bool conflate = false;  // LatestPerTopic: conflated while the session is backed up
};

class SubscriptionTrie {
 public:
  SubscriptionTrie();
  ~SubscriptionTrie();

  /// Adds a subscription; `pattern` must be a valid pattern and `ref.slot` not null.
  /// O(pattern length), amortised (a node's list and child map grow geometrically).
  void add(const topic::Tokens& pattern, SubscriptionRef ref);
  /// Removes `ref`, added under `pattern`; false if it is not there. O(pattern length).
  bool remove(const topic::Tokens& pattern, const SubscriptionRef& ref);

  /// Calls visit(const SubscriptionRef&) for every subscription whose pattern matches the
  /// literal topic. A session subscribed through several patterns is visited once per
  /// pattern: the caller deduplicates. Allocates nothing.
  template <class Visit>
  void match(const topic::Tokens& topic, Visit&& visit) const {
    match_from(root_.get(), topic, 0, visit);
  }

  std::size_t size() const noexcept { return count_; }

 private:
  struct Node {
    StringMap<std::unique_ptr<Node>> children;  // literal tokens
    std::unique_ptr<Node> one;                  // `*`
    std::vector<SubscriptionRef> here;          // subscriptions ending at this node
    std::vector<SubscriptionRef> rest;          // subscriptions ending with `>` after this node
    bool empty() const noexcept { return children.empty() && !one && here.empty() && rest.empty(); }
  };

  template <class Visit>
  static void match_from(const Node* node, const topic::Tokens& topic, std::size_t i,
                         Visit& visit) {
    if (i == topic.size()) {
      for (const auto& ref : node->here) visit(ref);
      return;
    }
    for (const auto& ref : node->rest) visit(ref);  // `>` needs at least one more token: there is
    if (const auto it = node->children.find(topic[i]); it != node->children.end()) {
      match_from(it->second.get(), topic, i + 1, visit);
    }
    if (node->one) match_from(node->one.get(), topic, i + 1, visit);
  }

  static void insert(std::vector<SubscriptionRef>& refs, const SubscriptionRef& ref);
  static bool erase(std::vector<SubscriptionRef>& refs, const SubscriptionRef& ref) noexcept;
  bool remove_from(Node* node, const topic::Tokens& pattern, std::size_t i,
                   const SubscriptionRef& ref);

  std::unique_ptr<Node> root_;
  std::size_t count_ = 0;
};

}  // namespace enlace::broker
