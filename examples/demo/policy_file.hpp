// The demo coalition's policy file, written as an operator would write it: commented,
// reviewable, and nothing in it that the broker does not enforce.
#pragma once

#include <map>
#include <string>

namespace demo {

/// policy.toml for the scenario, registering each system with the public key in
/// `public_keys` (system id -> Z85 key; every system of scenario.hpp must be present).
/// `created` is a human-readable date for the header comment.
/// The policy's [cop] section (the COP cache), with its comments. render_policy() includes
/// it; it is also what an older policy.toml, written before the demo had one, is given.
std::string cop_section();

std::string render_policy(const std::map<std::string, std::string, std::less<>>& public_keys,
                          const std::string& created);

}  // namespace demo
