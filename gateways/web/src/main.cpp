// enlace-web: the common operating picture of one command post, in its browsers.
//
//   enlace-web --config FILE [--check-config] [--ready-file FILE]
//              [--connect-timeout SECONDS] [--log-level debug|info|warn|error]
//
// --check-config loads the configuration, the keys and the page's files, prints what it
// would serve and exits: 0 when all is well, 1 with the first problem. --ready-file is
// written once the broker has welcomed the process, every subscription is in place and
// the HTTP listener is bound: {"http":PORT}, the port actually bound (for listen port 0).
#include <cstdio>
#include <fstream>
#include <string>

#include <fmt/format.h>

#include "common/log.hpp"
#include "config.hpp"
#include "enlace/enlace.h"
#include "enlace/enlace.hpp"
#include "static_files.hpp"
#include "web_gateway.hpp"

namespace {

namespace log = enlace::gateway::log;

constexpr const char* kUsage =
    "usage: enlace-web --config FILE [--check-config] [--ready-file FILE]\n"
    "                  [--connect-timeout SECONDS] [--log-level debug|info|warn|error]\n"
    "       enlace-web --version\n";

int check(const enlace::web::Config& config) {
  auto keys = enlace::load_keypair(config.bus.keys);
  if (!keys) {
    std::fprintf(stderr, "enlace-web: %s\n", keys.error().reason.c_str());
    return 1;
  }
  auto files = enlace::web::StaticFiles::load(config.ui_dir);
  if (!files) {
    std::fprintf(stderr, "enlace-web: %s\n", files.error().reason.c_str());
    return 1;
  }
  std::printf(
      "configuration OK: broker %s, %zu subscription pattern(s), page of %zu files "
      "from %s, http://%s:%u/\n",
      config.bus.broker.c_str(), config.subscribe.size(), files->count(), config.ui_dir.c_str(),
      config.listen.host.c_str(), config.listen.port);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_file, ready_file;
  bool check_only = false;
  long connect_timeout = 30;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--config" && has_value) {
      config_file = argv[++i];
    } else if (arg == "--check-config") {
      check_only = true;
    } else if (arg == "--ready-file" && has_value) {
      ready_file = argv[++i];
    } else if (arg == "--connect-timeout" && has_value) {
      connect_timeout = std::strtol(argv[++i], nullptr, 10);
    } else if (arg == "--log-level" && has_value) {
      const std::string level = argv[++i];
      log::set_threshold(level == "debug"   ? log::Level::debug
                         : level == "warn"  ? log::Level::warn
                         : level == "error" ? log::Level::error
                                            : log::Level::info);
    } else if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "--version") {
      std::printf("enlace-web %s\n", ENLACE_VERSION_STRING);
      return 0;
    } else {
      std::fprintf(stderr, "enlace-web: unknown argument or missing value '%s'\n%s",
                   log::escaped(arg).c_str(), kUsage);
      return 2;
    }
  }
  if (config_file.empty()) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  enlace::web::Config config;
  try {
    config = enlace::web::load_config(config_file);
  } catch (const enlace::gateway::ConfigError& e) {
    std::fprintf(stderr, "enlace-web: %s\n", e.what());
    return 1;
  }
  if (check_only) return check(config);

  auto gateway = enlace::web::WebGateway::create(std::move(config));
  if (!gateway) {
    std::fprintf(stderr, "enlace-web: %s\n", gateway.error().reason.c_str());
    return 1;
  }
  auto connected = (*gateway)->connect(std::chrono::seconds(connect_timeout));
  if (!connected) {
    std::fprintf(stderr, "enlace-web: broker: %s\n", connected.error().reason.c_str());
    return 1;
  }
  if (!ready_file.empty()) {
    const std::string temporary = ready_file + ".tmp";
    std::ofstream(temporary) << fmt::format("{{\"http\":{}}}\n", (*gateway)->http_port());
    std::rename(temporary.c_str(), ready_file.c_str());
  }
  (*gateway)->run();
  return 0;
}
