// Typed, diagnosing access to a parsed TOML document, for the policy loader.
//
// Every accessor reports what is wrong (missing required key, wrong type, unknown key) as a
// Diagnostic with the line it concerns, and returns "nothing" so the caller carries on:
// the loader wants every problem of a file in one pass, not just the first.
// Internal to the policy library.
#pragma once

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "enlace/policy/policy.hpp"
#include "policy_syntax.hpp"

namespace enlace::policy::detail {

/// A string from the file with the line it was written on.
struct Located {
  std::string text;
  int line = 0;
};

enum class Need { optional, required };

inline int line_of(const toml::source_region& region) {
  return static_cast<int>(region.begin.line);
}
inline int line_of(const toml::node& node) {
  return line_of(node.source());
}

/// "a string", "an integer", ... for messages about wrong types.
inline std::string_view type_name(toml::node_type type) {
  switch (type) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a floating-point number";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

class TomlReader {
 public:
  explicit TomlReader(std::string source) : source_(std::move(source)) {}

  const std::string& source() const noexcept { return source_; }
  SourceLocation at(int line) const { return {source_, line}; }
  bool clean() const noexcept { return diagnostics_.empty(); }
  /// The diagnostics in file order (sections are checked in a fixed order, not the order
  /// they appear in), leaving none behind.
  std::vector<Diagnostic> take_diagnostics() {
    std::stable_sort(
        diagnostics_.begin(), diagnostics_.end(),
        [](const Diagnostic& a, const Diagnostic& b) { return a.where.line < b.where.line; });
    return std::move(diagnostics_);
  }

  void report(int line, std::string message) {
    diagnostics_.push_back({at(line), std::move(message)});
  }
  void report(const toml::node& node, std::string message) {
    report(line_of(node), std::move(message));
  }

  /// Reports every key of `table` not in `allowed`, suggesting the closest allowed name.
  /// A misspelt key must not silently drop a rule or a restriction from a reviewed file.
  void check_keys(const toml::table& table, std::span<const std::string_view> allowed,
                  std::string_view context) {
    for (auto&& [key, node] : table) {
      const std::string_view name = key.str();
      if (std::find(allowed.begin(), allowed.end(), name) != allowed.end()) continue;
      std::string message = fmt::format("unknown key '{}' {}; expected one of {}", name, context,
                                        fmt::join(allowed, ", "));
      if (const std::string_view guess = closest_name(name, allowed); !guess.empty()) {
        message += fmt::format(" (did you mean '{}'?)", guess);
      }
      report(line_of(key.source()), std::move(message));
    }
  }

  /// The value of `key` if present and of type T (std::string, std::int64_t, bool,
  /// toml::table, toml::array); nullptr otherwise, after reporting a missing required key
  /// or a wrong type.
  template <class T>
  const auto* get(const toml::table& table, std::string_view key, std::string_view context,
                  Need need = Need::optional) {
    const toml::node* node = table.get(key);
    using Pointer = decltype(node->as<T>());
    if (node == nullptr) {
      if (need == Need::required) {
        report(table, fmt::format("{} lacks the required key '{}'", context, key));
      }
      return Pointer{nullptr};
    }
    const Pointer value = node->as<T>();
    if (value == nullptr) {
      report(*node, fmt::format("'{}' in {} must be {}, not {}", key, context, expected<T>(),
                                type_name(node->type())));
    }
    return value;
  }

  /// An integer or floating-point `key`, which must be finite; nullopt when absent or bad.
  std::optional<double> get_number(const toml::table& table, std::string_view key,
                                   std::string_view context) {
    const toml::node* node = table.get(key);
    if (node == nullptr) return std::nullopt;
    if (const auto* integer = node->as_integer()) return static_cast<double>(integer->get());
    const auto* real = node->as_floating_point();
    if (real != nullptr && std::isfinite(real->get())) return real->get();
    report(*node, fmt::format("'{}' in {} must be a finite number, not {}", key, context,
                              real != nullptr ? "inf or nan" : type_name(node->type())));
    return std::nullopt;
  }

  /// The strings of an array-of-strings `key`, each with its own line (arrays may span
  /// lines, and a diagnostic should point at the element, not the key).
  std::vector<Located> get_strings(const toml::table& table, std::string_view key,
                                   std::string_view context, Need need = Need::optional) {
    std::vector<Located> out;
    const toml::array* array = get<toml::array>(table, key, context, need);
    if (array == nullptr) return out;
    for (const toml::node& element : *array) {
      if (const auto* text = element.as_string()) {
        out.push_back({text->get(), line_of(element)});
      } else {
        report(element, fmt::format("'{}' in {} must hold only strings, not {}", key, context,
                                    type_name(element.type())));
      }
    }
    return out;
  }

  /// The tables of an array-of-tables `key` ([[key]] sections); reports other elements.
  std::vector<const toml::table*> get_tables(const toml::table& table, std::string_view key) {
    std::vector<const toml::table*> out;
    const toml::array* array = get<toml::array>(table, key, "the policy");
    if (array == nullptr) return out;
    for (const toml::node& element : *array) {
      if (const toml::table* entry = element.as_table()) {
        out.push_back(entry);
      } else {
        report(element, fmt::format("each entry of '{}' must be a table ([[{}]]), not {}", key, key,
                                    type_name(element.type())));
      }
    }
    return out;
  }

 private:
  template <class T>
  static constexpr std::string_view expected() {
    if constexpr (std::is_same_v<T, std::string>) return "a string";
    if constexpr (std::is_same_v<T, std::int64_t>) return "an integer";
    if constexpr (std::is_same_v<T, bool>) return "true or false";
    if constexpr (std::is_same_v<T, toml::table>) return "a table";
    if constexpr (std::is_same_v<T, toml::array>) return "an array";
  }

  std::string source_;
  std::vector<Diagnostic> diagnostics_;
};

}  // namespace enlace::policy::detail
