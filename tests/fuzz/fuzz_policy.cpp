// fuzz_policy: Policy::parse on arbitrary text, the broker's start-up and reload path.
//
// A PolicyError (policy.hpp: thrown by Policy::load_file / Policy::parse) is the expected
// answer to a bad file and must carry at least one diagnostic. Any other exception
// escaping parse(), a crash or undefined behaviour is a finding. A policy that loads is
// then asked the questions the broker asks, with its own names and patterns, and must keep
// the promises policy.hpp makes about its compiled form.
//
// Input: the TOML text.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "enlace/policy/policy.hpp"
#include "enlace/topic.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace enlace;
using policy::NationMask;

NationMask bit(unsigned index) {
  return index < policy::kMaxNations ? NationMask{1} << index : 0;
}

void check_lookups(const policy::Policy& p) {
  FUZZ_CHECK(!p.coalition().empty());
  FUZZ_CHECK(!p.policy_identifier().empty());
  FUZZ_CHECK(p.digest().size() == 64);
  FUZZ_CHECK(p.nations().size() <= policy::kMaxNations);
  for (std::size_t i = 0; i < p.nations().size(); ++i) {
    const policy::Nation& nation = p.nations()[i];
    FUZZ_CHECK(nation.index == i);
    FUZZ_CHECK(p.nation_index(nation.code) == nation.index);
    FUZZ_CHECK((nation.release_cap & bit(nation.index)) != 0);
  }
  for (const policy::System& system : p.systems()) {
    FUZZ_CHECK(p.find_system(system.id) == &system);
    // Revoked systems are listed, but their key opens nothing.
    const policy::System* by_key = p.find_system_by_key(system.public_key);
    FUZZ_CHECK(system.revoked ? by_key == nullptr : by_key == &system);
    FUZZ_CHECK(system.nation < p.nations().size());
    FUZZ_CHECK(system.role < p.roles().size());
    FUZZ_CHECK(system.rules != nullptr);
    for (const auto* rules : {&system.rules->publish_allow, &system.rules->publish_deny,
                              &system.rules->subscribe_allow, &system.rules->subscribe_deny}) {
      for (const policy::Rule& rule : *rules) {
        // Patterns are checked with a stand-in nation at load time; expanded with the real
        // code they must still be valid and split (Rule::tokens).
        FUZZ_CHECK(topic::is_valid_pattern(rule.pattern));
        FUZZ_CHECK(rule.tokens.size() > 0);
      }
    }
  }
  for (const policy::Agreement& agreement : p.agreements()) {
    FUZZ_CHECK(agreement.topic_tokens.size() == agreement.topics.size());
    for (const std::string& topic : agreement.topics) FUZZ_CHECK(topic::is_valid_pattern(topic));
  }
}

// The questions the broker asks, with the policy's own names and patterns as input.
void ask(const policy::Policy& p, fuzz::Sink& sink) {
  std::vector<std::string_view> patterns;
  for (const policy::Agreement& agreement : p.agreements()) {
    for (const std::string& topic : agreement.topics) patterns.push_back(topic);
  }
  for (const policy::DurableStream& stream : p.durable_streams()) {
    for (const std::string& topic : stream.topics) patterns.push_back(topic);
  }
  std::vector<std::string_view> codes;
  for (const policy::Nation& nation : p.nations()) codes.push_back(nation.code);

  for (const policy::System& system : p.systems()) {
    std::vector<std::string_view> own = patterns;
    for (const auto* rules : {&system.rules->publish_allow, &system.rules->subscribe_allow,
                              &system.rules->publish_deny, &system.rules->subscribe_deny}) {
      for (const policy::Rule& rule : *rules) own.push_back(rule.pattern);
    }
    // Bound the work per input: a policy may hold thousands of rules.
    if (own.size() > 64) own.resize(64);
    for (const std::string_view pattern : own) {
      const policy::Decision publish = p.check_publish(system, pattern);
      sink.string_view(publish.reason);
      const policy::Decision subscribe = p.check_subscribe(system, pattern);
      sink.string_view(subscribe.reason);
      for (const auto classification :
           {policy::Classification::unclassified, policy::Classification::top_secret}) {
        const policy::Audience by_agreement = p.audience(system, pattern, {}, classification);
        const policy::Audience explicit_label = p.audience(system, pattern, codes, classification);
        sink.scalar(by_agreement.nations);
        sink.scalar(explicit_label.nations);
        if (by_agreement.label.allowed) {
          FUZZ_CHECK((by_agreement.nations & bit(system.nation)) != 0);
          FUZZ_CHECK(by_agreement.nations == p.default_audience(system.nation, pattern));
        }
        sink.string_view(p.nation_list(explicit_label.nations));
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::shared_ptr<const policy::Policy> loaded;
  try {
    loaded = policy::Policy::parse(text, "fuzz");
  } catch (const policy::PolicyError& error) {
    FUZZ_CHECK(!error.diagnostics().empty());
    for (const policy::Diagnostic& d : error.diagnostics()) {
      FUZZ_CHECK(!d.message.empty());
      FUZZ_CHECK(d.where.file == "fuzz");
    }
    return 0;
  }
  FUZZ_CHECK(loaded != nullptr);
  check_lookups(*loaded);
  fuzz::Sink sink;
  ask(*loaded, sink);
  return 0;
}
