// The broker's counters, as it writes them to its --metrics-file (a JSON object rewritten
// atomically every --metrics-interval seconds and at exit).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

namespace demo {

struct BrokerMetrics {
  /// Top-level counters by name: "published", "deliveries", "denied_by_audience",
  /// "auth_refused", "errors_sent", ...
  std::map<std::string, std::uint64_t, std::less<>> counters;
  std::map<std::string, std::uint64_t, std::less<>> refusals;             // by error code name
  std::map<std::string, std::uint64_t, std::less<>> published_by_nation;  // "COL" -> n
  /// Deliveries by origin and receiving nation: {"COL", "ECU"} -> n.
  std::map<std::pair<std::string, std::string>, std::uint64_t> delivered;
  std::string policy_version;

  std::uint64_t counter(std::string_view name) const;
};

/// Parses the broker's metrics JSON; nullopt if it is not the expected shape.
std::optional<BrokerMetrics> parse_metrics(std::string_view json);

/// Reads and parses the file; nullopt while it does not exist yet or cannot be parsed.
std::optional<BrokerMetrics> read_metrics(const std::filesystem::path& file);

}  // namespace demo
