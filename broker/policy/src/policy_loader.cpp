// Reading a policy file: TOML -> checked declarations -> the compiled Policy.
//
// A policy is reviewed like code, so the loader is strict: every key must be known, every
// reference must resolve, and every problem is reported with its line, all in one pass, so
// a reviewer can fix a file in one round. Nothing is compiled until the whole file is
// clean: a Policy that exists is a Policy that passed every check.
#include <fmt/format.h>

#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <unordered_map>
#include <utility>

#include "enlace/policy/policy.hpp"
#include "enlace/topic.hpp"
#include "enlace/wire/payloads_generated.h"
#include "policy_syntax.hpp"
#include "toml_reader.hpp"

namespace enlace::policy {
namespace {

using detail::line_of;
using detail::Located;
using detail::Need;
using detail::type_name;

// Role patterns are checked at load time with this stand-in for the nation code; every
// code gives the same verdict, since a code is a plain three-letter token.
constexpr std::string_view kSampleNation = "AAA";

constexpr std::array<std::string_view, 8> kRootKeys = {
    "agreements", "coalition", "cop", "durable", "limits", "nations", "roles", "systems"};
constexpr std::array<std::string_view, 5> kCopKeys = {"cached", "default_stale_seconds",
                                                      "max_bytes", "max_entries", "stale_seconds"};
constexpr std::array<std::string_view, 2> kCoalitionKeys = {"name", "policy_identifier"};
constexpr std::array<std::string_view, 10> kLimitsKeys = {"default_burst",
                                                          "default_rate",
                                                          "max_classification",
                                                          "max_message_bytes",
                                                          "max_session_control_bytes",
                                                          "max_session_queue_bytes",
                                                          "max_sessions_per_system",
                                                          "max_subscriptions",
                                                          "resume_grace_seconds",
                                                          "slow_consumer_seconds"};
constexpr std::array<std::string_view, 2> kNationKeys = {"name", "release_cap"};
constexpr std::array<std::string_view, 4> kRoleKeys = {"description", "publish", "subscribe",
                                                       "wildcard_subscribe"};
constexpr std::array<std::string_view, 2> kDirections = {"publish", "subscribe"};
constexpr std::array<std::string_view, 2> kDirectionKeys = {"allow", "deny"};
constexpr std::array<std::string_view, 8> kSystemKeys = {
    "burst", "id", "nation", "public_key", "rate", "revoked", "role", "signing_key"};
constexpr std::array<std::string_view, 4> kAgreementKeys = {"description", "name", "parties",
                                                            "topics"};
constexpr std::array<std::string_view, 6> kDurableKeys = {
    "durability", "max_age_seconds", "max_bytes", "max_messages", "name", "topics"};

// Rule kinds in RuleSet order: direction-major, allow before deny.
constexpr std::array<std::string_view, 4> kRuleKinds = {"publish.allow", "publish.deny",
                                                        "subscribe.allow", "subscribe.deny"};

constexpr std::int64_t kMinMessageBytes = 1024;
constexpr std::int64_t kMaxMessageBytes = 16 * 1024 * 1024;
// The per-session outbound bounds (docs/policy.md): below the low end a burst of ordinary
// traffic would already drop; above the high end one stalled subscriber could hold more
// memory than a broker host should give a single peer.
constexpr std::int64_t kMinSessionQueueBytes = 64 * 1024;
constexpr std::int64_t kMaxSessionQueueBytes = 1024 * 1024 * 1024;
constexpr std::int64_t kMaxSessionsPerSystem = 100000;
constexpr std::int64_t kMaxSlowConsumerSeconds = 3600;
constexpr std::int64_t kMaxResumeGraceSeconds = 3600;
// The COP cache's bounds: beyond these one broker would hold more picture than it can hand a
// late joiner quickly (docs/performance.md, snapshot figures).
constexpr std::int64_t kMaxCopEntries = 10'000'000;
// A durable stream's bytes on disk: at least a few segments' worth, so that retention can
// drop whole segments; at most 1 TiB.
constexpr std::int64_t kMinDurableBytes = 1024 * 1024;
constexpr std::int64_t kMaxDurableBytes = std::int64_t{1} << 40;
constexpr std::int64_t kMinCopBytes = 64 * 1024;
constexpr std::int64_t kMaxCopBytes = std::int64_t{16} * 1024 * 1024 * 1024;
constexpr std::int64_t kMaxStaleSeconds = 7 * 24 * 3600;

// A bit for nation `index`; 0 past the mask width, so a file being rejected for having too
// many nations never shifts out of range while it is still being checked.
NationMask bit(unsigned index) {
  return index < kMaxNations ? NationMask{1} << index : NationMask{0};
}

}  // namespace

// Fills a Policy from TOML text. One builder per load.
class PolicyBuilder {
 public:
  PolicyBuilder(std::string_view text, std::string source)
      : text_(text), in_(std::move(source)), policy_(new Policy()) {}

  std::shared_ptr<const Policy> build() && {
    toml::table root;
    try {
      root = toml::parse(text_, std::string_view(in_.source()));
    } catch (const toml::parse_error& error) {
      // Past a syntax error the document has no reliable shape: this is the only report.
      in_.report(line_of(error.source()),
                 fmt::format("TOML syntax error: {}", error.description()));
      throw PolicyError(in_.take_diagnostics());
    }
    in_.check_keys(root, kRootKeys, "at the top level");
    read_coalition(root);
    read_limits(root);
    read_nations(root);
    read_roles(root);
    read_systems(root);
    read_agreements(root);
    read_durable(root);
    read_cop(root);
    resolve_caps();
    if (!in_.clean()) throw PolicyError(in_.take_diagnostics());
    compile();
    split_patterns();
    return std::move(policy_);
  }

 private:
  std::optional<unsigned> lookup(const std::unordered_map<std::string, unsigned>& index,
                                 const std::string& name) const {
    const auto it = index.find(name);
    return it == index.end() ? std::nullopt : std::optional<unsigned>(it->second);
  }

  // A pattern outside roles (agreement topics, durable topics): no placeholder, since there
  // is no single nation to expand it to, and valid as written.
  bool check_plain_pattern(const Located& pattern, std::string_view context) {
    if (const std::string_view bad = detail::bad_placeholder(pattern.text, false); !bad.empty()) {
      in_.report(pattern.line, fmt::format("placeholder '{}' in {} pattern '{}': placeholders "
                                           "are only expanded in role patterns",
                                           bad, context, pattern.text));
      return false;
    }
    if (!topic::is_valid_pattern(pattern.text)) {
      in_.report(pattern.line, fmt::format("invalid pattern '{}' in {}: {}", pattern.text, context,
                                           detail::topic_problem(pattern.text, true)));
      return false;
    }
    return true;
  }

  // ---- sections ------------------------------------------------------------------------

  void read_coalition(const toml::table& root) {
    const toml::node* node = root.get("coalition");
    const toml::table* coalition = node ? node->as_table() : nullptr;
    if (coalition == nullptr) {
      in_.report(node ? line_of(*node) : 1,
                 "a [coalition] table with 'name' and 'policy_identifier' is required");
      return;
    }
    in_.check_keys(*coalition, kCoalitionKeys, "in [coalition]");
    for (const std::string_view key : kCoalitionKeys) {
      const auto* value = in_.get<std::string>(*coalition, key, "[coalition]", Need::required);
      if (value == nullptr) continue;
      if (value->get().empty()) {
        in_.report(*value, fmt::format("'{}' in [coalition] must not be empty", key));
      }
      (key == "name" ? policy_->coalition_ : policy_->policy_identifier_) = value->get();
    }
  }

  void read_limits(const toml::table& root) {
    const toml::table* limits = in_.get<toml::table>(root, "limits", "the policy");
    if (limits == nullptr) return;
    Limits& out = policy_->limits_;
    in_.check_keys(*limits, kLimitsKeys, "in [limits]");
    if (const auto* bytes = in_.get<std::int64_t>(*limits, "max_message_bytes", "[limits]")) {
      if (bytes->get() < kMinMessageBytes || bytes->get() > kMaxMessageBytes) {
        in_.report(*bytes, fmt::format("max_message_bytes must be between {} and {}, not {}",
                                       kMinMessageBytes, kMaxMessageBytes, bytes->get()));
      }
      out.max_message_bytes = static_cast<std::size_t>(bytes->get());
    }
    if (const auto rate = in_.get_number(*limits, "default_rate", "[limits]")) {
      if (*rate <= 0) {
        in_.report(*limits->get("default_rate"),
                   fmt::format("default_rate must be above 0 messages per second, not {}", *rate));
      }
      out.default_rate_per_second = *rate;
    }
    if (const auto burst = in_.get_number(*limits, "default_burst", "[limits]")) {
      if (*burst < 1) {
        in_.report(*limits->get("default_burst"),
                   fmt::format("default_burst must be at least 1 message, not {}", *burst));
      }
      out.default_burst = *burst;
    }
    if (const auto* subs = in_.get<std::int64_t>(*limits, "max_subscriptions", "[limits]")) {
      if (subs->get() < 1) {
        in_.report(*subs, fmt::format("max_subscriptions must be at least 1, not {}", subs->get()));
      }
      out.max_subscriptions_per_session = static_cast<std::size_t>(subs->get());
    }
    read_bytes_limit(*limits, "max_session_queue_bytes", out.max_session_queue_bytes);
    read_bytes_limit(*limits, "max_session_control_bytes", out.max_session_control_bytes);
    if (const auto* sessions =
            in_.get<std::int64_t>(*limits, "max_sessions_per_system", "[limits]")) {
      if (sessions->get() < 1 || sessions->get() > kMaxSessionsPerSystem) {
        in_.report(*sessions,
                   fmt::format("max_sessions_per_system must be between 1 and {}, not {}",
                               kMaxSessionsPerSystem, sessions->get()));
      }
      out.max_sessions_per_system = static_cast<std::size_t>(sessions->get());
    }
    if (const auto* seconds = in_.get<std::int64_t>(*limits, "slow_consumer_seconds", "[limits]")) {
      if (seconds->get() < 1 || seconds->get() > kMaxSlowConsumerSeconds) {
        in_.report(*seconds, fmt::format("slow_consumer_seconds must be between 1 and {}, not {}",
                                         kMaxSlowConsumerSeconds, seconds->get()));
      }
      out.slow_consumer_seconds = seconds->get();
    }
    if (const auto* seconds = in_.get<std::int64_t>(*limits, "resume_grace_seconds", "[limits]")) {
      if (seconds->get() < 0 || seconds->get() > kMaxResumeGraceSeconds) {
        in_.report(*seconds, fmt::format("resume_grace_seconds must be between 0 and {}, not {}",
                                         kMaxResumeGraceSeconds, seconds->get()));
      }
      out.resume_grace_seconds = seconds->get();
    }
    if (const auto* level = in_.get<std::string>(*limits, "max_classification", "[limits]")) {
      if (const auto parsed = detail::parse_classification(level->get())) {
        out.max_classification = *parsed;
      } else {
        in_.report(*level, fmt::format("max_classification '{}' is not one of UNMARKED, "
                                       "UNCLASSIFIED, RESTRICTED, CONFIDENTIAL, SECRET, "
                                       "TOP_SECRET",
                                       level->get()));
      }
    }
  }

  // A per-session byte bound of [limits], kMinSessionQueueBytes to kMaxSessionQueueBytes.
  void read_bytes_limit(const toml::table& limits, std::string_view key, std::size_t& out) {
    const auto* bytes = in_.get<std::int64_t>(limits, key, "[limits]");
    if (bytes == nullptr) return;
    if (bytes->get() < kMinSessionQueueBytes || bytes->get() > kMaxSessionQueueBytes) {
      in_.report(*bytes, fmt::format("{} must be between {} and {}, not {}", key,
                                     kMinSessionQueueBytes, kMaxSessionQueueBytes, bytes->get()));
    }
    out = static_cast<std::size_t>(bytes->get());
  }

  void read_nations(const toml::table& root) {
    const toml::table* nations = in_.get<toml::table>(root, "nations", "the policy");
    if (nations == nullptr) return;
    auto& out = policy_->nations_;
    // toml++ keeps a table's keys sorted, so indices follow the alphabetical order of codes.
    for (auto&& [key, node] : *nations) {
      const std::string code(key.str());
      const int line = line_of(key.source());
      if (!detail::is_nation_code(code)) {
        in_.report(line, fmt::format("nation code '{}' must be exactly 3 uppercase letters "
                                     "(ISO 3166-1 alpha-3, e.g. COL)",
                                     code));
      }
      if (out.size() == kMaxNations) {
        in_.report(line, fmt::format("too many nations: '{}' would be number {}, and a policy "
                                     "may declare at most {} (the width of a nation mask)",
                                     code, kMaxNations + 1, kMaxNations));
      }
      // Registered even when faulty, so references to it add no spurious diagnostics.
      Nation nation;
      nation.code = code;
      nation.name = code;
      nation.index = static_cast<unsigned>(out.size());
      nation.where = in_.at(line);
      nation_index_.emplace(code, nation.index);
      const std::string context = fmt::format("nation '{}'", code);
      if (const toml::table* table = node.as_table()) {
        in_.check_keys(*table, kNationKeys, "in " + context);
        if (const auto* name = in_.get<std::string>(*table, "name", context)) {
          nation.name = name->get();
        }
        if (const toml::node* cap = table->get("release_cap")) {
          nation.release_cap_where = in_.at(line_of(*cap));
          explicit_caps_[nation.index] = in_.get_strings(*table, "release_cap", context);
        }
      } else {
        in_.report(node, fmt::format("{} must be a table ([nations.{}]), not {}", context, code,
                                     type_name(node.type())));
      }
      out.push_back(std::move(nation));
    }
  }

  void read_roles(const toml::table& root) {
    const toml::table* roles = in_.get<toml::table>(root, "roles", "the policy");
    if (roles == nullptr) return;
    for (auto&& [key, node] : *roles) {
      Role role;
      role.name = std::string(key.str());
      role.where = in_.at(line_of(key.source()));
      role_index_.emplace(role.name, static_cast<unsigned>(policy_->roles_.size()));
      std::array<std::vector<Located>, kRuleKinds.size()> rules;
      const std::string context = fmt::format("role '{}'", role.name);
      if (const toml::table* table = node.as_table()) {
        in_.check_keys(*table, kRoleKeys, "in " + context);
        if (const auto* text = in_.get<std::string>(*table, "description", context)) {
          role.description = text->get();
        }
        if (const auto* flag = in_.get<bool>(*table, "wildcard_subscribe", context)) {
          role.wildcard_subscribe = flag->get();
        }
        for (std::size_t d = 0; d < kDirections.size(); ++d) {
          const toml::table* direction = in_.get<toml::table>(*table, kDirections[d], context);
          if (direction == nullptr) continue;
          in_.check_keys(*direction, kDirectionKeys,
                         fmt::format("in {} {}", context, kDirections[d]));
          for (std::size_t k = 0; k < kDirectionKeys.size(); ++k) {
            const std::size_t kind = d * kDirectionKeys.size() + k;
            rules[kind] = read_role_patterns(*direction, role.name, kind);
          }
        }
      } else {
        in_.report(node, fmt::format("{} must be a table ([roles.{}]), not {}", context, role.name,
                                     type_name(node.type())));
      }
      for (std::size_t kind = 0; kind < rules.size(); ++kind) {
        for (const Located& written : rules[kind])
          role.written_rules.push_back(fmt::format("{} {}", kRuleKinds[kind], written.text));
      }
      role_rules_.push_back(std::move(rules));
      policy_->roles_.push_back(std::move(role));
    }
  }

  // One list (e.g. publish.allow) of a role, each pattern checked with a sample nation.
  std::vector<Located> read_role_patterns(const toml::table& direction, const std::string& role,
                                          std::size_t kind) {
    const std::string_view list = kDirectionKeys[kind % kDirectionKeys.size()];
    const std::string where = fmt::format("role '{}' {}", role, kRuleKinds[kind]);
    const std::string context =
        fmt::format("role '{}' {}", role, kDirections[kind / kDirectionKeys.size()]);
    std::vector<Located> out;
    for (Located& pattern : in_.get_strings(direction, list, context)) {
      if (const std::string_view bad = detail::bad_placeholder(pattern.text, true); !bad.empty()) {
        in_.report(pattern.line, fmt::format("unknown placeholder '{}' in {} pattern '{}'; "
                                             "only {} is expanded",
                                             bad, where, pattern.text, detail::kNationPlaceholder));
        continue;
      }
      const std::string sample = detail::expand_nation(pattern.text, kSampleNation);
      if (!topic::is_valid_pattern(sample)) {
        in_.report(pattern.line, fmt::format("invalid pattern '{}' in {}: {}", pattern.text, where,
                                             detail::topic_problem(sample, true)));
        continue;
      }
      out.push_back(std::move(pattern));
    }
    return out;
  }

  void read_systems(const toml::table& root) {
    std::unordered_map<std::string, int> id_lines;
    std::unordered_map<std::string, std::string> key_owners;
    for (const toml::table* table : in_.get_tables(root, "systems")) {
      System system;
      system.where = in_.at(line_of(*table));
      system.rate_per_second = policy_->limits_.default_rate_per_second;
      system.burst = policy_->limits_.default_burst;
      std::string context = fmt::format("the system at line {}", system.where.line);
      if (const auto* id = in_.get<std::string>(*table, "id", context, Need::required)) {
        system.id = id->get();
        if (!detail::is_system_id(system.id)) {
          in_.report(*id, fmt::format("system id '{}' must be 1-64 characters of a-z, 0-9, "
                                      "'-', '_' and '.', starting with a letter or digit",
                                      system.id));
        } else if (const auto [it, fresh] = id_lines.emplace(system.id, line_of(*id)); !fresh) {
          in_.report(*id, fmt::format("duplicate system id '{}'; it is already used at line {}",
                                      system.id, it->second));
        }
        context = fmt::format("system '{}'", system.id);
      }
      in_.check_keys(*table, kSystemKeys, "in " + context);
      if (const auto* code = in_.get<std::string>(*table, "nation", context, Need::required)) {
        if (const auto index = lookup(nation_index_, code->get())) {
          system.nation = *index;
        } else {
          in_.report(*code, fmt::format("{} names nation '{}', which is not declared in "
                                        "[nations]",
                                        context, code->get()));
        }
      }
      if (const auto* role = in_.get<std::string>(*table, "role", context, Need::required)) {
        if (const auto index = lookup(role_index_, role->get())) {
          system.role = *index;
        } else {
          in_.report(*role, fmt::format("{} names role '{}', which is not declared in [roles]",
                                        context, role->get()));
        }
      }
      if (const auto* key = in_.get<std::string>(*table, "public_key", context, Need::required)) {
        system.public_key = key->get();
        if (const std::string problem = detail::z85_problem(system.public_key); !problem.empty()) {
          in_.report(*key, fmt::format("public_key of {} is not a Z85 CURVE public key: {}",
                                       context, problem));
        } else if (const auto [it, fresh] = key_owners.emplace(system.public_key, context);
                   !fresh) {
          // The key identifies the system at the handshake: two systems cannot share one.
          in_.report(*key, fmt::format("public_key of {} is already the key of {}; every "
                                       "system needs its own key",
                                       context, it->second));
        }
      }
      if (const auto* key = in_.get<std::string>(*table, "signing_key", context)) {
        system.signing_key = key->get();
        if (!detail::is_ed25519_base64(system.signing_key)) {
          in_.report(*key, fmt::format("signing_key of {} must be a base64 Ed25519 public key "
                                       "(32 bytes, 44 characters)",
                                       context));
        }
      }
      if (const auto rate = in_.get_number(*table, "rate", context)) {
        if (*rate <= 0) {
          in_.report(*table->get("rate"),
                     fmt::format("rate of {} must be above 0 messages per second, not {}", context,
                                 *rate));
        }
        system.rate_per_second = *rate;
      }
      if (const auto burst = in_.get_number(*table, "burst", context)) {
        if (*burst < 1) {
          in_.report(*table->get("burst"), fmt::format("burst of {} must be at least 1 "
                                                       "message, not {}",
                                                       context, *burst));
        }
        system.burst = *burst;
      }
      if (const auto* revoked = in_.get<bool>(*table, "revoked", context)) {
        system.revoked = revoked->get();
      }
      policy_->systems_.push_back(std::move(system));
    }
  }

  void read_agreements(const toml::table& root) {
    std::unordered_map<std::string, int> name_lines;
    for (const toml::table* table : in_.get_tables(root, "agreements")) {
      Agreement agreement;
      agreement.where = in_.at(line_of(*table));
      std::string context = fmt::format("the agreement at line {}", agreement.where.line);
      if (const auto* name = in_.get<std::string>(*table, "name", context, Need::required)) {
        agreement.name = name->get();
        context = fmt::format("agreement '{}'", agreement.name);
        if (agreement.name.empty()) {
          in_.report(*name, "agreement name must not be empty");
        } else if (const auto [it, fresh] = name_lines.emplace(agreement.name, line_of(*name));
                   !fresh) {
          in_.report(*name, fmt::format("duplicate agreement name '{}'; it is already used at "
                                        "line {}",
                                        agreement.name, it->second));
        }
      }
      in_.check_keys(*table, kAgreementKeys, "in " + context);
      if (const auto* text = in_.get<std::string>(*table, "description", context)) {
        agreement.description = text->get();
      }
      std::map<std::string, int> listed;
      for (const Located& party : in_.get_strings(*table, "parties", context, Need::required)) {
        if (!listed.emplace(party.text, party.line).second) {
          in_.report(party.line, fmt::format("{} lists party '{}' twice", context, party.text));
        } else if (const auto index = lookup(nation_index_, party.text)) {
          agreement.parties |= bit(*index);
        } else {
          in_.report(party.line, fmt::format("{} names party '{}', which is not declared in "
                                             "[nations]",
                                             context, party.text));
        }
      }
      if (const toml::node* parties = table->get("parties");
          parties != nullptr && parties->is_array() && listed.size() < 2) {
        in_.report(*parties,
                   fmt::format("{} needs at least two parties, has {}", context, listed.size()));
      }
      // No topics is legitimate: the agreement then only widens the parties' default
      // release caps, for explicit labels, without sharing anything by default.
      for (const Located& pattern : in_.get_strings(*table, "topics", context)) {
        if (check_plain_pattern(pattern, context)) agreement.topics.push_back(pattern.text);
      }
      policy_->agreements_.push_back(std::move(agreement));
    }
  }

  // A stream's name is its journal's directory: short, and safe in a path on any system.
  static bool is_stream_name(std::string_view name) {
    return !name.empty() && name.size() <= 64 && name.front() != '-' &&
           std::all_of(name.begin(), name.end(), [](char c) {
             return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
           });
  }

  void read_durable(const toml::table& root) {
    std::unordered_map<std::string, int> name_lines;
    // Every stream's patterns so far, with the index of the stream that claimed each.
    std::vector<std::pair<Located, std::size_t>> claimed;
    for (const toml::table* table : in_.get_tables(root, "durable")) {
      const std::size_t index = policy_->durable_.size();
      DurableStream stream;
      stream.where = in_.at(line_of(*table));
      std::string context = fmt::format("the durable stream at line {}", stream.where.line);
      if (const auto* name = in_.get<std::string>(*table, "name", context, Need::required)) {
        stream.name = name->get();
        context = fmt::format("durable stream '{}'", stream.name);
        if (!is_stream_name(stream.name)) {
          in_.report(*name, fmt::format("durable stream name '{}' must be 1 to 64 of a-z, 0-9, "
                                        "'-' and '_', not starting with '-': it names the "
                                        "stream's journal directory",
                                        stream.name));
        } else if (const auto [it, fresh] = name_lines.emplace(stream.name, line_of(*name));
                   !fresh) {
          in_.report(*name, fmt::format("duplicate durable stream name '{}'; it is already used "
                                        "at line {}",
                                        stream.name, it->second));
        }
      }
      in_.check_keys(*table, kDurableKeys, "in " + context);
      for (const Located& pattern : in_.get_strings(*table, "topics", context, Need::required)) {
        if (!check_plain_pattern(pattern, context)) continue;
        const auto clash = std::find_if(claimed.begin(), claimed.end(), [&](const auto& c) {
          return c.second == index ? c.first.text == pattern.text
                                   : topic::overlaps(c.first.text, pattern.text);
        });
        if (clash != claimed.end() && clash->second == index) {
          in_.report(pattern.line, fmt::format("{} lists topic '{}' twice", context, pattern.text));
          continue;
        }
        if (clash != claimed.end()) {
          // One journal per message: a topic journaled twice would be replayed twice.
          in_.report(pattern.line,
                     fmt::format("{} topic '{}' overlaps '{}' of durable stream '{}' (line {}): "
                                 "a topic may be journaled by one stream only",
                                 context, pattern.text, clash->first.text,
                                 policy_->durable_[clash->second].name, clash->first.line));
          continue;
        }
        claimed.emplace_back(pattern, index);
        stream.topics.push_back(pattern.text);
      }
      const auto read_limit = [&](std::string_view key, std::int64_t low, std::int64_t high,
                                  std::string_view meaning, std::uint64_t& out) {
        const auto* value = in_.get<std::int64_t>(*table, key, context);
        if (value == nullptr) return;
        if (value->get() != 0 && (value->get() < low || value->get() > high)) {
          in_.report(*value, fmt::format("{} of {} must be 0 ({}) or {} to {}, not {}", key,
                                         context, meaning, low, high, value->get()));
          return;
        }
        out = static_cast<std::uint64_t>(value->get());
      };
      read_limit("max_age_seconds", 1, std::int64_t{10} * 365 * 86400, "no age limit",
                 stream.max_age_seconds);
      read_limit("max_messages", 1, std::int64_t{1} << 48, "no count limit", stream.max_messages);
      if (const auto* bytes = in_.get<std::int64_t>(*table, "max_bytes", context)) {
        if (bytes->get() < kMinDurableBytes || bytes->get() > kMaxDurableBytes) {
          in_.report(*bytes,
                     fmt::format("max_bytes of {} must be between {} and {}, not {}", context,
                                 kMinDurableBytes, kMaxDurableBytes, bytes->get()));
        } else {
          stream.max_bytes = static_cast<std::uint64_t>(bytes->get());
        }
      }
      if (const auto* mode = in_.get<std::string>(*table, "durability", context)) {
        if (mode->get() == "write") {
          stream.durability = Durability::write;
        } else if (mode->get() == "fsync") {
          stream.durability = Durability::fsync;
        } else {
          in_.report(*mode, fmt::format("durability of {} must be \"write\" or \"fsync\", not "
                                        "\"{}\"",
                                        context, mode->get()));
        }
      }
      policy_->durable_.push_back(std::move(stream));
    }
  }

  void read_cop(const toml::table& root) {
    const toml::table* table = in_.get<toml::table>(root, "cop", "the policy");
    if (table == nullptr) return;
    CopPolicy& cop = policy_->cop_;
    cop.where = in_.at(line_of(*table));
    in_.check_keys(*table, kCopKeys, "in [cop]");
    std::unordered_map<std::string, int> pattern_lines;
    for (const Located& pattern : in_.get_strings(*table, "cached", "[cop]")) {
      if (!check_plain_pattern(pattern, "[cop] cached")) continue;
      if (const auto [it, fresh] = pattern_lines.emplace(pattern.text, pattern.line); !fresh) {
        in_.report(pattern.line, fmt::format("duplicate [cop] cached pattern '{}'; it is already "
                                             "listed at line {}",
                                             pattern.text, it->second));
        continue;
      }
      cop.cached.push_back(pattern.text);
    }
    const auto read_count = [&](std::string_view key, std::int64_t low, std::int64_t high,
                                std::size_t& out) {
      const auto* value = in_.get<std::int64_t>(*table, key, "[cop]");
      if (value == nullptr) return;
      if (value->get() < low || value->get() > high) {
        in_.report(*value, fmt::format("[cop] {} must be between {} and {}, not {}", key, low, high,
                                       value->get()));
        return;
      }
      out = static_cast<std::size_t>(value->get());
    };
    read_count("max_entries", 1, kMaxCopEntries, cop.max_entries);
    read_count("max_bytes", kMinCopBytes, kMaxCopBytes, cop.max_bytes);
    const auto stale_ok = [&](const toml::node& node, std::int64_t seconds, std::string_view what) {
      if (seconds >= 1 && seconds <= kMaxStaleSeconds) return true;
      in_.report(node, fmt::format("{} must be between 1 and {} seconds, not {}", what,
                                   kMaxStaleSeconds, seconds));
      return false;
    };
    if (const auto* seconds = in_.get<std::int64_t>(*table, "default_stale_seconds", "[cop]")) {
      if (stale_ok(*seconds, seconds->get(), "[cop] default_stale_seconds"))
        cop.default_stale_seconds = seconds->get();
    }
    const toml::table* kinds = in_.get<toml::table>(*table, "stale_seconds", "[cop]");
    if (kinds == nullptr) return;
    // The payload kinds are the Payload union's members (schemas/payloads.fbs).
    std::vector<std::string_view> known;
    for (const char* const* name = wire::EnumNamesPayload() + 1; *name != nullptr; ++name)
      known.emplace_back(*name);
    for (const auto& [key, node] : *kinds) {
      const std::string kind(key.str());
      if (std::find(known.begin(), known.end(), kind) == known.end()) {
        in_.report(node, fmt::format("unknown payload kind '{}' in [cop.stale_seconds]; the "
                                     "kinds are {}",
                                     kind, fmt::join(known, ", ")));
        continue;
      }
      const auto* seconds = node.as_integer();
      if (seconds == nullptr) {
        in_.report(node, fmt::format("[cop.stale_seconds] {} must be an integer number of "
                                     "seconds, not {}",
                                     kind, type_name(node.type())));
        continue;
      }
      const std::string what = fmt::format("[cop.stale_seconds] {}", kind);
      if (stale_ok(node, seconds->get(), what))
        cop.stale_seconds_by_kind.emplace_back(kind, seconds->get());
    }
  }

  // Runs after the agreements: a nation without release_cap may reach every nation it shares
  // an agreement with. Its own bit is always in, so home delivery never needs a rule.
  void resolve_caps() {
    for (Nation& nation : policy_->nations_) {
      nation.release_cap = bit(nation.index);
      const auto declared = explicit_caps_.find(nation.index);
      if (declared == explicit_caps_.end()) {
        for (const Agreement& agreement : policy_->agreements_) {
          if ((agreement.parties & bit(nation.index)) != 0) {
            nation.release_cap |= agreement.parties;
          }
        }
        continue;
      }
      for (const Located& code : declared->second) {
        if (const auto index = lookup(nation_index_, code.text)) {
          nation.release_cap |= bit(*index);
        } else {
          in_.report(code.line, fmt::format("release_cap of nation '{}' names '{}', which is "
                                            "not declared in [nations]",
                                            nation.code, code.text));
        }
      }
    }
  }

  // ---- compile -------------------------------------------------------------------------

  // Splits every pattern the per-message decisions match, once. Runs last: from here on
  // no rule or agreement moves, so the token views into their strings stay valid.
  void split_patterns() {
    Policy& policy = *policy_;
    for (auto& set : policy.rule_sets_) {
      for (auto* rules :
           {&set->publish_allow, &set->publish_deny, &set->subscribe_allow, &set->subscribe_deny}) {
        for (Rule& rule : *rules) rule.tokens.split(rule.pattern);
      }
    }
    const auto split = [](const std::vector<std::string>& patterns,
                          std::vector<topic::Tokens>& tokens) {
      tokens.resize(patterns.size());
      for (std::size_t i = 0; i < patterns.size(); ++i) tokens[i].split(patterns[i]);
    };
    split(policy.cop_.cached, policy.cop_.cached_tokens);
    for (Agreement& agreement : policy.agreements_) split(agreement.topics, agreement.topic_tokens);
    for (DurableStream& stream : policy.durable_) split(stream.topics, stream.topic_tokens);
  }

  // Builds one expanded rule set per (role, nation) pair in use, and the lookup indices.
  // Runs only on a clean file, so every index it follows is valid.
  void compile() {
    Policy& policy = *policy_;
    std::map<std::pair<unsigned, unsigned>, const RuleSet*> sets;
    for (std::size_t i = 0; i < policy.systems_.size(); ++i) {
      System& system = policy.systems_[i];
      auto found = sets.find({system.role, system.nation});
      if (found == sets.end()) {
        policy.rule_sets_.push_back(expand(system.role, system.nation));
        found = sets.emplace(std::pair{system.role, system.nation}, policy.rule_sets_.back().get())
                    .first;
      }
      system.rules = found->second;
      policy.system_by_id_.emplace(system.id, i);
      // Revoked systems stay listed (audit, find_system) but their key opens nothing.
      if (!system.revoked) policy.system_by_key_.emplace(system.public_key, i);
    }
    policy.digest_ = detail::sha256_hex(text_);
  }

  std::unique_ptr<RuleSet> expand(unsigned role_index, unsigned nation_index) const {
    const Role& role = policy_->roles_[role_index];
    const std::string& code = policy_->nations_[nation_index].code;
    auto set = std::make_unique<RuleSet>();
    set->wildcard_subscribe = role.wildcard_subscribe;
    const std::array<std::vector<Rule>*, kRuleKinds.size()> lists = {
        &set->publish_allow, &set->publish_deny, &set->subscribe_allow, &set->subscribe_deny};
    for (std::size_t kind = 0; kind < kRuleKinds.size(); ++kind) {
      for (const Located& written : role_rules_[role_index][kind]) {
        lists[kind]->push_back(Rule{detail::expand_nation(written.text, code),
                                    written.text,
                                    std::string(kRuleKinds[kind]),
                                    role.name,
                                    in_.at(written.line),
                                    {}});  // tokens: split_patterns()
      }
    }
    return set;
  }

  std::string_view text_;
  detail::TomlReader in_;
  std::shared_ptr<Policy> policy_;
  std::unordered_map<std::string, unsigned> nation_index_;
  std::unordered_map<std::string, unsigned> role_index_;
  // Per role (index order), its patterns as written, by kind (kRuleKinds order).
  std::vector<std::array<std::vector<Located>, kRuleKinds.size()>> role_rules_;
  // release_cap lists as written, by nation index; nations without the key are absent.
  std::unordered_map<unsigned, std::vector<Located>> explicit_caps_;
};

std::shared_ptr<const Policy> Policy::parse(std::string_view text, std::string source_name) {
  return PolicyBuilder(text, std::move(source_name)).build();
}

std::shared_ptr<const Policy> Policy::load_file(const std::filesystem::path& path) {
  // A directory opens as a stream on some systems and then reads as empty: refuse it here
  // rather than report a missing [coalition].
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    throw std::runtime_error(fmt::format("policy file '{}' is a directory", path.string()));
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) throw std::runtime_error(fmt::format("cannot open policy file '{}'", path.string()));
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad()) {
    throw std::runtime_error(fmt::format("cannot read policy file '{}'", path.string()));
  }
  return parse(text.str(), path.string());
}

}  // namespace enlace::policy
