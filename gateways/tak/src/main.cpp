// enlace-tak-gateway: makes Enlace look like a TAK Server to TAK clients.
//
//   enlace-tak-gateway --config FILE [--check-config] [--ready-file FILE]
//                      [--connect-timeout SECONDS] [--log-level debug|info|warn|error]
//
// --check-config loads the configuration, the keys and the TLS files and exits: 0 when
// all is well, 1 with the first problem. --ready-file is written once the broker has
// welcomed the gateway and every listener is bound: {"tcp":P,"tls":P,"udp":P} with the
// ports actually bound (0 for one not configured), for scripts and tests that listen on
// port 0.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include <fmt/format.h>

#include "config.hpp"
#include "enlace/enlace.h"
#include "gateway.hpp"
#include "log.hpp"
#include "tls_context.hpp"

namespace {

constexpr const char* kUsage =
    "usage: enlace-tak-gateway --config FILE [--check-config] [--ready-file FILE]\n"
    "                          [--connect-timeout SECONDS] [--log-level debug|info|warn|error]\n"
    "       enlace-tak-gateway --version\n";

int check(const enlace::tak::Config& config) {
  auto keys = enlace::load_keypair(config.keys);
  if (!keys) {
    std::fprintf(stderr, "enlace-tak-gateway: %s\n", keys.error().reason.c_str());
    return 1;
  }
  if (config.tls) {
    auto context = enlace::tak::make_tls_context(*config.tls);
    if (!context) {
      std::fprintf(stderr, "enlace-tak-gateway: %s\n", context.error().reason.c_str());
      return 1;
    }
  }
  auto listener = [](const char* name, const std::optional<enlace::tak::Endpoint>& at) {
    if (at) std::printf("  %s %s:%u\n", name, at->host.c_str(), at->port);
  };
  std::printf("configuration OK: broker %s, %zu subscription pattern(s), %zu unit mapping(s)\n",
              config.broker_endpoint.c_str(), config.subscribe.size(), config.units.size());
  listener("tcp", config.tcp);
  if (config.tls) listener("tls", config.tls->listen);
  if (config.udp) listener("udp", config.udp->listen);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_file, ready_file;
  bool check_only = false;
  long connect_timeout = 30;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "enlace-tak-gateway: %s needs a value\n%s", arg.c_str(), kUsage);
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--config") {
      config_file = value();
    } else if (arg == "--check-config") {
      check_only = true;
    } else if (arg == "--ready-file") {
      ready_file = value();
    } else if (arg == "--connect-timeout") {
      connect_timeout = std::strtol(value().c_str(), nullptr, 10);
    } else if (arg == "--log-level") {
      const std::string level = value();
      using L = enlace::tak::log::Level;
      enlace::tak::log::threshold() = level == "debug"   ? L::debug
                                      : level == "warn"  ? L::warn
                                      : level == "error" ? L::error
                                                         : L::info;
    } else if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "--version") {
      std::printf("enlace-tak-gateway %s\n", ENLACE_VERSION_STRING);
      return 0;
    } else {
      std::fprintf(stderr, "enlace-tak-gateway: unknown argument '%s'\n%s", arg.c_str(), kUsage);
      return 2;
    }
  }
  if (config_file.empty()) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  auto config = enlace::tak::load_config(config_file);
  if (!config) {
    std::fprintf(stderr, "enlace-tak-gateway: %s\n", config.error().reason.c_str());
    return 1;
  }
  if (check_only) return check(*config);

  auto gateway = enlace::tak::Gateway::create(std::move(*config));
  if (!gateway) {
    std::fprintf(stderr, "enlace-tak-gateway: %s\n", gateway.error().reason.c_str());
    return 1;
  }
  auto connected = (*gateway)->connect(std::chrono::seconds(connect_timeout));
  if (!connected) {
    std::fprintf(stderr, "enlace-tak-gateway: broker: %s\n", connected.error().reason.c_str());
    return 1;
  }
  if (!ready_file.empty()) {
    const std::string temporary = ready_file + ".tmp";
    std::ofstream(temporary) << fmt::format("{{\"tcp\":{},\"tls\":{},\"udp\":{}}}\n",
                                            (*gateway)->tcp_port(), (*gateway)->tls_port(),
                                            (*gateway)->udp_port());
    std::rename(temporary.c_str(), ready_file.c_str());
  }
  (*gateway)->run();
  return 0;
}
