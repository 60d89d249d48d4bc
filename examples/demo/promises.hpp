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
  std::string problem;   // when not held: what was, or was not, seen
  std::string evidence;  // when held, for some: what was seen that shows it
};

struct Observations {
  std::map<std::string, ViewSnapshot, std::less<>> views;  // by nation code
  /// Whether the revoked system's key was refused at the handshake; nullopt: not tried.
  std::optional<bool> revoked_key_refused;
  /// When Brazil's post joins (--late-joiner-seconds), in seconds after the start; 0: it
  /// joins with the others, and the late joiner's promise is not made.
  double late_join_s = 0;
};

/// Evaluates every promise. With `final`, a promise still pending counts as broken.
std::vector<Promise> check_promises(const Observations& seen, bool final);

/// Seconds a run needs before the positive halves can be expected: the scripted events
/// all happen within the first few seconds.
inline constexpr double kScriptSeconds = 6.0;

/// The same for a run whose Brazilian post joins `late_join_s` after the start: its
/// snapshot at once, Peru's tri-border update kTriBorderUpdateAfterJoin_s later.
double script_seconds(double late_join_s);

}  // namespace demo
