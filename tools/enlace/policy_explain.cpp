// enlace policy explain: answers one authorization question from a policy file, the way
// the broker would decide it, and names the rule that decided.
//
// Publish and subscribe questions are the broker's own decisions (Policy::explain_publish,
// Policy::check_subscribe). A delivery question combines the publish decision with the
// message's audience (Policy::audience) and then explains the audience from the
// declarations it came from: the label, the sharing agreements and the release cap.
#include <array>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "commands.hpp"
#include "enlace/policy/policy.hpp"
#include "enlace/topic.hpp"
#include "json_codec.hpp"

namespace enlace::cli {
namespace {

using policy::NationMask;
using policy::Policy;

constexpr std::array<OptionSpec, 8> kOptions = {{
    {"json", false},
    {"system", true},
    {"publish", true},
    {"subscribe", true},
    {"deliver", true},
    {"to", true},
    {"release", true},
    {"classification", true},
}};

constexpr std::string_view kUsage =
    R"usage(usage: enlace policy explain FILE --system ID --publish TOPIC
       enlace policy explain FILE --system ID --subscribe PATTERN
       enlace policy explain FILE --system ID --deliver TOPIC --to NATION
                                  [--release NATIONS] [--classification LEVEL]
       (each with [--json])

Answers one question from a policy file, as the broker would decide it, and names the
rule that decided:
  --publish TOPIC      may system ID publish on TOPIC?
  --subscribe PATTERN  may system ID subscribe to PATTERN?
  --deliver TOPIC      would NATION receive a message that system ID publishes on TOPIC?
    --to NATION          the receiving nation, e.g. PER
    --release NATIONS    the message's releasable-to list, e.g. ECU,PER (default: none,
                         so the sharing agreements decide)
    --classification L   the message's classification (default UNCLASSIFIED)

Prints "answer: allowed" or "answer: denied", the error code a client would get when
there is one ("error: publish_denied (202)"), and "reason: ..." naming the rule, agreement
or cap that decided. --deliver also prints the computed audience ("audience: COL,ECU,PER").
--json prints the same fields as one JSON object: {"question": ..., "answer": ..., ...}.

Exit status: 0 allowed, 1 denied, 2 usage error or a policy file that does not load.
)usage";

constexpr NationMask bit(unsigned index) noexcept {
  return index < policy::kMaxNations ? NationMask{1} << index : NationMask{0};
}

std::string cite(const policy::SourceLocation& where) {
  return std::filesystem::path(where.file).filename().string() + ":" + std::to_string(where.line);
}

std::string code_text(Errc code) {
  return std::string(to_string(code)) + " (" + std::to_string(static_cast<unsigned>(code)) + ")";
}

// The answer's "key: value" lines, printed as they are or as one JSON object.
class Answer {
 public:
  bool json = false;
  void put(std::string key, std::string value) {
    fields_.emplace_back(std::move(key), std::move(value));
  }
  void print() const {
    if (!json) {
      for (const auto& [key, value] : fields_) std::printf("%s: %s\n", key.c_str(), value.c_str());
      return;
    }
    std::string object = "{";
    for (const auto& [key, value] : fields_)
      object += (object.size() > 1 ? "," : "") + json_quote(key) + ":" + json_quote(value);
    std::printf("%s}\n", object.c_str());
  }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

Answer out;  // one question per run

void print_answer(const policy::Decision& decision) {
  out.put("answer", decision.allowed ? "allowed" : "denied");
  if (!decision.allowed) out.put("error", code_text(decision.code));
  if (!decision.reason.empty()) out.put("reason", decision.reason);
}

std::string describe_system(const Policy& p, const policy::System& system) {
  return system.id + " (" + p.nations()[system.nation].code + ", role " +
         p.roles()[system.role].name + ")";
}

int exit_for(bool allowed) {
  return allowed ? kExitOk : kExitFailure;
}

int explain_publish(const Policy& p, const policy::System& system, const std::string& topic) {
  out.put("question", "may " + describe_system(p, system) + " publish on '" + topic + "'?");
  const policy::Decision decision = p.explain_publish(system, topic);
  print_answer(decision);
  return exit_for(decision.allowed);
}

int explain_subscribe(const Policy& p, const policy::System& system, const std::string& pattern) {
  out.put("question", "may " + describe_system(p, system) + " subscribe to '" + pattern + "'?");
  const policy::Decision decision = p.check_subscribe(system, pattern);
  print_answer(decision);
  return exit_for(decision.allowed);
}

// The agreements the origin nation is a party of that cover `topic`, as
// "agreement 'putumayo' (policy.toml:60) shares 'track.>' among COL,ECU,PER".
struct AgreementMatch {
  const policy::Agreement* agreement;
  std::string pattern;
};

std::vector<AgreementMatch> matching_agreements(const Policy& p, unsigned origin_nation,
                                                std::string_view topic) {
  std::vector<AgreementMatch> matches;
  for (const policy::Agreement& agreement : p.agreements()) {
    if ((agreement.parties & bit(origin_nation)) == 0) continue;
    for (const std::string& pattern : agreement.topics) {
      if (topic::matches(pattern, topic)) {
        matches.push_back({&agreement, pattern});
        break;
      }
    }
  }
  return matches;
}

std::string describe(const Policy& p, const AgreementMatch& match) {
  return "agreement '" + match.agreement->name + "' (" + cite(match.agreement->where) +
         ") shares '" + match.pattern + "' among " + p.nation_list(match.agreement->parties);
}

std::string describe_cap(const policy::Nation& nation) {
  if (nation.release_cap_where.line > 0) {
    return nation.code + "'s release_cap (" + cite(nation.release_cap_where) + ")";
  }
  return nation.code + "'s release cap (no release_cap key at " + cite(nation.where) +
         ", so the nations of its agreements)";
}

// Why `to` is or is not in the audience computed from an empty label.
std::string explain_by_agreement(const Policy& p, const policy::Nation& home,
                                 const policy::Nation& to, std::string_view topic, bool in_audience,
                                 std::string& hint) {
  const auto matches = matching_agreements(p, home.index, topic);
  std::string why = "the label releases to no nation, so the sharing agreements decide: ";
  if (matches.empty()) {
    return why + "no agreement " + home.code + " is a party of covers '" + std::string(topic) +
           "', so only " + home.code + " receives it";
  }
  NationMask shared = 0;
  std::string listed;
  for (const AgreementMatch& match : matches) {
    shared |= match.agreement->parties;
    if (!listed.empty()) listed += "; ";
    listed += describe(p, match);
  }
  if (in_audience) {
    for (const AgreementMatch& match : matches) {
      if (match.agreement->parties & bit(to.index)) return why + describe(p, match);
    }
  }
  if ((shared & bit(to.index)) != 0) {
    return why + listed + "; but " + to.code + " is beyond " + describe_cap(home);
  }
  if ((home.release_cap & bit(to.index)) != 0) {
    hint = "a label releasing to " + to.code + " (--release) would reach it: it is within " +
           describe_cap(home);
  }
  return why + listed + "; none includes " + to.code;
}

int explain_delivery(const Policy& p, const policy::System& system, const Args& args,
                     const std::string& topic) {
  const std::string to_code = args.required("to");
  const auto to_index = p.nation_index(to_code);
  if (!to_index) {
    throw UsageError("--to: no nation '" + to_code +
                     "' in the policy (nations: " + p.nation_list(~NationMask{0}) + ")");
  }
  std::vector<std::string> release;
  if (auto text = args.value("release")) release = split_list(*text, "release");
  auto level = wire::Classification::Unclassified;
  if (auto text = args.value("classification")) {
    const auto parsed = classification_from_name(*text);
    if (!parsed) throw UsageError("unknown classification '" + *text + "'");
    level = *parsed;
  }
  const policy::Nation& home = p.nations()[system.nation];
  const policy::Nation& to = p.nations()[*to_index];

  std::string release_text;
  for (const auto& code : release) release_text += (release_text.empty() ? "" : ",") + code;
  out.put("question", "would " + to.code + " receive a message " + describe_system(p, system) +
                          " publishes on '" + topic + "' labelled " +
                          std::string(classification_name(level)) + ", releasable to " +
                          (release.empty() ? "(none: the agreements decide)" : release_text) + "?");

  // A message the broker refuses at publish time reaches no one.
  const policy::Decision publish = p.explain_publish(system, topic);
  out.put("publish", publish.allowed ? publish.reason : "denied: " + publish.reason);
  if (!publish.allowed) {
    out.put("audience", "none (the broker refuses the message)");
    print_answer(publish);
    return kExitFailure;
  }

  std::vector<std::string_view> views(release.begin(), release.end());
  const policy::Audience audience =
      p.audience(system, topic, views, static_cast<policy::Classification>(level));
  if (!audience.label.allowed) {
    out.put("audience", "none (the broker refuses the label)");
    print_answer(audience.label);
    return kExitFailure;
  }
  out.put("audience", p.nation_list(audience.nations));

  const bool in_audience = (audience.nations & bit(to.index)) != 0;
  std::string reason;
  std::string hint;
  if (to.index == home.index) {
    reason = to.code + " is the origin nation, which always receives its own messages";
  } else if (!release.empty()) {
    reason = in_audience ? "the label releases it to " + to.code + ", within " + describe_cap(home)
                         : "the label releases it to " + release_text +
                               " only; with a label, the agreements' "
                               "defaults do not apply";
    if (!in_audience && (home.release_cap & bit(to.index)) != 0) {
      hint =
          "adding " + to.code + " to --release would reach it: it is within " + describe_cap(home);
    }
  } else {
    reason = explain_by_agreement(p, home, to, topic, in_audience, hint);
  }
  out.put("answer", in_audience ? "allowed" : "denied");
  out.put("reason", reason);
  if (!hint.empty()) out.put("hint", hint);
  if (in_audience)
    out.put("note",
            "a system of " + to.code + " receives it only through a subscription its role allows");
  return exit_for(in_audience);
}

int run(const Args& args) {
  if (args.positional().size() != 1) throw UsageError("policy explain wants exactly one FILE");
  const std::string& file = args.positional()[0];
  const int questions =
      int(args.has("publish")) + int(args.has("subscribe")) + int(args.has("deliver"));
  if (questions != 1) throw UsageError("ask exactly one of --publish, --subscribe or --deliver");
  if (!args.has("deliver")) {
    for (const char* option : {"to", "release", "classification"}) {
      if (args.has(option))
        throw UsageError(std::string("--") + option + " goes with --deliver only");
    }
  }
  const std::string system_id = args.required("system");

  std::shared_ptr<const Policy> p;
  try {
    p = Policy::load_file(file);
  } catch (const policy::PolicyError& e) {
    for (const policy::Diagnostic& d : e.diagnostics()) {
      std::fprintf(stderr, "%s:%d: error: %s\n", d.where.file.c_str(), d.where.line,
                   d.message.c_str());
    }
    std::fprintf(stderr, "%s: does not load; `enlace policy check` lists its problems\n",
                 file.c_str());
    return kExitUsage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: error: %s\n", file.c_str(), e.what());
    return kExitUsage;
  }
  const policy::System* system = p->find_system(system_id);
  if (system == nullptr) {
    std::string known;
    for (const policy::System& s : p->systems()) known += (known.empty() ? "" : ", ") + s.id;
    throw UsageError("no system '" + system_id + "' in " + file + " (systems: " + known + ")");
  }

  out.json = args.has("json");
  int status = kExitOk;
  if (auto topic = args.value("publish")) {
    status = explain_publish(*p, *system, *topic);
  } else if (auto pattern = args.value("subscribe")) {
    status = explain_subscribe(*p, *system, *pattern);
  } else {
    status = explain_delivery(*p, *system, args, *args.value("deliver"));
  }
  out.print();
  return status;
}

}  // namespace

const Command& policy_explain_command() {
  static const Command command{"policy explain",
                               "may a system publish, subscribe, or reach a nation? and why",
                               kUsage, kOptions, run};
  return command;
}

}  // namespace enlace::cli
