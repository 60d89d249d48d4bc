// What a policy reload changes: the systems, roles, agreements and nations of the policy in
// force compared with those of the new one. The broker reports it in /status (last_reload)
// and `enlace broker reload` prints it, so that an operator sees what a reviewed change
// actually did to the running coalition.
//
// Things are matched by name (system id, role name, agreement name, nation code), never by
// index: indices follow the file and the alphabet and move when something is added.
// Thread-safety: pure functions of two const policies.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "enlace/policy/policy.hpp"

namespace enlace::policy {

struct PolicyChanges {
  std::vector<std::string> nations_added;
  std::vector<std::string> nations_removed;
  std::vector<std::string> systems_added;
  std::vector<std::string> systems_removed;
  /// Systems now marked `revoked = true` (they were not), and the reverse.
  std::vector<std::string> systems_revoked;
  std::vector<std::string> systems_reinstated;
  /// Systems whose CURVE public key changed: their open sessions end (a rotation).
  std::vector<std::string> keys_changed;
  /// Systems moved to another nation or role, as "id: role a -> b" / "id: nation A -> B".
  std::vector<std::string> systems_moved;
  std::vector<std::string> roles_added;
  std::vector<std::string> roles_removed;
  /// Roles whose patterns or wildcard_subscribe changed.
  std::vector<std::string> roles_changed;
  std::vector<std::string> agreements_added;
  std::vector<std::string> agreements_removed;
  /// Agreements whose parties or topics changed.
  std::vector<std::string> agreements_changed;

  /// The names of the lists, as /status and the tools report them, in this order.
  static constexpr std::array<std::string_view, 14> kListNames = {
      "nations_added",      "nations_removed",    "systems_added", "systems_removed",
      "systems_revoked",    "systems_reinstated", "keys_changed",  "systems_moved",
      "roles_added",        "roles_removed",      "roles_changed", "agreements_added",
      "agreements_removed", "agreements_changed"};
  /// Every list with its name, in kListNames order.
  std::array<std::pair<std::string_view, const std::vector<std::string>*>, kListNames.size()>
  lists() const noexcept;

  /// Nothing of the above changed (limits, caps, [cop] or comments may still differ: the
  /// digest says whether the text did).
  bool empty() const noexcept;
};

/// What changes when `after` replaces `before`. Each list is sorted by name.
PolicyChanges diff(const Policy& before, const Policy& after);

}  // namespace enlace::policy
