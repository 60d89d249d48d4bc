// The coalition policy: who is on the bus, what each role may publish and subscribe to,
// and which nations receive what. Parsed from a TOML file (docs/policy.md), then compiled
// into forms that make every per-message decision cheap: nation bitmasks and expanded
// pattern lists. A Policy is immutable after loading; a reload builds a new one.
//
// Thread-safety: a const Policy may be read from any number of threads.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "enlace/error.hpp"
#include "enlace/result.hpp"
#include "enlace/topic.hpp"

namespace enlace::policy {

/// One bit per nation, bit i = the nation with index i in Policy::nations().
using NationMask = std::uint64_t;
inline constexpr std::size_t kMaxNations = 64;

/// Classification levels; same numbers as enlace.wire.Classification.
enum class Classification : std::uint8_t {
  unmarked = 0,
  unclassified = 1,
  restricted = 2,
  confidential = 3,
  secret = 4,
  top_secret = 5,
};

/// Where in the policy file something was declared, for messages that name their rule.
struct SourceLocation {
  std::string file;
  int line = 0;
};

/// A problem found while loading a policy file.
struct Diagnostic {
  SourceLocation where;
  std::string message;  // says what is wrong and how to fix it
};

/// Thrown by Policy::load_file / Policy::parse with every problem found (not just the first).
class PolicyError : public std::runtime_error {
 public:
  explicit PolicyError(std::vector<Diagnostic> diagnostics);
  const std::vector<Diagnostic>& diagnostics() const noexcept { return diagnostics_; }

 private:
  std::vector<Diagnostic> diagnostics_;
};

struct Nation {
  std::string code;    // ISO 3166-1 alpha-3, e.g. "COL"
  std::string name;    // display name, e.g. "Colombia"
  unsigned index = 0;  // bit position in a NationMask
  /// Nations this nation's data may ever reach (its cap), own bit included.
  NationMask release_cap = 0;
  SourceLocation where;
  /// Where `release_cap` was written; line 0 when the cap was derived from the agreements
  /// the nation is a party of (no release_cap key). Refusals cite it.
  SourceLocation release_cap_where;
};

/// A pattern rule as written, with the pattern after `{nation}` expansion when it belongs
/// to a system-specific rule set.
struct Rule {
  std::string pattern;  // expanded, e.g. "track.COL.>"
  std::string written;  // as in the file, e.g. "track.{nation}.>"
  std::string kind;     // "publish.allow", "publish.deny", "subscribe.allow", "subscribe.deny"
  std::string role;     // role the rule belongs to
  SourceLocation where;
  /// `pattern` split once when the policy is compiled, so that matching a message's topic
  /// compares tokens instead of splitting the pattern again. Views into `pattern`: valid
  /// while the Policy lives (a compiled Policy never moves its rules).
  topic::Tokens tokens;

  /// "role 'sensor' publish.allow 'track.{nation}.>' (policy.toml:42)"
  std::string describe() const;
};

/// A role's rules with `{nation}` expanded for one nation. Shared by every system of that
/// role and nation.
struct RuleSet {
  std::vector<Rule> publish_allow;
  std::vector<Rule> publish_deny;
  std::vector<Rule> subscribe_allow;
  std::vector<Rule> subscribe_deny;
  bool wildcard_subscribe = true;  // may patterns hold `*` or `>`
};

struct Role {
  std::string name;
  std::string description;
  bool wildcard_subscribe = true;
  /// The role's patterns as written, "publish.allow text.{nation}.>", in the order of the
  /// kinds (publish.allow, publish.deny, subscribe.allow, subscribe.deny), each kind in file
  /// order. What a reload compares (policy_diff.hpp); decisions use the expanded RuleSets.
  std::vector<std::string> written_rules;
  SourceLocation where;
};

struct System {
  std::string id;                  // unique, e.g. "col-radar-leguizamo"
  unsigned nation = 0;             // index into Policy::nations()
  unsigned role = 0;               // index into Policy::roles()
  std::string public_key;          // CURVE public key, Z85 (40 characters)
  std::string signing_key;         // optional Ed25519 public key, base64; empty when none
  double rate_per_second = 0;      // token bucket refill rate; 0 = unlimited
  double burst = 0;                // token bucket size
  bool revoked = false;            // kept for the record; its key fails the handshake
  const RuleSet* rules = nullptr;  // role rules expanded for this system's nation
  SourceLocation where;
};

struct Agreement {
  std::string name;
  std::string description;
  NationMask parties = 0;
  std::vector<std::string> topics;  // patterns whose messages parties share by default
  SourceLocation where;
  std::vector<topic::Tokens> topic_tokens;  // `topics` split once at compile time
};

struct Limits {
  std::size_t max_message_bytes = 64 * 1024;
  double default_rate_per_second = 2000;
  double default_burst = 4000;
  std::size_t max_subscriptions_per_session = 1024;
  Classification max_classification = Classification::secret;
  /// Bytes of deliveries the broker queues for one session beyond ZeroMQ's own small pipe;
  /// a delivery that does not fit is dropped (docs/protocol.md, "Slow subscribers").
  std::size_t max_session_queue_bytes = 4 * 1024 * 1024;
  /// Bytes of control frames (answers, notices) queued for one session; a session that lets
  /// more pile up unread is closed.
  std::size_t max_session_control_bytes = 1024 * 1024;
  /// Sessions one system may hold at once; one more Hello is refused (too_many_sessions).
  std::size_t max_sessions_per_system = 8;
  /// A session whose deliveries overflow max_session_queue_bytes for longer than this is
  /// closed (slow_consumer; docs/protocol.md 5.6).
  std::int64_t slow_consumer_seconds = 10;
  /// The longest a session whose connection was lost is kept for its client to resume it
  /// (docs/protocol.md 5.2); a Hello asks for its own period within this. 0: never kept.
  std::int64_t resume_grace_seconds = 60;
};

/// The COP cache (docs/policy.md, `[cop]`): the topics whose newest message the broker keeps
/// for late joiners, and how much it may keep.
struct CopPolicy {
  std::vector<std::string> cached;           // patterns; empty: no cache
  std::vector<topic::Tokens> cached_tokens;  // `cached` split once at compile time
  std::size_t max_entries = 100000;
  std::size_t max_bytes = 128 * 1024 * 1024;  // envelope bytes of all entries
  /// Seconds a message is kept when its envelope sets no stale time, by payload kind (the
  /// Payload union's member names, e.g. "Track"); kinds not listed take default_stale_seconds.
  std::vector<std::pair<std::string, std::int64_t>> stale_seconds_by_kind;
  std::int64_t default_stale_seconds = 300;
  SourceLocation where;

  /// Whether messages on `topic` are cached. Inline for the routing path, where most
  /// coalitions cache nothing.
  bool caches(const topic::Tokens& topic) const noexcept {
    return !cached_tokens.empty() && any_pattern_matches(topic);
  }
  bool any_pattern_matches(const topic::Tokens& topic) const noexcept;
};

/// When the broker acknowledges a publish on a durable stream (docs/protocol.md 6.2).
enum class Durability {
  write,  // once the journal's write(2) returned: survives a broker crash, not a power loss
  fsync,  // once fdatasync returned for the batch holding it: survives a power loss too
};

/// A durable stream (docs/policy.md, `[[durable]]`): topics the broker journals to disk
/// before acknowledging them, kept within the stream's retention limits.
struct DurableStream {
  std::string name;                         // the journal's directory under <data-dir>/journal/
  std::vector<std::string> topics;          // patterns; no topic matches two streams' patterns
  std::vector<topic::Tokens> topic_tokens;  // `topics` split once at compile time
  std::uint64_t max_age_seconds = 0;        // 0: no age limit
  std::uint64_t max_bytes = std::uint64_t{1} << 30;  // bytes on disk at most
  std::uint64_t max_messages = 0;                    // 0: no count limit
  Durability durability = Durability::write;
  SourceLocation where;

  /// Whether messages on `topic` are journaled in this stream.
  bool journals(const topic::Tokens& topic) const noexcept;
};

/// Outcome of an authorization question, naming the rule (or its absence) that decided.
struct Decision {
  bool allowed = false;
  Errc code = Errc::ok;  // Errc::ok when allowed
  std::string reason;    // one sentence, names the rule: shown to clients and operators
};

/// The audience of one message: which nations may receive it, and why.
struct Audience {
  NationMask nations = 0;
  /// Set when the label was refused (names of nations beyond the cap, unknown codes...).
  Decision label;
};

class Policy {
 public:
  /// Parses and compiles a policy file. Throws PolicyError listing every problem with its
  /// line, or std::runtime_error if the file cannot be read.
  static std::shared_ptr<const Policy> load_file(const std::filesystem::path& path);
  /// Same, from text; `source_name` is used in diagnostics.
  static std::shared_ptr<const Policy> parse(std::string_view text, std::string source_name);

  const std::string& coalition() const noexcept { return coalition_; }
  /// Label policy identifier messages should carry, e.g. "urn:enlace:coalition:putumayo".
  const std::string& policy_identifier() const noexcept { return policy_identifier_; }
  /// Hex SHA-256 of the policy text: identifies the version in force.
  const std::string& digest() const noexcept { return digest_; }

  const std::vector<Nation>& nations() const noexcept { return nations_; }
  const std::vector<Role>& roles() const noexcept { return roles_; }
  const std::vector<System>& systems() const noexcept { return systems_; }
  const std::vector<Agreement>& agreements() const noexcept { return agreements_; }
  const std::vector<DurableStream>& durable_streams() const noexcept { return durable_; }
  /// The durable stream that journals `topic`, or nullptr: at most one does.
  const DurableStream* durable_stream_for(const topic::Tokens& topic) const noexcept;
  const Limits& limits() const noexcept { return limits_; }
  const CopPolicy& cop() const noexcept { return cop_; }

  /// Lookups; nullptr / nullopt when absent.
  const System* find_system(std::string_view id) const noexcept;
  const System* find_system_by_key(std::string_view z85_public_key) const noexcept;
  std::optional<unsigned> nation_index(std::string_view code) const noexcept;

  /// May `system` publish on the literal `topic`? Allowed when a publish.allow rule
  /// matches and no publish.deny rule does.
  /// Per-message, so an allowed decision carries an empty reason (no allocation).
  Decision check_publish(const System& system, std::string_view topic) const;
  /// The same with `topic` already split by the caller (Tokens::split; empty if that
  /// failed), so the data path splits each topic once.
  Decision check_publish(const System& system, std::string_view topic,
                         const topic::Tokens& tokens) const;

  /// Same decision as check_publish, but an allowed one names the publish.allow rule that
  /// granted it. For operators and `enlace policy explain`, not the data path.
  Decision explain_publish(const System& system, std::string_view topic) const;

  /// May `system` subscribe to `pattern`? Allowed when the pattern lies inside a
  /// subscribe.allow rule (containment) and overlaps no subscribe.deny rule, and, if the
  /// role forbids wildcards, holds none.
  Decision check_subscribe(const System& system, std::string_view pattern) const;

  /// The nations that receive a message published by `origin` on `topic` with the given
  /// label. `classification` must be a defined level (else invalid_label) no higher than
  /// the coalition's maximum (else classification_exceeded). `releasable_to` empty: the
  /// agreements' default for the topic. Otherwise each code must be a coalition nation
  /// (else invalid_label) inside the origin nation's cap (else release_not_permitted); a
  /// code listed twice counts once. A refused label has Audience::label.allowed == false.
  /// The origin nation is always included.
  Audience audience(const System& origin, std::string_view topic,
                    std::span<const std::string_view> releasable_to,
                    Classification classification) const;
  /// The same with the topic already split (a topic check_publish accepted).
  Audience audience(const System& origin, const topic::Tokens& topic,
                    std::span<const std::string_view> releasable_to,
                    Classification classification) const;

  /// Nations with which `origin_nation` shares `topic` by default (agreements where it is
  /// a party and a topic pattern matches), limited by its cap; own bit included.
  NationMask default_audience(unsigned origin_nation, std::string_view topic) const;
  NationMask default_audience(unsigned origin_nation, const topic::Tokens& topic) const;

  /// "COL,ECU" for a mask, in nation index order.
  std::string nation_list(NationMask mask) const;

 private:
  Policy() = default;
  friend class PolicyBuilder;

  std::string coalition_;
  std::string policy_identifier_;
  std::string digest_;
  std::vector<Nation> nations_;
  std::vector<Role> roles_;
  std::vector<System> systems_;
  std::vector<Agreement> agreements_;
  std::vector<DurableStream> durable_;
  Limits limits_;
  CopPolicy cop_;
  // One expanded rule set per (role, nation) pair in use; systems point into it.
  std::vector<std::unique_ptr<RuleSet>> rule_sets_;
  std::unordered_map<std::string, std::size_t> system_by_id_;
  std::unordered_map<std::string, std::size_t> system_by_key_;
};

}  // namespace enlace::policy
