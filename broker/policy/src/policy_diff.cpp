// Comparing two policies by name (policy_diff.hpp).
#include "enlace/policy/policy_diff.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <string_view>

namespace enlace::policy {
namespace {

// The things of one kind in a policy, by name, each reduced to what a change is judged on.
template <class T, class Key>
std::map<std::string, const T*> by_name(const std::vector<T>& items, Key key) {
  std::map<std::string, const T*> out;
  for (const T& item : items) out.emplace(key(item), &item);
  return out;
}

// Names in `before` only go to `removed`, in `after` only to `added`; names in both are
// passed to `both(before, after)`. Map order keeps every list sorted.
template <class T, class Both>
void compare(const std::map<std::string, const T*>& before,
             const std::map<std::string, const T*>& after, std::vector<std::string>& added,
             std::vector<std::string>& removed, Both both) {
  for (const auto& [name, item] : before) {
    const auto found = after.find(name);
    if (found == after.end()) {
      removed.push_back(name);
    } else {
      both(name, *item, *found->second);
    }
  }
  for (const auto& [name, item] : after) {
    if (!before.contains(name)) added.push_back(name);
  }
}

std::set<std::string> party_codes(const Policy& policy, NationMask parties) {
  std::set<std::string> codes;
  for (const Nation& nation : policy.nations()) {
    if (parties & (NationMask{1} << nation.index)) codes.insert(nation.code);
  }
  return codes;
}

}  // namespace

std::array<std::pair<std::string_view, const std::vector<std::string>*>,
           PolicyChanges::kListNames.size()>
PolicyChanges::lists() const noexcept {
  const std::array<const std::vector<std::string>*, kListNames.size()> members = {
      &nations_added,      &nations_removed,    &systems_added, &systems_removed,
      &systems_revoked,    &systems_reinstated, &keys_changed,  &systems_moved,
      &roles_added,        &roles_removed,      &roles_changed, &agreements_added,
      &agreements_removed, &agreements_changed};
  std::array<std::pair<std::string_view, const std::vector<std::string>*>, kListNames.size()> out;
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = {kListNames[i], members[i]};
  return out;
}

bool PolicyChanges::empty() const noexcept {
  for (const auto& [name, list] : lists()) {
    if (!list->empty()) return false;
  }
  return true;
}

PolicyChanges diff(const Policy& before, const Policy& after) {
  PolicyChanges changes;
  const auto nation_code = [](const Nation& n) { return n.code; };
  compare(by_name(before.nations(), nation_code), by_name(after.nations(), nation_code),
          changes.nations_added, changes.nations_removed,
          [](const std::string&, const Nation&, const Nation&) {});

  const auto system_id = [](const System& s) { return s.id; };
  compare(
      by_name(before.systems(), system_id), by_name(after.systems(), system_id),
      changes.systems_added, changes.systems_removed,
      [&](const std::string& id, const System& old_system, const System& new_system) {
        if (!old_system.revoked && new_system.revoked) changes.systems_revoked.push_back(id);
        if (old_system.revoked && !new_system.revoked) changes.systems_reinstated.push_back(id);
        if (old_system.public_key != new_system.public_key) changes.keys_changed.push_back(id);
        const std::string& old_nation = before.nations()[old_system.nation].code;
        const std::string& new_nation = after.nations()[new_system.nation].code;
        if (old_nation != new_nation)
          changes.systems_moved.push_back(
              fmt::format("{}: nation {} -> {}", id, old_nation, new_nation));
        const std::string& old_role = before.roles()[old_system.role].name;
        const std::string& new_role = after.roles()[new_system.role].name;
        if (old_role != new_role)
          changes.systems_moved.push_back(fmt::format("{}: role {} -> {}", id, old_role, new_role));
      });

  const auto role_name = [](const Role& r) { return r.name; };
  compare(by_name(before.roles(), role_name), by_name(after.roles(), role_name),
          changes.roles_added, changes.roles_removed,
          [&](const std::string& name, const Role& old_role, const Role& new_role) {
            if (old_role.written_rules != new_role.written_rules ||
                old_role.wildcard_subscribe != new_role.wildcard_subscribe)
              changes.roles_changed.push_back(name);
          });

  const auto agreement_name = [](const Agreement& a) { return a.name; };
  compare(by_name(before.agreements(), agreement_name), by_name(after.agreements(), agreement_name),
          changes.agreements_added, changes.agreements_removed,
          [&](const std::string& name, const Agreement& old_one, const Agreement& new_one) {
            if (old_one.topics != new_one.topics ||
                party_codes(before, old_one.parties) != party_codes(after, new_one.parties))
              changes.agreements_changed.push_back(name);
          });
  std::sort(changes.systems_moved.begin(), changes.systems_moved.end());
  return changes;
}

}  // namespace enlace::policy
