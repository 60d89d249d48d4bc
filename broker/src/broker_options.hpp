// The broker's settings: command-line flags and the TOML file of --config, merged (flags
// win) and validated in one place, so that every bad value gets one clear message naming
// where it was written (the flag, or file:line and key) and what is accepted. Nothing here
// starts anything; main.cpp applies the result. docs/operations.md, "Configuration",
// lists every setting.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "broker.hpp"
#include "log.hpp"

namespace enlace::broker {

/// Exit statuses of enlace-broker (docs/operations.md, "Exit statuses").
enum BrokerExit : int {
  kBrokerOk = 0,
  kBrokerFailed = 1,  // a policy, key or file problem, or an address that cannot be bound
  kBrokerUsage = 2,   // a bad flag or configuration file
};

/// Problems found in the flags or the configuration file, every one of them, each a
/// complete message ("--metrics-interval 'abc': ...", "broker.toml:7: unknown key ...").
class OptionsError : public std::runtime_error {
 public:
  explicit OptionsError(std::vector<std::string> problems);
  const std::vector<std::string>& problems() const noexcept { return problems_; }

 private:
  std::vector<std::string> problems_;
};

struct BrokerOptions {
  BrokerConfig config;  // everything but the keys, which load() reads
  std::filesystem::path keys_base;
  std::filesystem::path config_file;  // --config, empty if none
  /// The data directory (--data-dir): the default place of the pid file, and of the journal
  /// once there is one. Must exist and be writable.
  std::filesystem::path data_dir;
  log::Level log_level = log::Level::info;
  log::Format log_format = log::Format::text;
  std::filesystem::path log_file;  // empty: stderr
  bool check_config = false;       // --check-config: validate everything, bind nothing
  std::string check_policy;        // --check-policy FILE
  bool help = false;
  bool version = false;  // --version
};

/// Parses the command line and, with --config, the file it names. Throws OptionsError.
BrokerOptions parse_broker_options(int argc, char** argv);

/// What the settings name must be usable: the data directory exists and is writable, the
/// directories of the pid, ready and metrics files exist. Every problem, as messages.
std::vector<std::string> check_paths(const BrokerOptions& options);

}  // namespace enlace::broker
