// enlace broker reload: has a running broker reload its policy file and reports what came
// of it. The authority is the operating system: the command signals the broker's process
// (SIGHUP), found through the pid file the broker writes, so only its own user (or root)
// can reload it. The outcome is then read from the broker's HTTP endpoint (/status,
// "last_reload"), which is read-only: no HTTP request can trigger a reload.
// docs/operations.md, "Reloading the policy", describes the whole exchange.
#include <flatbuffers/flexbuffers.h>
#include <flatbuffers/idl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <thread>

#include "broker_http.hpp"
#include "commands.hpp"
#include "enlace/policy/policy_diff.hpp"

namespace enlace::cli {
namespace {

constexpr OptionSpec kOptions[] = {
    {"pid-file", true}, {"http", true}, {"timeout", true}, {"json", false}};

constexpr std::string_view kDefaultPidFile = "/var/lib/enlace/enlace-broker.pid";

constexpr std::string_view kUsage =
    R"usage(usage: enlace broker reload [--pid-file FILE] [--http HOST:PORT] [--timeout S] [--json]

Has the running broker reload its policy file and prints the outcome: applied, with what
changed (nations, systems added, removed, revoked, reinstated, keys changed, systems moved
to another nation or role, roles and agreements added, removed or changed), or refused,
with every error of the new file and its line; after a refusal the old policy stays in
force, unchanged.

The broker is found by its pid file and signalled (SIGHUP): run this as the broker's user
or as root. The outcome is read from the broker's HTTP endpoint (GET /status), which must
be on; the command checks that the pid file and the endpoint name the same process.

  --pid-file FILE   the broker's pid file (enlace-broker --pid-file, or enlace-broker.pid
                    in its --data-dir); default $ENLACE_BROKER_PID_FILE, else
                    /var/lib/enlace/enlace-broker.pid (the systemd unit's)
  --http HOST:PORT  the broker's HTTP endpoint (enlace-broker --http); default
                    $ENLACE_BROKER_HTTP, else 127.0.0.1:7451
  --timeout S       how long to wait for the outcome (default 10)
  --json            print the broker's "last_reload" object as JSON

Exit status: 0 applied, 1 refused (the old policy still in force) or the broker could not
be signalled or read, 2 usage error, 3 signalled but no outcome within --timeout.
)usage";

// The operator-facing failure of this command: printed after "enlace broker reload: ".
class ReloadFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::string pid_file_of(const Args& args) {
  if (auto value = args.value("pid-file")) return *value;
  if (const char* env = std::getenv("ENLACE_BROKER_PID_FILE"); env != nullptr && *env != '\0')
    return env;
  return std::string(kDefaultPidFile);
}

// The broker's process id from its pid file, after checking that the process is there
// and is an enlace-broker: a pid file left by a broker that died must not make us signal
// whatever process has its number now.
long broker_pid(const std::string& pid_file) {
  std::ifstream in(pid_file);
  if (!in)
    throw ReloadFailure(fmt::format(
        "no pid file at {}: is the broker running? (it writes one with --pid-file FILE, or "
        "enlace-broker.pid in its --data-dir; name it with --pid-file)",
        pid_file));
  long pid = 0;
  if (!(in >> pid) || pid <= 1)
    throw ReloadFailure(fmt::format("pid file {} does not hold a process id", pid_file));
  if (::kill(static_cast<pid_t>(pid), 0) != 0) {
    if (errno == EPERM)
      throw ReloadFailure(fmt::format(
          "process {} (from {}) belongs to another user: run this as the broker's user or root",
          pid, pid_file));
    throw ReloadFailure(fmt::format(
        "stale pid file {}: process {} is not running, so neither is the broker that wrote it",
        pid_file, pid));
  }
  std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  if (comm && std::getline(comm, name) && name != "enlace-broker")
    throw ReloadFailure(fmt::format("stale pid file {}: process {} is '{}', not enlace-broker",
                                    pid_file, pid, name));
  return pid;
}

struct Status {
  std::vector<std::uint8_t> buffer;  // the /status document as a FlexBuffer
  flexbuffers::Map root() const { return flexbuffers::GetRoot(buffer).AsMap(); }
  flexbuffers::Map reload() const { return root()["last_reload"].AsMap(); }
  std::uint64_t sequence() const { return reload()["sequence"].AsUInt64(); }
};

Status read_status(const std::string& address) {
  const HttpReply reply = http_fetch(address, "/status");
  if (reply.status != 200)
    throw ReloadFailure(
        fmt::format("{} answered {} to GET /status: {}", address, reply.status, reply.body));
  flatbuffers::Parser parser;
  flexbuffers::Builder builder;
  if (!parser.ParseFlexBuffer(reply.body.c_str(), nullptr, &builder))
    throw ReloadFailure(fmt::format("the /status of {} is not JSON: {}", address, parser.error_));
  return Status{builder.GetBuffer()};
}

std::string joined(const flexbuffers::Vector& items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ", ";
    out += items[i].AsString().str();
  }
  return out;
}

int print_outcome(const flexbuffers::Map& r) {
  const std::string digest = r["digest"].AsString().str().substr(0, 12);
  const std::string previous = r["previous_digest"].AsString().str().substr(0, 12);
  const std::string time = r["time"].AsString().str();
  const std::uint64_t sequence = r["sequence"].AsUInt64();
  if (r["outcome"].AsString().str() != "applied") {
    const auto errors = r["errors"].AsVector();
    fmt::print("reload {} refused at {}: the policy in force is still {}, unchanged; {} error(s)\n",
               sequence, time, digest, errors.size());
    for (std::size_t i = 0; i < errors.size(); ++i) {
      const auto e = errors[i].AsMap();
      fmt::print("{}:{}: error: {}\n", e["file"].AsString().str(), e["line"].AsInt64(),
                 e["message"].AsString().str());
    }
    return kExitFailure;
  }
  fmt::print("reload {} applied at {}: policy {} (was {}{})\n", sequence, time, digest, previous,
             digest == previous ? ", the same text" : "");
  const auto changes = r["changes"].AsMap();
  bool any = false;
  for (const std::string_view name : policy::PolicyChanges::kListNames) {
    const auto items = changes[std::string(name).c_str()].AsVector();
    if (items.size() == 0) continue;
    any = true;
    std::string label(name);  // "systems_added" -> "systems added"
    std::replace(label.begin(), label.end(), '_', ' ');
    fmt::print("  {}: {}\n", label, joined(items));
  }
  if (!any) fmt::print("  no nation, system, role or agreement changed\n");
  fmt::print("  sessions ended: {}, subscriptions removed: {}\n", r["sessions_ended"].AsUInt64(),
             r["subscriptions_removed"].AsUInt64());
  return kExitOk;
}

int run_reload(const Args& args) {
  if (!args.positional().empty()) throw UsageError("broker reload takes no arguments");
  const auto timeout = parse_seconds(args.value("timeout").value_or("10"), "timeout");
  const std::string pid_file = pid_file_of(args);
  const std::string address = broker_http_address(args);
  try {
    const long pid = broker_pid(pid_file);
    std::optional<Status> before;
    try {
      before = read_status(address);
    } catch (const UsageError&) {
      throw;  // a malformed --http: exit 2 with the usage
    } catch (const std::runtime_error& e) {
      throw ReloadFailure(fmt::format(
          "{}; nothing was signalled: the outcome is read from the broker's HTTP endpoint, so "
          "it must be on (enlace-broker --http)",
          e.what()));
    }
    const auto serving = static_cast<long>(before->root()["server"].AsMap()["pid"].AsInt64());
    if (serving != pid)
      throw ReloadFailure(fmt::format(
          "{} names process {}, but the broker at {} is process {}; nothing was signalled "
          "(give the --pid-file and --http of the same broker)",
          pid_file, pid, address, serving));
    const std::uint64_t seen = before->sequence();
    if (::kill(static_cast<pid_t>(pid), SIGHUP) != 0)
      throw ReloadFailure(fmt::format("cannot signal process {}: {}", pid, std::strerror(errno)));
    // The broker publishes /status as soon as it has decided; ask again until it has.
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string last_problem = "it reported no newer reload";
    while (std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      try {
        const Status after = read_status(address);
        if (after.sequence() <= seen) continue;
        if (args.has("json")) {
          std::string json;
          after.root()["last_reload"].ToString(true, true, json);
          fmt::print("{}\n", json);
          return after.reload()["outcome"].AsString().str() == "applied" ? kExitOk : kExitFailure;
        }
        return print_outcome(after.reload());
      } catch (const std::runtime_error& e) {
        last_problem = e.what();  // restarted or gone: said at the end if it lasts
      }
    }
    fmt::print(stderr,
               "enlace broker reload: process {} was signalled, but {} reported no outcome "
               "within {} ms ({}); see the broker's log\n",
               pid, address, timeout.count(), last_problem);
    return kExitTimeout;
  } catch (const ReloadFailure& e) {
    fmt::print(stderr, "enlace broker reload: {}\n", e.what());
    return kExitFailure;
  }
}

}  // namespace

const Command& broker_reload_command() {
  static const Command command{"broker reload",
                               "reload a running broker's policy and report what changed", kUsage,
                               kOptions, run_reload};
  return command;
}

}  // namespace enlace::cli
