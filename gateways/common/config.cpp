#include "common/config.hpp"

#include <fmt/format.h>

#include <cmath>

#include "enlace/topic.hpp"

namespace enlace::gateway {
namespace {

std::string dotted(std::string_view where, std::string_view key) {
  if (where.empty()) return std::string(key);
  if (key.empty()) return std::string(where);
  return fmt::format("{}.{}", where, key);
}

constexpr std::pair<std::string_view, SourceKind> kKinds[] = {
    {"udp", SourceKind::udp},
    {"tcp-client", SourceKind::tcp_client},
    {"tcp-server", SourceKind::tcp_server},
    {"serial", SourceKind::serial},
    {"gpsd", SourceKind::gpsd},
    {"file", SourceKind::file},
};

// A name that can stand as one topic token.
bool is_token(std::string_view name) {
  return !name.empty() && name.find('.') == std::string_view::npos && topic::is_valid_topic(name);
}

}  // namespace

std::string_view to_string(SourceKind kind) noexcept {
  for (const auto& [name, k] : kKinds) {
    if (k == kind) return name;
  }
  return "?";
}

std::optional<Endpoint> parse_endpoint(std::string_view text) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size()) {
    return std::nullopt;
  }
  Endpoint e;
  e.host = std::string(text.substr(0, colon));
  if (e.host.size() > 2 && e.host.front() == '[' && e.host.back() == ']') {
    e.host = e.host.substr(1, e.host.size() - 2);
  }
  unsigned port = 0;
  for (const char c : text.substr(colon + 1)) {
    if (c < '0' || c > '9') return std::nullopt;
    port = port * 10 + static_cast<unsigned>(c - '0');
    if (port > 65535) return std::nullopt;
  }
  e.port = static_cast<std::uint16_t>(port);
  return e;
}

ConfigReader::ConfigReader(std::string path) : path_(std::move(path)) {
  try {
    root_ = toml::parse_file(path_);
  } catch (const toml::parse_error& e) {
    throw ConfigError(fmt::format("{}:{}:{}: {}", path_, e.source().begin.line,
                                  e.source().begin.column, e.description()));
  }
}

void ConfigReader::fail(const toml::node* node, std::string_view where, std::string_view key,
                        std::string_view message) const {
  const auto line = node ? node->source().begin.line : 0;
  if (line > 0) {
    throw ConfigError(fmt::format("{}:{}: {}: {}", path_, line, dotted(where, key), message));
  }
  throw ConfigError(fmt::format("{}: {}: {}", path_, dotted(where, key), message));
}

void ConfigReader::allow_only(const toml::table& table, std::string_view where,
                              std::initializer_list<std::string_view> allowed) const {
  for (const auto& [key, node] : table) {
    bool known = false;
    for (const std::string_view a : allowed) known = known || key.str() == a;
    if (!known) fail(&node, where, key.str(), "unknown key");
  }
}

const toml::table* ConfigReader::table(const toml::table& parent, std::string_view where,
                                       std::string_view key) const {
  const toml::node* node = parent.get(key);
  if (!node) return nullptr;
  if (!node->is_table()) fail(node, where, key, "expected a table");
  return node->as_table();
}

std::vector<const toml::table*> ConfigReader::tables(const toml::table& parent,
                                                     std::string_view where,
                                                     std::string_view key) const {
  std::vector<const toml::table*> out;
  const toml::node* node = parent.get(key);
  if (!node) return out;
  const toml::array* array = node->as_array();
  if (!array) fail(node, where, key, "expected an array of tables ([[" + std::string(key) + "]])");
  for (const toml::node& item : *array) {
    if (!item.is_table()) fail(&item, where, key, "expected an array of tables");
    out.push_back(item.as_table());
  }
  return out;
}

std::optional<std::string> ConfigReader::string(const toml::table& t, std::string_view where,
                                                std::string_view key) const {
  const toml::node* node = t.get(key);
  if (!node) return std::nullopt;
  const auto value = node->value<std::string>();
  if (!node->is_string() || !value) fail(node, where, key, "expected a string");
  return *value;
}

std::string ConfigReader::required_string(const toml::table& t, std::string_view where,
                                          std::string_view key) const {
  auto value = string(t, where, key);
  if (!value) fail(&t, where, key, "missing (required)");
  if (value->empty()) fail(t.get(key), where, key, "must not be empty");
  return *value;
}

std::optional<std::int64_t> ConfigReader::integer(const toml::table& t, std::string_view where,
                                                  std::string_view key, std::int64_t min,
                                                  std::int64_t max) const {
  const toml::node* node = t.get(key);
  if (!node) return std::nullopt;
  if (!node->is_integer()) fail(node, where, key, "expected a whole number");
  const std::int64_t value = *node->value<std::int64_t>();
  if (value < min || value > max) {
    fail(node, where, key, fmt::format("{} is out of range [{}, {}]", value, min, max));
  }
  return value;
}

std::optional<std::chrono::nanoseconds> ConfigReader::seconds(const toml::table& t,
                                                              std::string_view where,
                                                              std::string_view key, double min_s,
                                                              double max_s) const {
  const toml::node* node = t.get(key);
  if (!node) return std::nullopt;
  if (!node->is_number()) fail(node, where, key, "expected a number of seconds");
  const double value = *node->value<double>();
  if (!std::isfinite(value) || value < min_s || value > max_s) {
    fail(node, where, key, fmt::format("{} s is out of range [{}, {}]", value, min_s, max_s));
  }
  return std::chrono::nanoseconds(static_cast<std::int64_t>(std::llround(value * 1e9)));
}

BusConfig ConfigReader::bus(std::string_view default_client_name) const {
  const toml::table* t = table(root_, "", "bus");
  if (!t) fail(nullptr, "", "bus", "missing (required): the [bus] table");
  allow_only(*t, "bus", {"broker", "broker_key", "keys", "client_name"});
  BusConfig bus;
  bus.broker = required_string(*t, "bus", "broker");
  bus.broker_key = required_string(*t, "bus", "broker_key");
  bus.keys = required_string(*t, "bus", "keys");
  bus.client_name = string(*t, "bus", "client_name").value_or(std::string(default_client_name));
  return bus;
}

std::vector<SourceConfig> ConfigReader::sources(std::initializer_list<SourceKind> kinds) const {
  std::vector<SourceConfig> out;
  const auto items = tables(root_, "", "sources");
  if (items.empty()) fail(nullptr, "", "sources", "missing (required): at least one [[sources]]");
  for (std::size_t i = 0; i < items.size(); ++i) {
    const toml::table& t = *items[i];
    const std::string where = fmt::format("sources[{}]", i);
    allow_only(t, where,
               {"name", "kind", "listen", "connect", "device", "baud", "path", "timing", "receiver",
                "max_line_bytes", "max_connections"});
    SourceConfig s;
    s.name = required_string(t, where, "name");
    if (!is_token(s.name)) {
      fail(t.get("name"), where, "name", "must be one topic token (no '.', '*', '>' or space)");
    }
    for (const SourceConfig& other : out) {
      if (other.name == s.name) fail(t.get("name"), where, "name", "another source has this name");
    }
    const std::string kind = required_string(t, where, "kind");
    bool found = false;
    std::string names;
    for (const SourceKind k : kinds) {
      names += fmt::format("{}{}", names.empty() ? "" : ", ", to_string(k));
      if (to_string(k) == kind) {
        s.kind = k;
        found = true;
      }
    }
    if (!found)
      fail(t.get("kind"), where, "kind", fmt::format("'{}' is not one of {}", kind, names));

    auto endpoint = [&](std::string_view key, std::optional<std::string> fallback) {
      auto text = string(t, where, key);
      if (!text) text = fallback;
      if (!text) fail(&t, where, key, fmt::format("missing (required for kind {})", kind));
      auto e = parse_endpoint(*text);
      if (!e) fail(t.get(key), where, key, "expected \"host:port\"");
      return *e;
    };
    switch (s.kind) {
      case SourceKind::udp:
      case SourceKind::tcp_server:
        s.listen = endpoint("listen", std::nullopt);
        break;
      case SourceKind::tcp_client:
        s.connect = endpoint("connect", std::nullopt);
        break;
      case SourceKind::gpsd:
        s.connect = endpoint("connect", "127.0.0.1:2947");
        break;
      case SourceKind::serial:
        s.device = required_string(t, where, "device");
        s.baud =
            static_cast<std::uint32_t>(integer(t, where, "baud", 50, 4'000'000).value_or(4800));
        break;
      case SourceKind::file: {
        s.path = required_string(t, where, "path");
        const std::string timing = string(t, where, "timing").value_or("original");
        if (timing != "original" && timing != "fast") {
          fail(t.get("timing"), where, "timing", "expected \"original\" or \"fast\"");
        }
        s.fast = timing == "fast";
        break;
      }
    }
    s.receiver = string(t, where, "receiver").value_or(s.name);
    if (!is_token(s.receiver)) {
      fail(t.get("receiver"), where, "receiver", "must be one topic token");
    }
    s.max_line_bytes =
        static_cast<std::size_t>(integer(t, where, "max_line_bytes", 82, 65536).value_or(1024));
    s.max_connections =
        static_cast<std::size_t>(integer(t, where, "max_connections", 1, 1024).value_or(16));
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace enlace::gateway
