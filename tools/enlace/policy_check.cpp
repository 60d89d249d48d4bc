// enlace policy check FILE: the same verdict as `enlace-broker --check-policy`, for
// reviewing a policy change before it is deployed.
#include <fmt/format.h>

#include <cstdio>
#include <span>

#include "commands.hpp"
#include "enlace/policy/policy.hpp"
#include "json_codec.hpp"

namespace enlace::cli {
namespace {

constexpr OptionSpec kOptions[] = {{"json", false}};

constexpr std::string_view kUsage = R"usage(usage: enlace policy check FILE [--json]

Loads a coalition policy file exactly as the broker does. Prints a summary when it is
valid:
  FILE: OK: coalition 'NAME', 5 nations, 4 roles, 12 systems, 2 agreements, digest HEX
and otherwise every problem found, one per line, as
  FILE:LINE: error: MESSAGE

--json prints one JSON object on stdout instead, valid or not:
  {"file":...,"ok":true,"coalition":...,"nations":5,"roles":4,"systems":12,
   "agreements":2,"digest":...}
  {"file":...,"ok":false,"errors":[{"line":75,"message":...}]}

Exit status: 0 valid, 1 invalid or unreadable, 2 usage error.
)usage";

int run(const Args& args) {
  if (args.positional().size() != 1) throw UsageError("policy check wants exactly one FILE");
  const std::string& file = args.positional()[0];
  const bool json = args.has("json");
  try {
    const auto policy = policy::Policy::load_file(file);
    if (json) {
      fmt::print(R"({{"file":{},"ok":true,"coalition":{},"nations":{},"roles":{},"systems":{},)"
                 R"("agreements":{},"digest":{}}})"
                 "\n",
                 json_quote(file), json_quote(policy->coalition()), policy->nations().size(),
                 policy->roles().size(), policy->systems().size(), policy->agreements().size(),
                 json_quote(policy->digest()));
      return kExitOk;
    }
    fmt::print(
        "{}: OK: coalition '{}', {} nations, {} roles, {} systems, {} agreements, digest {}\n",
        file, policy->coalition(), policy->nations().size(), policy->roles().size(),
        policy->systems().size(), policy->agreements().size(), policy->digest());
    return kExitOk;
  } catch (const policy::PolicyError& e) {
    if (json) {
      std::string errors;
      for (const policy::Diagnostic& d : e.diagnostics()) {
        errors +=
            fmt::format(R"({}{{"file":{},"line":{},"message":{}}})", errors.empty() ? "" : ",",
                        json_quote(d.where.file), d.where.line, json_quote(d.message));
      }
      fmt::print(R"({{"file":{},"ok":false,"errors":[{}]}})"
                 "\n",
                 json_quote(file), errors);
      return kExitFailure;
    }
    for (const policy::Diagnostic& d : e.diagnostics()) {
      fmt::print(stderr, "{}:{}: error: {}\n", d.where.file, d.where.line, d.message);
    }
    fmt::print(stderr, "{}: {} error(s)\n", file, e.diagnostics().size());
  } catch (const std::exception& e) {
    if (json) {
      fmt::print(R"({{"file":{},"ok":false,"errors":[{{"file":{},"line":0,"message":{}}}]}})"
                 "\n",
                 json_quote(file), json_quote(file), json_quote(e.what()));
      return kExitFailure;
    }
    fmt::print(stderr, "{}: error: {}\n", file, e.what());
  }
  return kExitFailure;
}

}  // namespace

const Command& policy_check_command() {
  static const Command command{"policy check", "validate a policy file, every error with its line",
                               kUsage, kOptions, run};
  return command;
}

}  // namespace enlace::cli
