#include "subscription_trie.hpp"

namespace enlace::broker {

SubscriptionTrie::SubscriptionTrie() : root_(std::make_unique<Node>()) {}
SubscriptionTrie::~SubscriptionTrie() = default;

void SubscriptionTrie::insert(std::vector<SubscriptionRef>& refs, const SubscriptionRef& ref) {
  ref.slot->index = static_cast<std::uint32_t>(refs.size());
  refs.push_back(ref);
}

bool SubscriptionTrie::erase(std::vector<SubscriptionRef>& refs,
                             const SubscriptionRef& ref) noexcept {
  const std::size_t index = ref.slot->index;
  if (index >= refs.size() || refs[index].id != ref.id) return false;
  // Order within a node does not matter: the last ref takes the hole, and its slot says so.
  refs[index] = refs.back();
  refs[index].slot->index = static_cast<std::uint32_t>(index);
  refs.pop_back();
  return true;
}

void SubscriptionTrie::add(const topic::Tokens& pattern, SubscriptionRef ref) {
  Node* node = root_.get();
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const std::string_view token = pattern[i];
    if (token == ">") {
      insert(node->rest, ref);
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
  insert(node->here, ref);
  ++count_;
}

bool SubscriptionTrie::remove(const topic::Tokens& pattern, const SubscriptionRef& ref) {
  const bool removed = remove_from(root_.get(), pattern, 0, ref);
  if (removed) --count_;
  return removed;
}

bool SubscriptionTrie::remove_from(Node* node, const topic::Tokens& pattern, std::size_t i,
                                   const SubscriptionRef& ref) {
  if (i == pattern.size()) return erase(node->here, ref);
  const std::string_view token = pattern[i];
  if (token == ">") return erase(node->rest, ref);
  if (token == "*") {
    if (!node->one || !remove_from(node->one.get(), pattern, i + 1, ref)) return false;
    if (node->one->empty()) node->one.reset();
    return true;
  }
  const auto it = node->children.find(token);
  if (it == node->children.end() || !remove_from(it->second.get(), pattern, i + 1, ref))
    return false;
  if (it->second->empty()) node->children.erase(it);
  return true;
}

}  // namespace enlace::broker
