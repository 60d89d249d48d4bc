#include "state_dir.hpp"

#include <fmt/format.h>

#include <ctime>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "policy_file.hpp"
#include "scenario.hpp"

namespace demo {
namespace {

namespace fs = std::filesystem;

constexpr const char* kMarker = ".enlace-demo-state";

std::runtime_error failure(const std::string& text) {
  return std::runtime_error(text);
}

std::string utc_now_text() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%d %H:%M UTC", &tm);
  return text;
}

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw failure(fmt::format("cannot read {}", file.string()));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Through a temporary file and a rename: an interrupted run never leaves half a policy.
void write_text(const fs::path& file, const std::string& text) {
  fs::path tmp = file;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) throw failure(fmt::format("cannot write {}", tmp.string()));
  }
  fs::rename(tmp, file);
}

void make_private_dir(const fs::path& dir) {
  fs::create_directories(dir);
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace);
}

// Removes what the demo put in `dir`, and nothing else.
void wipe(const StateDir& s) {
  std::error_code ignored;
  fs::remove_all(s.dir / "keys", ignored);
  fs::remove_all(s.dir / "gateways", ignored);
  fs::remove_all(s.dir / "tak", ignored);
  for (const fs::path& file : {s.policy_file, s.log_file, s.ready_file, s.metrics_file}) {
    fs::remove(file, ignored);
  }
}

void create(StateDir& s) {
  make_private_dir(s.dir);
  write_text(s.dir / kMarker,
             "enlace-demo state directory: keys, policy and broker log.\n"
             "enlace-demo --reset wipes and regenerates it.\n");
  make_private_dir(s.broker_key_base.parent_path());
  s.broker_keys = enlace::generate_keypair();
  if (auto saved = enlace::save_keypair(s.broker_keys, s.broker_key_base, true); !saved) {
    throw failure(saved.error().reason);
  }
  std::map<std::string, std::string, std::less<>> public_keys;
  for (const SystemSpec& system : systems()) {
    enlace::KeyPair keys = enlace::generate_keypair();
    if (auto saved = enlace::save_keypair(keys, s.broker_key_base.parent_path() / system.id, true);
        !saved) {
      throw failure(saved.error().reason);
    }
    public_keys.emplace(system.id, keys.public_key);
    s.system_keys.emplace(system.id, std::move(keys));
  }
  write_text(s.policy_file, render_policy(public_keys, utc_now_text()));
  s.created = true;
}

// Whether a TOML document has a top-level `cop` table: a `[cop]` or `[cop.x]` header, or a
// `cop...` key before the first header. Enough for the files the demo writes and for what a
// person would write by hand; the broker reads the file properly.
bool has_cop_table(std::string_view toml) {
  bool top_level = true;
  while (!toml.empty()) {
    const auto newline = toml.find('\n');
    std::string_view line = toml.substr(0, newline);
    toml = newline == std::string_view::npos ? std::string_view() : toml.substr(newline + 1);
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos) continue;
    line.remove_prefix(first);
    const auto key_is_cop = [](std::string_view text) {
      const auto start = text.find_first_not_of(" \t");
      if (start == std::string_view::npos || !text.substr(start).starts_with("cop")) return false;
      const std::string_view rest = text.substr(start + 3);
      return rest.empty() || rest.front() == ' ' || rest.front() == '\t' || rest.front() == '.' ||
             rest.front() == ']' || rest.front() == '=';
    };
    if (line.starts_with("[[")) {
      top_level = false;
    } else if (line.starts_with('[')) {
      if (key_is_cop(line.substr(1))) return true;
      top_level = false;
    } else if (top_level && key_is_cop(line)) {
      return true;
    }
  }
  return false;
}

void reuse(StateDir& s) {
  const auto fresh_start = [&](const std::string& problem) {
    return failure(
        fmt::format("{}: {}.\n  Run with --reset to regenerate keys and policy there, "
                    "or choose another --state-dir.",
                    s.dir.string(), problem));
  };
  auto broker = enlace::load_keypair(s.broker_key_base);
  if (!broker) throw fresh_start(broker.error().reason);
  s.broker_keys = std::move(*broker);
  std::string policy = read_text(s.policy_file);
  for (const SystemSpec& system : systems()) {
    auto keys = enlace::load_keypair(s.broker_key_base.parent_path() / system.id);
    if (!keys) throw fresh_start(keys.error().reason);
    // The policy is the user's to edit, but it must still know the demo's systems.
    if (policy.find(keys->public_key) == std::string::npos) {
      throw fresh_start(
          fmt::format("policy.toml does not register the key of system '{}' "
                      "(keys/{}.pub); it was written for other keys",
                      system.id, system.id));
    }
    s.system_keys.emplace(system.id, std::move(*keys));
  }
  // A policy written before the demo had a COP cache: give it the demo's, or a late
  // joiner's snapshots would be empty. A [cop] of the user's own, even an empty one, stays.
  if (!has_cop_table(policy)) {
    if (!policy.empty() && policy.back() != '\n') policy += '\n';
    policy += fmt::format(
        "\n# Added by {} on {}: this file, written by an older\n"
        "# enlace-demo, had no [cop] section. Everything above is as it was.\n",
        kScenarioVersion, utc_now_text());
    policy += cop_section();
    write_text(s.policy_file, policy);
    s.cop_added = true;
  }
  s.created = false;
}

}  // namespace

const enlace::KeyPair& StateDir::keys_of(std::string_view system_id) const {
  const auto it = system_keys.find(system_id);
  if (it == system_keys.end()) throw failure(fmt::format("no keys for system '{}'", system_id));
  return it->second;
}

StateDir open_state_dir(const fs::path& dir, bool reset) {
  StateDir s;
  s.dir = dir;
  s.policy_file = dir / "policy.toml";
  s.broker_key_base = dir / "keys" / "broker";
  s.log_file = dir / "broker.log";
  s.ready_file = dir / "broker.ready";
  s.metrics_file = dir / "metrics.json";

  std::error_code error;
  const bool exists = fs::exists(dir, error);
  if (exists && !fs::is_directory(dir, error)) {
    throw failure(
        fmt::format("{} exists and is not a directory; choose another --state-dir", dir.string()));
  }
  const bool ours = !exists || fs::exists(dir / kMarker, error) || fs::is_empty(dir, error);
  if (!ours) {
    // Never generate keys into, or wipe, a directory the demo did not create.
    throw failure(
        fmt::format("{} is not an enlace-demo state directory (it has files but no "
                    "{} marker); choose another --state-dir",
                    dir.string(), kMarker));
  }
  if (reset) wipe(s);
  // A stale ready file would announce a broker that is not running.
  fs::remove(s.ready_file, error);
  if (fs::exists(s.policy_file, error)) {
    reuse(s);
  } else {
    create(s);
  }
  return s;
}

}  // namespace demo
