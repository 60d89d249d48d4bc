// enlace-broker: command line, signals, and the broker's lifetime.
#include <malloc.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>

#include "broker.hpp"
#include "broker_options.hpp"
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
  enlace-broker --config FILE [options]
  enlace-broker --config FILE --check-config
  enlace-broker --check-policy FILE

Serves an Enlace bus: CURVE-authenticated clients, policy-enforced routing.

  --config FILE          settings in a TOML file (docs/operations.md, "Configuration");
                         flags given as well override the file
  --check-config         validate the flags, the file, the keys and the policy, bind
                         nothing, exit 0 if all is well
  --policy FILE          coalition policy (TOML, see docs/policy.md); SIGHUP reloads it
  --keys BASE            broker CURVE key pair: BASE.pub and BASE.key (enlace keygen)
  --endpoint EP          ZeroMQ endpoint to bind (default tcp://127.0.0.1:7450;
                         tcp://127.0.0.1:* picks a free port)
  --broker-id ID         name in every delivery header (default enlace-broker)
  --data-dir DIR         the broker's own state: the journals of durable streams, the
                         sequence mark and the pid file; must exist
  --pid-file FILE        write the process id here once ready (default
                         DIR/enlace-broker.pid with --data-dir); enlace broker reload
                         reads it
  --ready-file FILE      write the bound endpoint here once accepting connections
  --metrics-file FILE    write counters as JSON here periodically and at exit
  --metrics-interval S   whole seconds between metrics writes, 1 to 86400 (default 10)
  --liveness-probe MS    a session that announced no heartbeat and is silent this long
                         is sent a Ping, and closed when silent twice as long
                         (default 30000; 0: never)
  --http ADDR            HTTP endpoint: /metrics (Prometheus), /healthz, /readyz, /status
                         (JSON); ADDR is IP:PORT or [IPv6]:PORT (default 127.0.0.1:7451,
                         loopback only; another address must be given explicitly and
                         is readable without authentication), or off. See
                         docs/operations.md
  --log-level LEVEL      debug, info (default), warn or error
  --log-format FORMAT    text (default) or json (one JSON object per line)
  --log-file FILE        append the log here instead of standard error
  --check-policy FILE    validate a policy file, explain each error with its line, exit
  --version              print the version and exit
  --help                 this text

Exit status: 0 stopped cleanly (or the check passed), 1 a policy, key or file problem or an
address that cannot be bound, 2 a bad flag or configuration file.

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

// Opens the log file, if one is set; a message if it cannot.
std::optional<std::string> open_log(const enlace::broker::BrokerOptions& options) {
  namespace log = enlace::broker::log;
  log::threshold() = options.log_level;
  log::sink().format = options.log_format;
  if (options.log_file.empty()) return std::nullopt;
  std::FILE* file = std::fopen(options.log_file.c_str(), "ae");
  if (file == nullptr)
    return "log file '" + options.log_file.string() + "': " + std::strerror(errno);
  std::setvbuf(file, nullptr, _IOLBF, 0);  // each line reaches the file when written
  log::sink().file = file;
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  using enlace::broker::kBrokerFailed;
  using enlace::broker::kBrokerUsage;
  keep_frame_buffers_in_heap();
  enlace::broker::BrokerOptions options;
  try {
    options = enlace::broker::parse_broker_options(argc, argv);
  } catch (const enlace::broker::OptionsError& e) {
    for (const auto& problem : e.problems())
      std::fprintf(stderr, "enlace-broker: %s\n", problem.c_str());
    std::fputs("(enlace-broker --help lists the options)\n", stderr);
    return kBrokerUsage;
  }
  if (options.help) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (options.version) {
    std::printf("enlace-broker %s\n", ENLACE_BROKER_VERSION);
    return 0;
  }
  if (!options.check_policy.empty()) return check_policy(options.check_policy);
  int status = 0;
  for (const auto& problem : enlace::broker::check_paths(options)) {
    std::fprintf(stderr, "enlace-broker: %s\n", problem.c_str());
    status = kBrokerFailed;
  }
  BrokerConfig config = std::move(options.config);
  config.version = ENLACE_BROKER_VERSION;
  std::shared_ptr<const enlace::policy::Policy> policy;
  try {
    policy = enlace::policy::Policy::load_file(config.policy_file);
  } catch (const std::exception&) {
    check_policy(config.policy_file.string());  // prints every problem with its line
    status = kBrokerFailed;
  }
  auto keys = enlace::load_keypair(options.keys_base);
  if (!keys) {
    std::fprintf(stderr, "enlace-broker: %s\n", keys.error().reason.c_str());
    status = kBrokerFailed;
  }
  if (status != 0) return status;
  config.keys = std::move(*keys);
  if (options.check_config) {
    std::printf(
        "configuration OK: endpoint %s, HTTP %s, policy %s (coalition '%s', %zu systems, digest "
        "%s), keys %s, pid file %s\n",
        config.endpoint.c_str(), config.http ? config.http->to_string().c_str() : "off",
        config.policy_file.c_str(), policy->coalition().c_str(), policy->systems().size(),
        policy->digest().substr(0, 12).c_str(), options.keys_base.c_str(),
        config.pid_file.empty() ? "none" : config.pid_file.c_str());
    return 0;
  }
  if (auto problem = open_log(options)) {
    std::fprintf(stderr, "enlace-broker: %s\n", problem->c_str());
    return kBrokerFailed;
  }

  try {
    // A file size limit (ulimit -f) makes a journal write fail with EFBIG, answered
    // storage_unavailable, instead of killing the broker.
    std::signal(SIGXFSZ, SIG_IGN);
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
    // Also on standard error when the log goes to a file: whoever started it sees why.
    if (!options.log_file.empty()) std::fprintf(stderr, "enlace-broker: %s\n", e.what());
    return kBrokerFailed;
  }
  return 0;
}
