// enlace policy check FILE: the same verdict as `enlace-broker --check-policy`, for
// reviewing a policy change before it is deployed.
#include <fmt/format.h>

#include <cstdio>
#include <span>

#include "commands.hpp"
#include "enlace/policy/policy.hpp"

namespace enlace::cli {
namespace {

constexpr std::string_view kUsage = R"usage(usage: enlace policy check FILE

Loads a coalition policy file exactly as the broker does. Prints a summary when it is
valid:
  FILE: OK: coalition 'NAME', 5 nations, 4 roles, 12 systems, 2 agreements, digest HEX
and otherwise every problem found, one per line, as
  FILE:LINE: error: MESSAGE

Exit status: 0 valid, 1 invalid or unreadable, 2 usage error.
)usage";

int run(const Args& args) {
  if (args.positional().size() != 1) throw UsageError("policy check wants exactly one FILE");
  const std::string& file = args.positional()[0];
  try {
    const auto policy = policy::Policy::load_file(file);
    fmt::print(
        "{}: OK: coalition '{}', {} nations, {} roles, {} systems, {} agreements, digest {}\n",
        file, policy->coalition(), policy->nations().size(), policy->roles().size(),
        policy->systems().size(), policy->agreements().size(), policy->digest());
    return kExitOk;
  } catch (const policy::PolicyError& e) {
    for (const policy::Diagnostic& d : e.diagnostics()) {
      fmt::print(stderr, "{}:{}: error: {}\n", d.where.file, d.where.line, d.message);
    }
    fmt::print(stderr, "{}: {} error(s)\n", file, e.diagnostics().size());
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}: error: {}\n", file, e.what());
  }
  return kExitFailure;
}

}  // namespace

const Command& policy_check_command() {
  static const Command command{"policy check", "validate a policy file, every error with its line",
                               kUsage, std::span<const OptionSpec>(), run};
  return command;
}

}  // namespace enlace::cli
