// What the policy promises each nation will (and will not) see, checked against what the
// command posts actually received. The same list explains the views in the terminal
// footer and decides the demo's exit status, so the smoke test fails when enforcement
// does not match the policy.
//
// Each promise has a negative half (something must never arrive: a leak breaks it at
// once) and usually a positive half (evidence that must arrive during the run: pending
// until it does, broken if the run ends without it).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "nation_view.hpp"

namespace demo {

enum class PromiseState { pending, held, broken };

struct Promise {
  std::string what;     // the difference, as the views should show it
  std::string because;  // the policy rule that makes it so
  PromiseState state = PromiseState::pending;
  std::string problem;  // when not held: what was, or was not, seen
};

struct Observations {
  std::map<std::string, ViewSnapshot, std::less<>> views;  // by nation code
  /// Whether the revoked system's key was refused at the handshake; nullopt: not tried.
  std::optional<bool> revoked_key_refused;
};

/// Evaluates every promise. With `final`, a promise still pending counts as broken.
std::vector<Promise> check_promises(const Observations& seen, bool final);

/// Seconds a run needs before the positive halves can be expected: the scripted events
/// all happen within the first few seconds.
inline constexpr double kScriptSeconds = 6.0;

}  // namespace demo
