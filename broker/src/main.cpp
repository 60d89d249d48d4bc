// enlace-broker: command line, signals, and the broker's lifetime.
#include <malloc.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

#include "broker.hpp"
#include "log.hpp"

namespace {

using enlace::broker::Broker;
using enlace::broker::BrokerConfig;

Broker* g_broker = nullptr;

extern "C" void on_signal(int signal) {
  if (g_broker == nullptr) return;
  if (signal == SIGHUP) {
    g_broker->request_reload();
  } else {
    g_broker->request_stop();
  }
}

constexpr const char* kUsage = R"(usage:
  enlace-broker --policy FILE --keys BASE [options]
  enlace-broker --check-policy FILE

Serves an Enlace bus: CURVE-authenticated clients, policy-enforced routing.

  --policy FILE          coalition policy (TOML, see docs/policy.md); SIGHUP reloads it
  --keys BASE            broker CURVE key pair: BASE.pub and BASE.key (enlace keygen)
  --endpoint EP          ZeroMQ endpoint to bind (default tcp://127.0.0.1:7450;
                         tcp://127.0.0.1:* picks a free port)
  --broker-id ID         name in every delivery header (default enlace-broker)
  --ready-file FILE      write the bound endpoint here once accepting connections
  --metrics-file FILE    write counters as JSON here periodically and at exit
  --metrics-interval S   seconds between metrics writes (default 10)
  --liveness-probe MS    a session that announced no heartbeat and is silent this long
                         is sent a Ping, and closed when silent twice as long
                         (default 30000; 0: never)
  --http ADDR            HTTP endpoint: /metrics (Prometheus), /healthz, /readyz, /status
                         (JSON); ADDR is IP:PORT or [IPv6]:PORT (default 127.0.0.1:7451,
                         loopback only; another address must be given explicitly and
                         is readable without authentication), or off. See
                         docs/operations.md
  --log-level LEVEL      debug, info (default), warn or error
  --check-policy FILE    validate a policy file, explain each error with its line, exit
  --version              print the version and exit
  --help                 this text

Signals: SIGINT/SIGTERM stop cleanly; SIGHUP reloads the policy (revoked systems lose
their sessions at once).
)";

int check_policy(const std::string& file) {
  try {
    const auto policy = enlace::policy::Policy::load_file(file);
    std::printf(
        "%s: OK: coalition '%s', %zu nations, %zu roles, %zu systems, %zu agreements, digest %s\n",
        file.c_str(), policy->coalition().c_str(), policy->nations().size(), policy->roles().size(),
        policy->systems().size(), policy->agreements().size(), policy->digest().c_str());
    return 0;
  } catch (const enlace::policy::PolicyError& e) {
    for (const auto& d : e.diagnostics()) {
      std::fprintf(stderr, "%s:%d: error: %s\n", d.where.file.c_str(), d.where.line,
                   d.message.c_str());
    }
    std::fprintf(stderr, "%s: %zu error(s)\n", file.c_str(), e.diagnostics().size());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: error: %s\n", file.c_str(), e.what());
  }
  return 1;
}

// Batch frames are tens to hundreds of KiB, and ZeroMQ allocates a fresh buffer for every
// frame it decrypts or encrypts, freeing it moments later. With glibc's defaults such
// blocks are mmap()ed and munmap()ed, or trimmed off the top of the heap, frame after frame:
// page faults and zeroed pages that cost the broker more than routing the messages
// (docs/performance.md). Keep them in the heap; the broker's footprint is bounded by its
// queues anyway.
void keep_frame_buffers_in_heap() {
  mallopt(M_MMAP_THRESHOLD, 8 * 1024 * 1024);  // also turns off glibc's moving threshold
  mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
}

}  // namespace

int main(int argc, char** argv) {
  keep_frame_buffers_in_heap();
  BrokerConfig config;
  config.version = ENLACE_BROKER_VERSION;
  std::string keys_base;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "enlace-broker: %s needs a value\n%s", arg.c_str(), kUsage);
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "--version") {
      std::printf("enlace-broker %s\n", ENLACE_BROKER_VERSION);
      return 0;
    } else if (arg == "--check-policy") {
      return check_policy(value());
    } else if (arg == "--policy") {
      config.policy_file = value();
    } else if (arg == "--keys") {
      keys_base = value();
    } else if (arg == "--endpoint") {
      config.endpoint = value();
    } else if (arg == "--broker-id") {
      config.broker_id = value();
    } else if (arg == "--ready-file") {
      config.ready_file = value();
    } else if (arg == "--metrics-file") {
      config.metrics_file = value();
    } else if (arg == "--metrics-interval") {
      config.metrics_interval = std::chrono::seconds(std::stoi(value()));
    } else if (arg == "--http") {
      const std::string text = value();
      auto parsed = enlace::broker::parse_http_address(text);
      if (!parsed) {
        std::fprintf(stderr, "enlace-broker: %s\n", parsed.error().reason.c_str());
        return 2;
      }
      config.http = std::move(*parsed);
    } else if (arg == "--liveness-probe") {
      config.liveness_probe = std::chrono::milliseconds(std::stoll(value()));
    } else if (arg == "--log-level") {
      const std::string level = value();
      using enlace::broker::log::Level;
      auto& threshold = enlace::broker::log::threshold();
      if (level == "debug")
        threshold = Level::debug;
      else if (level == "info")
        threshold = Level::info;
      else if (level == "warn")
        threshold = Level::warn;
      else if (level == "error")
        threshold = Level::error;
      else {
        std::fprintf(stderr, "enlace-broker: unknown log level '%s'\n", level.c_str());
        return 2;
      }
    } else {
      std::fprintf(stderr, "enlace-broker: unknown option '%s'\n%s", arg.c_str(), kUsage);
      return 2;
    }
  }
  if (config.policy_file.empty() || keys_base.empty()) {
    std::fprintf(stderr, "enlace-broker: --policy and --keys are required\n%s", kUsage);
    return 2;
  }

  std::shared_ptr<const enlace::policy::Policy> policy;
  try {
    policy = enlace::policy::Policy::load_file(config.policy_file);
  } catch (const std::exception&) {
    return check_policy(config.policy_file.string());  // prints every problem with its line
  }
  auto keys = enlace::load_keypair(keys_base);
  if (!keys) {
    std::fprintf(stderr, "enlace-broker: %s\n", keys.error().reason.c_str());
    return 1;
  }
  config.keys = std::move(*keys);

  try {
    Broker broker(std::move(config), std::move(policy));
    g_broker = &broker;
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
    sigaction(SIGHUP, &action, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
    broker.run();
    g_broker = nullptr;
  } catch (const std::exception& e) {
    g_broker = nullptr;
    enlace::broker::log::error("broker failed: {}", e.what());
    return 1;
  }
  return 0;
}
