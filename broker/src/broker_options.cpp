// Flags and the --config file (broker_options.hpp). Each setting is read as text with the
// place it came from, the file's first and the flags' over them, then every one is checked
// the same way wherever it was written.
#include "broker_options.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string_view>

#include "toml_reader.hpp"  // the policy library's diagnosing TOML access

namespace enlace::broker {
namespace {

enum class Kind { text, integer };

// One setting: its flag, and where it lives in the configuration file.
struct Spec {
  std::string_view flag;     // without "--"
  std::string_view section;  // "" for the top level
  std::string_view key;
  Kind kind = Kind::text;
  bool path = false;  // relative paths in the file are taken from the file's directory
};

constexpr std::array<Spec, 14> kSpecs = {{
    {"policy", "", "policy", Kind::text, true},
    {"keys", "", "keys", Kind::text, true},
    {"endpoint", "", "endpoint"},
    {"broker-id", "", "broker_id"},
    {"data-dir", "", "data_dir", Kind::text, true},
    {"pid-file", "", "pid_file", Kind::text, true},
    {"ready-file", "", "ready_file", Kind::text, true},
    {"liveness-probe", "", "liveness_probe_ms", Kind::integer},
    {"http", "http", "address"},
    {"metrics-file", "metrics", "file", Kind::text, true},
    {"metrics-interval", "metrics", "interval_seconds", Kind::integer},
    {"log-level", "log", "level"},
    {"log-format", "log", "format"},
    {"log-file", "log", "file", Kind::text, true},
}};

constexpr std::array<std::string_view, 3> kSections = {"http", "metrics", "log"};

// A value with where it was written: "--metrics-interval" or "broker.toml:7: metrics.file".
struct Setting {
  std::string text;
  std::string origin;
};

const Spec* spec_of_flag(std::string_view flag) {
  for (const Spec& spec : kSpecs)
    if (spec.flag == flag) return &spec;
  return nullptr;
}

std::string dotted(const Spec& spec) {
  return spec.section.empty() ? std::string(spec.key)
                              : fmt::format("{}.{}", spec.section, spec.key);
}

// The keys of one table of the file (the top level or a section).
std::vector<std::string_view> keys_of(std::string_view section) {
  std::vector<std::string_view> keys;
  for (const Spec& spec : kSpecs)
    if (spec.section == section) keys.push_back(spec.key);
  if (section.empty()) keys.insert(keys.end(), kSections.begin(), kSections.end());
  return keys;
}

// Reads the settings the file holds into `settings`; its problems into `problems`.
void read_config_file(const std::filesystem::path& file, std::map<std::string, Setting>& settings,
                      std::vector<std::string>& problems) {
  std::ifstream in(file, std::ios::binary);
  std::error_code error;
  if (!in || std::filesystem::is_directory(file, error)) {
    problems.push_back(fmt::format("--config '{}': cannot read the file", file.string()));
    return;
  }
  std::stringstream text;
  text << in.rdbuf();
  const std::string source = file.string();
  policy::detail::TomlReader reader(source);
  toml::table root;
  try {
    root = toml::parse(text.str(), std::string_view(source));
  } catch (const toml::parse_error& e) {
    problems.push_back(fmt::format("{}:{}: TOML syntax error: {}", source,
                                   policy::detail::line_of(e.source()), e.description()));
    return;
  }
  const auto top_keys = keys_of("");
  reader.check_keys(root, top_keys, "in the broker configuration");
  const std::filesystem::path base = file.parent_path();
  for (const Spec& spec : kSpecs) {
    const toml::table* table = &root;
    if (!spec.section.empty()) {
      table = reader.get<toml::table>(root, spec.section, "the broker configuration");
      if (table == nullptr) continue;
    }
    const std::string context = spec.section.empty() ? std::string("the broker configuration")
                                                     : fmt::format("[{}]", spec.section);
    const toml::node* node = table->get(spec.key);
    if (node == nullptr) continue;
    Setting setting;
    setting.origin = fmt::format("{}:{}: {}", source, policy::detail::line_of(*node), dotted(spec));
    if (spec.kind == Kind::integer) {
      const auto* value = reader.get<std::int64_t>(*table, spec.key, context);
      if (value == nullptr) continue;
      setting.text = std::to_string(value->get());
    } else {
      const auto* value = reader.get<std::string>(*table, spec.key, context);
      if (value == nullptr) continue;
      setting.text = value->get();
      if (spec.path && !setting.text.empty() && std::filesystem::path(setting.text).is_relative())
        setting.text = (base / setting.text).lexically_normal().string();
    }
    settings[std::string(spec.flag)] = std::move(setting);
  }
  for (const std::string_view section : kSections) {
    if (const toml::node* node = root.get(section); node != nullptr && node->is_table()) {
      const auto section_keys = keys_of(section);
      reader.check_keys(*node->as_table(), section_keys, fmt::format("in [{}]", section));
    }
  }
  for (const auto& d : reader.take_diagnostics())
    problems.push_back(fmt::format("{}:{}: {}", d.where.file, d.where.line, d.message));
}

// A whole number from `low` to `high`, or nullopt.
std::optional<std::int64_t> whole_number(std::string_view text, std::int64_t low,
                                         std::int64_t high) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  if (value < low || value > high) return std::nullopt;
  return value;
}

bool is_broker_id(std::string_view id) {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

// Checks one setting and applies it to `options`; a message if it is bad.
std::optional<std::string> apply(const std::string& flag, const Setting& s,
                                 BrokerOptions& options) {
  const auto bad = [&](std::string_view expected) {
    return fmt::format("{} '{}': {}", s.origin, s.text, expected);
  };
  BrokerConfig& config = options.config;
  if (flag == "metrics-interval") {
    const auto seconds = whole_number(s.text, 1, 86400);
    if (!seconds) return bad("expected whole seconds from 1 to 86400");
    config.metrics_interval = std::chrono::seconds(*seconds);
  } else if (flag == "liveness-probe") {
    const auto ms = whole_number(s.text, 0, 86'400'000);
    if (!ms) return bad("expected milliseconds from 1 to 86400000, or 0 to never probe");
    config.liveness_probe = std::chrono::milliseconds(*ms);
  } else if (flag == "http") {
    auto parsed = parse_http_address(s.text);
    if (!parsed) {
      if (s.origin == "--http") return parsed.error().reason;
      return fmt::format("{}: {}", s.origin, parsed.error().reason);
    }
    config.http = std::move(*parsed);
  } else if (flag == "endpoint") {
    const std::string_view text = s.text;
    const auto colon = text.rfind(':');
    if (!text.starts_with("tcp://") || colon == std::string_view::npos || colon <= 6 ||
        colon + 1 == text.size())
      return bad("expected tcp://HOST:PORT (tcp://127.0.0.1:* takes a free port)");
    config.endpoint = s.text;
  } else if (flag == "broker-id") {
    if (!is_broker_id(s.text)) return bad("expected 1 to 64 letters, digits, '-', '_' or '.'");
    config.broker_id = s.text;
  } else if (flag == "log-level") {
    static constexpr std::pair<std::string_view, log::Level> kLevels[] = {
        {"debug", log::Level::debug},
        {"info", log::Level::info},
        {"warn", log::Level::warn},
        {"error", log::Level::error}};
    const auto* found = std::find_if(std::begin(kLevels), std::end(kLevels),
                                     [&](const auto& level) { return level.first == s.text; });
    if (found == std::end(kLevels)) return bad("expected debug, info, warn or error");
    options.log_level = found->second;
  } else if (flag == "log-format") {
    if (s.text != "text" && s.text != "json") return bad("expected text or json");
    options.log_format = s.text == "json" ? log::Format::json : log::Format::text;
  } else {
    // Every other setting is a path.
    const std::pair<std::string_view, std::filesystem::path*> paths[] = {
        {"policy", &config.policy_file},    {"keys", &options.keys_base},
        {"data-dir", &options.data_dir},    {"pid-file", &config.pid_file},
        {"ready-file", &config.ready_file}, {"metrics-file", &config.metrics_file},
        {"log-file", &options.log_file}};
    if (s.text.empty()) return bad("expected a path");
    for (const auto& [name, path] : paths)
      if (name == flag) *path = s.text;
  }
  return std::nullopt;
}

}  // namespace

OptionsError::OptionsError(std::vector<std::string> problems)
    : std::runtime_error(problems.empty() ? std::string() : problems.front()),
      problems_(std::move(problems)) {}

BrokerOptions parse_broker_options(int argc, char** argv) {
  BrokerOptions options;
  std::map<std::string, Setting> flags;
  std::vector<std::string> problems;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::optional<std::string> inline_value;
    if (const auto eq = arg.find('='); arg.starts_with("--") && eq != std::string::npos) {
      inline_value = arg.substr(eq + 1);
      arg.resize(eq);
    }
    if (arg == "--help" || arg == "-h") {
      options.help = true;
      return options;
    }
    if (arg == "--version") {
      options.version = true;
      return options;
    }
    if (arg == "--check-config") {
      options.check_config = true;
      continue;
    }
    const bool known =
        arg.starts_with("--") && (spec_of_flag(std::string_view(arg).substr(2)) != nullptr ||
                                  arg == "--config" || arg == "--check-policy");
    if (!known) {
      problems.push_back(fmt::format("unknown option '{}' (--help lists them)", arg));
      continue;
    }
    if (!inline_value && i + 1 >= argc) {
      problems.push_back(fmt::format("{} needs a value", arg));
      continue;
    }
    std::string value = inline_value ? *inline_value : argv[++i];
    if (arg == "--config") {
      options.config_file = value;
    } else if (arg == "--check-policy") {
      options.check_policy = value;
    } else {
      flags[arg.substr(2)] = Setting{std::move(value), arg};
    }
  }
  if (!options.check_policy.empty() && problems.empty()) return options;

  std::map<std::string, Setting> settings;
  if (!options.config_file.empty()) read_config_file(options.config_file, settings, problems);
  for (auto& [flag, setting] : flags) settings[flag] = std::move(setting);  // flags win
  for (const auto& [flag, setting] : settings) {
    if (auto problem = apply(flag, setting, options)) problems.push_back(std::move(*problem));
  }
  if (problems.empty() && (options.config.policy_file.empty() || options.keys_base.empty())) {
    problems.push_back(
        "--policy and --keys are required (or policy and keys in the --config file)");
  }
  if (options.config.pid_file.empty() && !options.data_dir.empty())
    options.config.pid_file = options.data_dir / "enlace-broker.pid";
  options.config.data_dir = options.data_dir;
  if (!problems.empty()) throw OptionsError(std::move(problems));
  return options;
}

std::vector<std::string> check_paths(const BrokerOptions& options) {
  std::vector<std::string> problems;
  std::error_code error;
  if (!options.data_dir.empty()) {
    if (!std::filesystem::is_directory(options.data_dir, error)) {
      problems.push_back(
          fmt::format("data directory '{}' does not exist or is not a directory (create it, "
                      "owned by the broker's user)",
                      options.data_dir.string()));
    } else if (::access(options.data_dir.c_str(), W_OK | X_OK) != 0) {
      problems.push_back(fmt::format("data directory '{}' is not writable by this user",
                                     options.data_dir.string()));
    }
  }
  const std::pair<std::string_view, const std::filesystem::path*> files[] = {
      {"pid file", &options.config.pid_file},
      {"ready file", &options.config.ready_file},
      {"metrics file", &options.config.metrics_file},
      {"log file", &options.log_file}};
  for (const auto& [what, path] : files) {
    if (path->empty()) continue;
    std::filesystem::path directory = path->parent_path();
    if (directory.empty()) directory = ".";
    if (!std::filesystem::is_directory(directory, error)) {
      problems.push_back(fmt::format("{} '{}': the directory '{}' does not exist", what,
                                     path->string(), directory.string()));
    } else if (::access(directory.c_str(), W_OK | X_OK) != 0) {
      problems.push_back(fmt::format("{} '{}': the directory '{}' is not writable by this user",
                                     what, path->string(), directory.string()));
    }
  }
  return problems;
}

}  // namespace enlace::broker
