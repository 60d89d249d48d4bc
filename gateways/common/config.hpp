// The parts of a gateway's TOML configuration that every gateway shares: [bus] (how to
// reach the broker, with which keys) and [[sources]] (where the feed comes from), and
// the reader that turns a bad file into one clear error naming the key and its line.
//
// Unknown keys are errors, so a typo ("stale_sec") is caught at start-up or by
// --check-config rather than silently ignored. The same toml++ as the broker's policy.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

namespace enlace::gateway {

/// A configuration defect: "gateway.toml:12: sources[1].kind: 'udpp' is not one of ...".
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct BusConfig {
  std::string broker;      // ZeroMQ endpoint, e.g. "tcp://127.0.0.1:7450"
  std::string broker_key;  // path of the broker's public key file
  std::string keys;        // base path of this gateway's key pair (<keys>.pub, <keys>.key)
  std::string client_name;
};

enum class SourceKind { udp, tcp_client, tcp_server, serial, gpsd, file };

std::string_view to_string(SourceKind kind) noexcept;

struct Endpoint {
  std::string host;
  std::uint16_t port = 0;
};

struct SourceConfig {
  std::string name;
  SourceKind kind = SourceKind::udp;
  Endpoint listen;     // udp, tcp-server
  Endpoint connect;    // tcp-client, gpsd
  std::string device;  // serial
  std::uint32_t baud = 4800;
  std::string path;      // file
  bool fast = false;     // file: as fast as possible rather than with its own timing
  std::string receiver;  // topic token naming the receiver; defaults to the name
  std::size_t max_line_bytes = 1024;
  std::size_t max_connections = 16;  // tcp-server
};

/// Reads one TOML file and answers typed questions about it, throwing ConfigError with
/// the file, line and dotted key of every defect.
class ConfigReader {
 public:
  /// Parses `path`; throws ConfigError on a TOML syntax error (with its line and column).
  explicit ConfigReader(std::string path);

  const toml::table& root() const noexcept { return root_; }
  const std::string& path() const noexcept { return path_; }

  /// Throws if `table` (at dotted name `where`) has a key not in `allowed`.
  void allow_only(const toml::table& table, std::string_view where,
                  std::initializer_list<std::string_view> allowed) const;

  /// A sub-table, or nullptr when absent; throws when `key` is not a table.
  const toml::table* table(const toml::table& parent, std::string_view where,
                           std::string_view key) const;
  /// An array of tables ([[key]]); empty when absent.
  std::vector<const toml::table*> tables(const toml::table& parent, std::string_view where,
                                         std::string_view key) const;

  std::optional<std::string> string(const toml::table& t, std::string_view where,
                                    std::string_view key) const;
  std::string required_string(const toml::table& t, std::string_view where,
                              std::string_view key) const;
  std::optional<std::int64_t> integer(const toml::table& t, std::string_view where,
                                      std::string_view key, std::int64_t min,
                                      std::int64_t max) const;
  /// Seconds, integer or fractional, as nanoseconds; within [min_s, max_s].
  std::optional<std::chrono::nanoseconds> seconds(const toml::table& t, std::string_view where,
                                                  std::string_view key, double min_s,
                                                  double max_s) const;

  /// "file:line: where.key: message".
  [[noreturn]] void fail(const toml::node* node, std::string_view where, std::string_view key,
                         std::string_view message) const;

  BusConfig bus(std::string_view default_client_name) const;
  /// [[sources]], each of a kind in `kinds`; at least one.
  std::vector<SourceConfig> sources(std::initializer_list<SourceKind> kinds) const;

 private:
  std::string path_;
  toml::table root_;
};

/// "host:port" -> Endpoint; nullopt when it does not read.
std::optional<Endpoint> parse_endpoint(std::string_view text);

}  // namespace enlace::gateway
