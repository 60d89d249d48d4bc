// The demo's state directory: CURVE keys for the broker and every system, the policy file,
// and the broker's log, ready file and metrics. Created on the first run, reused after.
//
//   <dir>/.enlace-demo-state   marker: --reset only ever cleans a directory that has it
//   <dir>/policy.toml          the coalition policy (generated once, then yours to edit)
//   <dir>/keys/<id>.pub|.key   one key pair per system; broker.pub|.key for the broker
//   <dir>/broker.log           the broker's log (appended to on every run)
//   <dir>/metrics.json         the broker's counters, rewritten every second
//   <dir>/gateways/<id>.toml   each gateway's configuration, generated on every run;
//                  <id>.log    its log and final counters; <id>.ready its ready file
//   <dir>/tak/<id>/            with --tak: each TAK site's CA and certificates (tak_sites.hpp)
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include "enlace/keys.hpp"

namespace demo {

struct StateDir {
  std::filesystem::path dir;
  std::filesystem::path policy_file;
  std::filesystem::path broker_key_base;  // keys/broker (.pub / .key)
  std::filesystem::path log_file;
  std::filesystem::path ready_file;
  std::filesystem::path metrics_file;
  enlace::KeyPair broker_keys;
  std::map<std::string, enlace::KeyPair, std::less<>> system_keys;  // by system id
  bool created = false;  // false: keys and policy were reused from an earlier run
  /// The reused policy.toml had no [cop] section (an older demo wrote it): the demo's was
  /// appended to it, the rest of the file left as it was.
  bool cop_added = false;

  const enlace::KeyPair& keys_of(std::string_view system_id) const;
};

/// Opens `dir`, creating it (mode 0700) with fresh keys and policy when it holds none, or
/// after wiping them when `reset` is set. A reused policy.toml without a [cop] section gets
/// the demo's appended (see cop_added). Throws std::runtime_error with an explanation
/// the user can act on (e.g. "policy.toml does not register key ...; run with --reset").
StateDir open_state_dir(const std::filesystem::path& dir, bool reset);

}  // namespace demo
