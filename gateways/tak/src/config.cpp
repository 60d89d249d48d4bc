#include "config.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "enlace/keys.hpp"

namespace enlace::tak {
namespace {

// Every problem is thrown as this and turned into one Result at the end of load_config().
struct ConfigError {
  std::string message;
};

class Reader {
 public:
  Reader(const toml::table& root, std::string file, std::filesystem::path folder)
      : root_(root), file_(std::move(file)), folder_(std::move(folder)) {}

  [[noreturn]] void fail(const toml::node* node, std::string_view what) const {
    const auto line = node ? node->source().begin.line : 0;
    throw ConfigError{fmt::format("{}:{}: {}", file_, line, what)};
  }

  // Refuses keys this version does not know, so a typo is not silently a default.
  void only(const toml::table& table, std::string_view where,
            std::set<std::string_view> keys) const {
    for (const auto& [key, value] : table) {
      if (!keys.contains(key.str()))
        fail(&value, fmt::format("unknown key '{}' in [{}]", key.str(), where));
    }
  }

  const toml::table* table(const toml::table& parent, std::string_view key) const {
    const auto* node = parent.get(key);
    if (node == nullptr) return nullptr;
    if (!node->is_table()) fail(node, fmt::format("'{}' must be a table", key));
    return node->as_table();
  }

  std::optional<std::string> string(const toml::table& t, std::string_view key) const {
    const auto* node = t.get(key);
    if (node == nullptr) return std::nullopt;
    if (!node->is_string()) fail(node, fmt::format("'{}' must be a string", key));
    return node->value<std::string>();
  }

  std::string required_string(const toml::table& t, std::string_view where,
                              std::string_view key) const {
    auto value = string(t, key);
    if (!value || value->empty()) fail(&t, fmt::format("[{}] needs '{}'", where, key));
    return *value;
  }

  std::optional<std::int64_t> integer(const toml::table& t, std::string_view key, std::int64_t min,
                                      std::int64_t max) const {
    const auto* node = t.get(key);
    if (node == nullptr) return std::nullopt;
    if (!node->is_integer()) fail(node, fmt::format("'{}' must be an integer", key));
    const auto value = *node->value<std::int64_t>();
    if (value < min || value > max)
      fail(node, fmt::format("'{}' must be in {}..{}", key, min, max));
    return value;
  }

  std::optional<bool> boolean(const toml::table& t, std::string_view key) const {
    const auto* node = t.get(key);
    if (node == nullptr) return std::nullopt;
    if (!node->is_boolean()) fail(node, fmt::format("'{}' must be true or false", key));
    return node->value<bool>();
  }

  std::optional<std::vector<std::string>> strings(const toml::table& t,
                                                  std::string_view key) const {
    const auto* node = t.get(key);
    if (node == nullptr) return std::nullopt;
    if (!node->is_array()) fail(node, fmt::format("'{}' must be an array of strings", key));
    std::vector<std::string> out;
    for (const auto& item : *node->as_array()) {
      if (!item.is_string()) fail(&item, fmt::format("'{}' must be an array of strings", key));
      out.push_back(*item.value<std::string>());
    }
    return out;
  }

  Endpoint endpoint(const toml::table& t, std::string_view where, std::string_view key) const {
    const auto text = required_string(t, where, key);
    const auto parsed = parse_endpoint(text);
    if (!parsed) fail(t.get(key), fmt::format("'{}' must be host:port, not '{}'", key, text));
    return *parsed;
  }

  std::filesystem::path file(const toml::table& t, std::string_view where,
                             std::string_view key) const {
    std::filesystem::path path = required_string(t, where, key);
    if (path.is_relative()) path = folder_ / path;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
      fail(t.get(key), fmt::format("'{}': no such file {}", key, path.string()));
    }
    return path;
  }

  const toml::table& root() const { return root_; }

 private:
  const toml::table& root_;
  std::string file_;
  std::filesystem::path folder_;
};

std::optional<wire::Classification> classification_from(std::string_view name) {
  using C = wire::Classification;
  if (name == "UNMARKED") return C::Unmarked;
  if (name == "UNCLASSIFIED") return C::Unclassified;
  if (name == "RESTRICTED") return C::Restricted;
  if (name == "CONFIDENTIAL") return C::Confidential;
  if (name == "SECRET") return C::Secret;
  if (name == "TOP_SECRET") return C::TopSecret;
  return std::nullopt;
}

Config read(const Reader& in, const std::filesystem::path& folder) {
  Config config;
  const auto& root = in.root();
  in.only(root, "top level", {"broker", "gateway", "tcp", "tls", "udp", "units"});

  const auto* broker = in.table(root, "broker");
  if (broker == nullptr) in.fail(&root, "a [broker] table is required");
  in.only(*broker, "broker", {"endpoint", "public_key", "public_key_file", "keys"});
  config.broker_endpoint = in.required_string(*broker, "broker", "endpoint");
  if (auto key = in.string(*broker, "public_key")) {
    config.broker_public_key = *key;
  } else {
    auto loaded = load_public_key(in.file(*broker, "broker", "public_key_file"));
    if (!loaded) in.fail(broker, loaded.error().reason);
    config.broker_public_key = *loaded;
  }
  if (!is_valid_key(config.broker_public_key))
    in.fail(broker, "the broker's public key is not a Z85 key");
  config.keys = in.required_string(*broker, "broker", "keys");
  if (config.keys.is_relative()) config.keys = folder / config.keys;

  if (const auto* gateway = in.table(root, "gateway")) {
    in.only(*gateway, "gateway",
            {"uid", "source", "subscribe", "releasable_to", "classification", "policy_identifier",
             "default_stale_seconds", "max_event_bytes", "client_queue_bytes", "max_clients",
             "picture_max_items", "metrics_file"});
    if (auto v = in.string(*gateway, "uid")) config.uid = *v;
    if (auto v = in.string(*gateway, "source")) config.source = *v;
    if (auto v = in.strings(*gateway, "subscribe")) config.subscribe = *v;
    if (auto v = in.strings(*gateway, "releasable_to")) config.releasable_to = *v;
    if (auto v = in.string(*gateway, "classification")) {
      const auto level = classification_from(*v);
      if (!level)
        in.fail(gateway->get("classification"), fmt::format("unknown classification '{}'", *v));
      config.classification = *level;
    }
    if (auto v = in.string(*gateway, "policy_identifier")) config.policy_identifier = *v;
    if (auto v = in.integer(*gateway, "default_stale_seconds", 1, 86400 * 7))
      config.default_stale_seconds = *v;
    if (auto v = in.integer(*gateway, "max_event_bytes", 1024, 16 << 20))
      config.max_event_bytes = static_cast<std::size_t>(*v);
    if (auto v = in.integer(*gateway, "client_queue_bytes", 64 << 10, std::int64_t{1} << 32)) {
      config.client_queue_bytes = static_cast<std::size_t>(*v);
    }
    if (auto v = in.integer(*gateway, "max_clients", 1, 100000))
      config.max_clients = static_cast<std::size_t>(*v);
    if (auto v = in.integer(*gateway, "picture_max_items", 0, 10'000'000))
      config.picture_max_items = static_cast<std::size_t>(*v);
    if (auto v = in.string(*gateway, "metrics_file")) {
      std::filesystem::path path = *v;
      config.metrics_file = path.is_relative() ? folder / path : path;
    }
    if (config.subscribe.empty()) in.fail(gateway, "'subscribe' needs at least one pattern");
  }

  if (const auto* tcp = in.table(root, "tcp")) {
    in.only(*tcp, "tcp", {"listen"});
    config.tcp = in.endpoint(*tcp, "tcp", "listen");
  }
  if (const auto* tls = in.table(root, "tls")) {
    in.only(*tls, "tls",
            {"listen", "certificate", "private_key", "ca", "crl", "handshake_timeout_ms",
             "max_handshakes"});
    TlsListener listener;
    listener.listen = in.endpoint(*tls, "tls", "listen");
    listener.certificate = in.file(*tls, "tls", "certificate");
    listener.private_key = in.file(*tls, "tls", "private_key");
    listener.ca = in.file(*tls, "tls", "ca");
    if (tls->get("crl")) listener.crl = in.file(*tls, "tls", "crl");
    if (auto v = in.integer(*tls, "handshake_timeout_ms", 100, 600'000))
      listener.handshake_timeout = std::chrono::milliseconds(*v);
    if (auto v = in.integer(*tls, "max_handshakes", 1, 100'000))
      listener.max_handshakes = static_cast<std::size_t>(*v);
    config.tls = listener;
  }
  if (const auto* udp = in.table(root, "udp")) {
    in.only(*udp, "udp", {"listen", "group", "interface", "send_to", "protobuf"});
    UdpListener listener;
    listener.listen = in.endpoint(*udp, "udp", "listen");
    listener.group = in.string(*udp, "group");
    listener.interface = in.string(*udp, "interface");
    in_addr address{};
    if (listener.group && (::inet_pton(AF_INET, listener.group->c_str(), &address) != 1 ||
                           !IN_MULTICAST(ntohl(address.s_addr)))) {
      in.fail(udp->get("group"),
              fmt::format("'group': not an IPv4 multicast address (224.0.0.0/4): '{}'",
                          *listener.group));
    }
    if (listener.interface && !listener.group)
      in.fail(udp->get("interface"), "'interface' is the multicast interface: it needs 'group'");
    if (listener.interface && ::inet_pton(AF_INET, listener.interface->c_str(), &address) != 1) {
      in.fail(udp->get("interface"),
              fmt::format("'interface': not an IPv4 address: '{}'", *listener.interface));
    }
    for (const auto& text : in.strings(*udp, "send_to").value_or(std::vector<std::string>{})) {
      const auto destination = parse_endpoint(text);
      if (!destination)
        in.fail(udp->get("send_to"), fmt::format("'send_to': not host:port: '{}'", text));
      listener.send_to.push_back(*destination);
    }
    listener.send_protobuf = in.boolean(*udp, "protobuf").value_or(false);
    config.udp = listener;
  }
  if (!config.tcp && !config.tls && !config.udp)
    in.fail(&root, "no listener: configure [tcp], [tls] or [udp]");

  if (const auto* units = root.get("units")) {
    if (!units->is_array_of_tables())
      in.fail(units, "'units' must be an array of tables ([[units]])");
    for (const auto& item : *units->as_array()) {
      const auto& t = *item.as_table();
      in.only(t, "units", {"certificate_cn", "unit", "callsign"});
      UnitMapping unit{in.required_string(t, "units", "certificate_cn"),
                       in.required_string(t, "units", "unit"),
                       in.string(t, "callsign").value_or("")};
      if (config.unit_for(unit.certificate_cn))
        in.fail(&t, fmt::format("certificate_cn '{}' mapped twice", unit.certificate_cn));
      config.units.push_back(std::move(unit));
    }
  }
  return config;
}

}  // namespace

const UnitMapping* Config::unit_for(std::string_view certificate_cn) const noexcept {
  for (const auto& unit : units) {
    if (unit.certificate_cn == certificate_cn) return &unit;
  }
  return nullptr;
}

std::optional<Endpoint> parse_endpoint(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  std::string_view host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  const std::string_view port_text = text.substr(colon + 1);
  unsigned port = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port_text.empty() ||
      port > 65535) {
    return std::nullopt;
  }
  return Endpoint{std::string(host), static_cast<std::uint16_t>(port)};
}

Result<Config> load_config(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return ErrorInfo{Errc::invalid_argument, fmt::format("{}: cannot read", file.string())};
  std::stringstream text;
  text << in.rdbuf();
  try {
    const auto root = toml::parse(text.str(), file.string());
    const auto folder = file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
    return read(Reader(root, file.string(), folder), folder);
  } catch (const toml::parse_error& e) {
    return ErrorInfo{Errc::invalid_argument, fmt::format("{}:{}: {}", file.string(),
                                                         e.source().begin.line, e.description())};
  } catch (const ConfigError& e) {
    return ErrorInfo{Errc::invalid_argument, e.message};
  }
}

}  // namespace enlace::tak
