// Checks and wording for single values of a policy: codes, ids, keys, placeholders,
// topics, classification names. Nothing here knows TOML; the loader applies these to what
// it reads, and the decision functions use the wording helpers in their refusals.
// Internal to the policy library. All functions are pure and thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "enlace/policy/policy.hpp"

namespace enlace::policy::detail {

// ---- wording ----------------------------------------------------------------------

/// Why `text` is not a valid topic (or pattern, when `pattern` is true), as a clause that
/// completes "'x' is not a valid topic: ...". Empty when it is valid. Mirrors the rules of
/// enlace::topic, which only answers yes or no; the verdict itself always comes from there.
std::string topic_problem(std::string_view text, bool pattern);

/// `text` made safe to echo into a reason or a log line: bytes outside printable ASCII and
/// backslashes become \xNN, and anything past `limit` characters is cut and marked "...".
/// Topics in refusals come from clients, so they must not be able to forge log lines.
std::string printable(std::string_view text, std::size_t limit = 80);

/// "SECRET", "TOP_SECRET", ... as written in policy files; "UNKNOWN" out of range.
std::string_view classification_name(Classification level) noexcept;

/// Parses a classification name, ignoring ASCII case.
std::optional<Classification> parse_classification(std::string_view name) noexcept;

/// The last path component of a source name: rule descriptions cite "policy.toml:42", not
/// the directory the broker happened to load it from.
std::string_view file_name(std::string_view path) noexcept;

/// The candidate closest to a misspelt `word` (at most two edits away), or empty.
std::string_view closest_name(std::string_view word, std::span<const std::string_view> candidates);

// ---- value checks -----------------------------------------------------------------

/// Exactly three ASCII uppercase letters (ISO 3166-1 alpha-3 shape; the list itself is not
/// checked, so exercise codes such as "XXA" stay possible).
bool is_nation_code(std::string_view code) noexcept;

/// [a-z0-9][a-z0-9-_.]{0,63}: safe in file names, metrics labels and log lines.
bool is_system_id(std::string_view id) noexcept;

/// Why `key` is not a Z85-encoded 32-byte CURVE key, or empty when it is one.
std::string z85_problem(std::string_view key);

/// Whether `text` is standard base64 (with padding) of exactly 32 bytes.
bool is_ed25519_base64(std::string_view text) noexcept;

/// Lowercase hex SHA-256 of `text`.
std::string sha256_hex(std::string_view text);

// ---- the {nation} placeholder -----------------------------------------------------

inline constexpr std::string_view kNationPlaceholder = "{nation}";

/// `pattern` with every `{nation}` replaced by `code`.
std::string expand_nation(std::string_view pattern, std::string_view code);

/// The first `{...}` (or stray brace) in `pattern` other than an allowed `{nation}`; empty
/// when there is none. With `nation_allowed` false, `{nation}` is reported too.
std::string_view bad_placeholder(std::string_view pattern, bool nation_allowed) noexcept;

}  // namespace enlace::policy::detail
