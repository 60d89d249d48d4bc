#include "subscription_trie.hpp"

#include <algorithm>

namespace enlace::broker {
namespace {

bool erase_id(std::vector<SubscriptionRef>& refs, std::uint64_t id) {
  const auto it = std::find_if(refs.begin(), refs.end(), [&](const auto& r) { return r.id == id; });
  if (it == refs.end()) return false;
  *it = refs.back();  // order within a node does not matter
  refs.pop_back();
  return true;
}

}  // namespace

SubscriptionTrie::SubscriptionTrie() : root_(std::make_unique<Node>()) {}
SubscriptionTrie::~SubscriptionTrie() = default;

void SubscriptionTrie::add(const topic::Tokens& pattern, SubscriptionRef ref) {
  Node* node = root_.get();
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const std::string_view token = pattern[i];
    if (token == ">") {
      node->rest.push_back(ref);
      ++count_;
      return;
    }
    std::unique_ptr<Node>* next;
    if (token == "*") {
      next = &node->one;
    } else {
      auto it = node->children.find(token);
      if (it == node->children.end())
        it = node->children.emplace(std::string(token), nullptr).first;
      next = &it->second;
    }
    if (!*next) *next = std::make_unique<Node>();
    node = next->get();
  }
  node->here.push_back(ref);
  ++count_;
}

bool SubscriptionTrie::remove(const topic::Tokens& pattern, std::uint64_t id) {
  const bool removed = remove_from(root_.get(), pattern, 0, id);
  if (removed) --count_;
  return removed;
}

bool SubscriptionTrie::remove_from(Node* node, const topic::Tokens& pattern, std::size_t i,
                                   std::uint64_t id) {
  if (i == pattern.size()) return erase_id(node->here, id);
  const std::string_view token = pattern[i];
  if (token == ">") return erase_id(node->rest, id);
  if (token == "*") {
    if (!node->one || !remove_from(node->one.get(), pattern, i + 1, id)) return false;
    if (node->one->empty()) node->one.reset();
    return true;
  }
  const auto it = node->children.find(token);
  if (it == node->children.end() || !remove_from(it->second.get(), pattern, i + 1, id))
    return false;
  if (it->second->empty()) node->children.erase(it);
  return true;
}

}  // namespace enlace::broker
