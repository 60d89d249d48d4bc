// Queries on a loaded policy: lookups and the authorization decisions the broker asks for
// every publish, subscribe and message label. Loading lives in policy_loader.cpp.
//
// check_publish and audience run once per message, so their allowed paths do not allocate:
// an allowed Decision carries an empty reason, and topic matching works on string views.
// Refusals are rare and are worth a precise sentence, so only they format text.
#include "enlace/policy/policy.hpp"

#include <fmt/format.h>

#include "enlace/topic.hpp"
#include "policy_syntax.hpp"

namespace enlace::policy {
namespace {

// A bit for nation `index`; 0 past the mask width, so a policy being rejected for having
// too many nations never shifts out of range.
constexpr NationMask bit(unsigned index) noexcept {
  return index < kMaxNations ? NationMask{1} << index : NationMask{0};
}

std::string_view role_name(const std::vector<Role>& roles, const System& system) noexcept {
  return system.role < roles.size() ? std::string_view(roles[system.role].name) : "?";
}

std::string cite(const SourceLocation& where) {
  return fmt::format("{}:{}", detail::file_name(where.file), where.line);
}

Decision refuse(Errc code, std::string reason) {
  return {false, code, std::move(reason)};
}

Decision revoked_decision(const System& system) {
  return refuse(Errc::revoked,
                fmt::format("system '{}' is revoked ({})", system.id, cite(system.where)));
}

// "'track.COL.>' (policy.toml:42), 'alert.COL.>' (policy.toml:43)", or a note that there
// are none, so a refusal tells the operator what the role could have done instead.
std::string list_rules(const std::vector<Rule>& rules, std::string_view kind) {
  if (rules.empty()) return fmt::format("the role has no {} rules", kind);
  std::string out = "rules: ";
  for (std::size_t i = 0; i < rules.size(); ++i) {
    if (i > 0) out += ", ";
    out += fmt::format("'{}' ({})", rules[i].pattern, cite(rules[i].where));
  }
  return out;
}

Decision decide_publish(const System& system, std::string_view role, std::string_view topic,
                        const topic::Tokens& tokens, bool explain) {
  if (system.revoked) return revoked_decision(system);
  if (!topic::is_valid_topic(tokens)) {
    return refuse(Errc::invalid_topic,
                  fmt::format("'{}' is not a valid topic: {}", detail::printable(topic),
                              detail::topic_problem(topic, false)));
  }
  if (system.rules == nullptr) {
    // A System not compiled by this policy: fail closed rather than guess.
    return refuse(Errc::publish_denied,
                  fmt::format("system '{}' has no rules in this policy", system.id));
  }
  for (const Rule& rule : system.rules->publish_deny) {
    if (topic::matches(rule.tokens, tokens)) {
      return refuse(Errc::publish_denied,
                    fmt::format("publishing on '{}' is denied by {}", topic, rule.describe()));
    }
  }
  for (const Rule& rule : system.rules->publish_allow) {
    if (topic::matches(rule.tokens, tokens)) {
      if (!explain) return {true, Errc::ok, {}};
      return {true, Errc::ok, fmt::format("allowed by {}", rule.describe())};
    }
  }
  return refuse(Errc::publish_denied,
                fmt::format("no publish.allow rule of role '{}' matches '{}' ({})", role, topic,
                            list_rules(system.rules->publish_allow, "publish.allow")));
}

}  // namespace

PolicyError::PolicyError(std::vector<Diagnostic> diagnostics)
    : std::runtime_error([&] {
        std::string text;
        for (const Diagnostic& d : diagnostics) {
          if (!text.empty()) text += '\n';
          text += fmt::format("{}:{}: {}", d.where.file, d.where.line, d.message);
        }
        return text;
      }()),
      diagnostics_(std::move(diagnostics)) {}

std::string Rule::describe() const {
  return fmt::format("role '{}' {} '{}' ({})", role, kind, written, cite(where));
}

// The indices are keyed by std::string, so a lookup copies its argument; refusing lengths
// no id or key can have keeps a hostile caller from making that copy large.
constexpr std::size_t kMaxIdLength = 64;
constexpr std::size_t kKeyLength = 40;

const System* Policy::find_system(std::string_view id) const noexcept {
  if (id.size() > kMaxIdLength) return nullptr;
  const auto it = system_by_id_.find(std::string(id));
  return it == system_by_id_.end() ? nullptr : &systems_[it->second];
}

const System* Policy::find_system_by_key(std::string_view z85_public_key) const noexcept {
  // Revoked systems were never entered in this index, so their keys fail the handshake.
  if (z85_public_key.size() != kKeyLength) return nullptr;
  const auto it = system_by_key_.find(std::string(z85_public_key));
  return it == system_by_key_.end() ? nullptr : &systems_[it->second];
}

std::optional<unsigned> Policy::nation_index(std::string_view code) const noexcept {
  // At most 64 three-letter codes: a scan beats hashing and needs no allocation.
  for (const Nation& nation : nations_) {
    if (nation.code == code) return nation.index;
  }
  return std::nullopt;
}

Decision Policy::check_publish(const System& system, std::string_view topic) const {
  topic::Tokens tokens;
  tokens.split(topic);  // left empty when it fails: decide_publish then refuses the topic
  return check_publish(system, topic, tokens);
}

Decision Policy::check_publish(const System& system, std::string_view topic,
                               const topic::Tokens& tokens) const {
  return decide_publish(system, role_name(roles_, system), topic, tokens, false);
}

Decision Policy::explain_publish(const System& system, std::string_view topic) const {
  topic::Tokens tokens;
  tokens.split(topic);
  return decide_publish(system, role_name(roles_, system), topic, tokens, true);
}

Decision Policy::check_subscribe(const System& system, std::string_view pattern) const {
  if (system.revoked) return revoked_decision(system);
  if (!topic::is_valid_pattern(pattern)) {
    return refuse(Errc::invalid_pattern,
                  fmt::format("'{}' is not a valid pattern: {}", detail::printable(pattern),
                              detail::topic_problem(pattern, true)));
  }
  const std::string_view role = role_name(roles_, system);
  if (system.rules == nullptr) {
    return refuse(Errc::subscribe_denied,
                  fmt::format("system '{}' has no rules in this policy", system.id));
  }
  const RuleSet& rules = *system.rules;
  if (!rules.wildcard_subscribe && topic::has_wildcard(pattern)) {
    const std::string where =
        system.role < roles_.size() ? cite(roles_[system.role].where) : std::string("?");
    return refuse(Errc::wildcard_forbidden,
                  fmt::format("role '{}' ({}) may not subscribe with wildcards ('*' or '>'): "
                              "its wildcard_subscribe is false; subscribe to literal topics",
                              role, where));
  }
  // A deny rule refuses any subscription that could receive one of its topics: the broker
  // never grants part of a pattern and silently filters the rest.
  for (const Rule& rule : rules.subscribe_deny) {
    if (topic::overlaps(rule.pattern, pattern)) {
      return refuse(Errc::subscribe_denied,
                    fmt::format("'{}' overlaps {}", pattern, rule.describe()));
    }
  }
  for (const Rule& rule : rules.subscribe_allow) {
    if (topic::contains(rule.pattern, pattern)) {
      return {true, Errc::ok, fmt::format("allowed by {}", rule.describe())};
    }
  }
  return refuse(Errc::subscribe_denied,
                fmt::format("'{}' is not inside any subscribe.allow rule of role '{}' ({})",
                            pattern, role, list_rules(rules.subscribe_allow, "subscribe.allow")));
}

Audience Policy::audience(const System& origin, std::string_view topic,
                          std::span<const std::string_view> releasable_to,
                          Classification classification) const {
  topic::Tokens tokens;
  tokens.split(topic);  // an unsplittable topic matches no agreement: own nation only
  return audience(origin, tokens, releasable_to, classification);
}

Audience Policy::audience(const System& origin, const topic::Tokens& topic,
                          std::span<const std::string_view> releasable_to,
                          Classification classification) const {
  // A refused label leaves nations at 0: the message goes nowhere, not even home.
  Audience result;
  // A value beyond the enum (a later version's level, or a garbled byte) cannot be
  // compared with the coalition's maximum: the label is malformed, not too high.
  if (classification > Classification::top_secret) {
    result.label =
        refuse(Errc::invalid_label, fmt::format("classification {} is not a defined level (0 to 5)",
                                                static_cast<unsigned>(classification)));
    return result;
  }
  if (classification > limits_.max_classification) {
    result.label = refuse(Errc::classification_exceeded,
                          fmt::format("classification {} exceeds the coalition maximum {} "
                                      "([limits] max_classification)",
                                      detail::classification_name(classification),
                                      detail::classification_name(limits_.max_classification)));
    return result;
  }
  if (origin.nation >= nations_.size()) {
    result.label = refuse(Errc::invalid_label,
                          fmt::format("system '{}' has no nation in this policy", origin.id));
    return result;
  }
  const Nation& home = nations_[origin.nation];
  if (releasable_to.empty()) {
    result.nations = default_audience(origin.nation, topic);
    result.label = {true, Errc::ok, {}};
    return result;
  }
  NationMask nations = bit(origin.nation);
  // releasable_to is a set: a code listed twice counts once (docs/protocol.md 6.1).
  for (const std::string_view code : releasable_to) {
    const std::optional<unsigned> index = nation_index(code);
    if (!index) {
      result.label = refuse(Errc::invalid_label, fmt::format("unknown nation '{}' in releasable_to",
                                                             detail::printable(code, 16)));
      return result;
    }
    if ((home.release_cap & bit(*index)) == 0) {
      const std::string why =
          home.release_cap_where.line > 0
              ? fmt::format("not within its release cap ({})", cite(home.release_cap_where))
              : fmt::format("{} shares no agreement with {}, and {} declares no release_cap ({})",
                            code, home.code, home.code, cite(home.where));
      result.label = refuse(Errc::release_not_permitted,
                            fmt::format("{} may not release to {}: {}", home.code, code, why));
      return result;
    }
    nations |= bit(*index);
  }
  result.nations = nations;
  result.label = {true, Errc::ok, {}};
  return result;
}

bool DurableStream::journals(const topic::Tokens& topic) const noexcept {
  for (const topic::Tokens& pattern : topic_tokens) {
    if (topic::matches(pattern, topic)) return true;
  }
  return false;
}

const DurableStream* Policy::durable_stream_for(const topic::Tokens& topic) const noexcept {
  for (const DurableStream& stream : durable_) {
    if (stream.journals(topic)) return &stream;
  }
  return nullptr;
}

NationMask Policy::default_audience(unsigned origin_nation, std::string_view topic) const {
  topic::Tokens tokens;
  tokens.split(topic);
  return default_audience(origin_nation, tokens);
}

bool CopPolicy::any_pattern_matches(const topic::Tokens& topic) const noexcept {
  for (const topic::Tokens& pattern : cached_tokens) {
    if (topic::matches(pattern, topic)) return true;
  }
  return false;
}

NationMask Policy::default_audience(unsigned origin_nation, const topic::Tokens& tokens) const {
  if (origin_nation >= nations_.size()) return 0;
  const NationMask own = bit(origin_nation);
  NationMask shared = own;
  for (const Agreement& agreement : agreements_) {
    // The cheap mask test first: most agreements do not involve the origin at all.
    if ((agreement.parties & own) == 0 || (agreement.parties & ~shared) == 0) continue;
    for (const topic::Tokens& pattern : agreement.topic_tokens) {
      if (topic::matches(pattern, tokens)) {
        shared |= agreement.parties;
        break;
      }
    }
  }
  return shared & nations_[origin_nation].release_cap;
}

std::string Policy::nation_list(NationMask mask) const {
  std::string out;
  for (const Nation& nation : nations_) {
    if ((mask & bit(nation.index)) == 0) continue;
    if (!out.empty()) out += ',';
    out += nation.code;
  }
  return out;
}

}  // namespace enlace::policy
