// Operating the broker (docs/operations.md): every flag and configuration-file mistake gets
// its own message and exit status, --check-config binds nothing, the pid file, the log
// formats, `enlace broker reload` against a real broker (applied, refused, no broker), and
// the service manager's readiness notifications. Each program runs as a child process and
// is judged by its exit status and its output, as an operator or systemd would.
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "broker_process.hpp"
#include "http_client.hpp"

extern char** environ;

using namespace enlace;
using namespace enlace::test;
using Catch::Matchers::Contains;

namespace {

struct Outcome {
  int status = -1;  // exit status; -1 if it did not exit within the bound
  std::string out;
  std::string err;
};

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A scratch directory, removed afterwards.
struct Scratch {
  std::filesystem::path path;
  Scratch() {
    char templ[] = "/tmp/enlace-ops-test-XXXXXX";
    REQUIRE(::mkdtemp(templ) != nullptr);
    path = templ;
  }
  ~Scratch() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name, std::ios::trunc) << text;
    return (path / name).string();
  }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

// Runs `program` with `args`, its output collected in files; waits at most `bound`.
Outcome run(const std::string& program, const std::vector<std::string>& args,
            std::chrono::milliseconds bound = 30s) {
  Scratch files;
  const std::string out = files / "out", err = files / "err";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out.c_str(), O_WRONLY | O_CREAT, 0600);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err.c_str(), O_WRONLY | O_CREAT, 0600);
  std::vector<std::string> storage{program};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  REQUIRE(rc == 0);
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  REQUIRE(pidfd >= 0);
  pollfd p{pidfd, POLLIN, 0};
  const bool ended = ::poll(&p, 1, static_cast<int>(bound.count())) == 1;
  ::close(pidfd);
  if (!ended) ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  Outcome outcome;
  outcome.status = ended && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  outcome.out = slurp(out);
  outcome.err = slurp(err);
  return outcome;
}

Outcome broker(const std::vector<std::string>& args) {
  return run(ENLACE_BROKER_PATH, args);
}

// A policy and broker keys the broker accepts, in `dir`.
struct Files {
  Scratch dir;
  TestCoalition coalition;
  std::string policy, keys;
  Files() {
    coalition.add("col-cp", "COL", "command_post");
    policy = dir.write("policy.toml", coalition.policy_toml());
    keys = dir / "broker";
    REQUIRE(save_keypair(generate_keypair(), keys).ok());
  }
  // A free port and no HTTP, should a run get as far as binding.
  std::vector<std::string> base() const {
    return {"--policy", policy, "--keys", keys, "--endpoint", "tcp://127.0.0.1:*", "--http", "off"};
  }
};

std::vector<std::string> operator+(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// The line (1-based) of `text` that holds `needle`; 0 if none.
int line_with(const std::string& text, const std::string& needle) {
  std::istringstream in(text);
  int number = 1;
  for (std::string line; std::getline(in, line); ++number)
    if (line.find(needle) != std::string::npos) return number;
  return 0;
}

}  // namespace

// ---- flags -----------------------------------------------------------------------------

TEST_CASE("broker flags: a non-numeric, zero or negative interval is refused with exit 2",
          "[integration][operations][config]") {
  Files files;
  for (const std::string value : {"abc", "0", "-5", "1.5", "86401"}) {
    const auto result =
        broker(files.base() + std::vector<std::string>{"--metrics-interval", value});
    INFO(result.err);
    CHECK(result.status == 2);
    CHECK_THAT(result.err, Contains("--metrics-interval '" + value +
                                    "': expected whole seconds from 1 to 86400"));
  }
  const auto probe = broker(files.base() + std::vector<std::string>{"--liveness-probe", "-1"});
  CHECK(probe.status == 2);
  CHECK_THAT(probe.err, Contains("--liveness-probe '-1': expected milliseconds"));
  const auto text = broker(files.base() + std::vector<std::string>{"--liveness-probe", "soon"});
  CHECK(text.status == 2);
  CHECK_THAT(text.err, Contains("--liveness-probe 'soon'"));
}

TEST_CASE("broker flags: each bad value is named with what is accepted",
          "[integration][operations][config]") {
  Files files;
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--endpoint", "127.0.0.1:7450"}, "--endpoint '127.0.0.1:7450': expected tcp://HOST:PORT"},
      {{"--broker-id", "a b"}, "--broker-id 'a b': expected 1 to 64 letters"},
      {{"--log-level", "loud"}, "--log-level 'loud': expected debug, info, warn or error"},
      {{"--log-format", "xml"}, "--log-format 'xml': expected text or json"},
      {{"--http", "localhost:7451"}, "--http 'localhost:7451'"},
      {{"--pid-file", ""}, "--pid-file '': expected a path"},
      {{"--bogus"}, "unknown option '--bogus'"},
      {{"--metrics-interval"}, "--metrics-interval needs a value"},
  };
  for (const auto& [args, message] : cases) {
    const auto result = broker(files.base() + args);
    INFO(args.front() << ": " << result.err);
    CHECK(result.status == 2);
    CHECK_THAT(result.err, Contains(message));
  }
  const auto none = broker({"--endpoint", "tcp://127.0.0.1:*"});
  CHECK(none.status == 2);
  CHECK_THAT(none.err, Contains("--policy and --keys are required"));
}

TEST_CASE("broker flags: a data directory or file directory that does not exist exits 1",
          "[integration][operations][config]") {
  Files files;
  const auto data =
      broker(files.base() + std::vector<std::string>{"--data-dir", files.dir / "nope"});
  CHECK(data.status == 1);
  CHECK_THAT(data.err, Contains("data directory '" + (files.dir / "nope") + "' does not exist"));
  const auto pid =
      broker(files.base() + std::vector<std::string>{"--pid-file", files.dir / "no/dir/pid"});
  CHECK(pid.status == 1);
  CHECK_THAT(pid.err, Contains("pid file '" + (files.dir / "no/dir/pid") + "'"));
  CHECK_THAT(pid.err, Contains("does not exist"));
}

TEST_CASE("broker flags: a busy endpoint stops the broker with a message naming it",
          "[integration][operations][config]") {
  TestCoalition coalition;
  coalition.add("col-cp", "COL", "command_post");
  BrokerProcess first(coalition);
  Files files;
  const auto second = broker(
      files.base() + std::vector<std::string>{"--endpoint", first.endpoint(), "--http", "off"});
  CHECK(second.status == 1);
  CHECK_THAT(second.err, Contains("cannot bind " + first.endpoint()));
  CHECK_THAT(second.err, Contains("--endpoint"));
}

// ---- the configuration file ------------------------------------------------------------

TEST_CASE("broker config: unknown keys and bad values are errors with their line",
          "[integration][operations][config]") {
  Files files;
  const std::string text =
      "policy = \"policy.toml\"\n"  // 1
      "keys = \"broker\"\n"         // 2
      "endpont = \"tcp://x:1\"\n"   // 3: misspelt
      "[metrics]\n"                 // 4
      "interval_seconds = 0\n"      // 5: zero
      "[log]\n"                     // 6
      "format = \"xml\"\n"          // 7
      "colour = true\n"             // 8: unknown in [log]
      "[http]\n"                    // 9
      "address = 7451\n";           // 10: not a string
  const std::string config = files.dir.write("broker.toml", text);
  const auto result = broker({"--config", config});
  INFO(result.err);
  CHECK(result.status == 2);
  CHECK_THAT(result.err, Contains(config + ":3: unknown key 'endpont'"));
  CHECK_THAT(result.err, Contains("(did you mean 'endpoint'?)"));
  CHECK_THAT(result.err,
             Contains(config + ":5: metrics.interval_seconds '0': expected whole seconds"));
  CHECK_THAT(result.err, Contains(config + ":7: log.format 'xml': expected text or json"));
  CHECK_THAT(result.err, Contains(config + ":8: unknown key 'colour' in [log]"));
  CHECK_THAT(result.err, Contains(config + ":10: 'address' in [http] must be a string"));

  const std::string broken = files.dir.write("broken.toml", "policy = \"policy.toml\"\nkeys = [\n");
  const auto syntax = broker({"--config", broken});
  CHECK(syntax.status == 2);
  CHECK_THAT(syntax.err, Contains(broken + ":"));
  CHECK_THAT(syntax.err, Contains("TOML syntax error"));

  const auto missing = broker({"--config", files.dir / "absent.toml"});
  CHECK(missing.status == 2);
  CHECK_THAT(missing.err, Contains("--config '" + (files.dir / "absent.toml") + "': cannot read"));
}

TEST_CASE("broker config: flags override the file, and --check-config binds nothing",
          "[integration][operations][config]") {
  Files files;
  // A port this test holds: a broker that bound it would fail.
  const int held = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(held, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
  REQUIRE(::listen(held, 1) == 0);
  socklen_t length = sizeof(address);
  ::getsockname(held, reinterpret_cast<sockaddr*>(&address), &length);
  const std::string port = std::to_string(ntohs(address.sin_port));

  // Relative paths are taken from the file's directory; the interval of 0 is bad, and the
  // flag's value replaces it.
  const std::string config = files.dir.write(
      "broker.toml",
      "policy = \"policy.toml\"\nkeys = \"broker\"\nendpoint = \"tcp://127.0.0.1:" + port +
          "\"\n[http]\naddress = \"127.0.0.1:" + port + "\"\n[metrics]\ninterval_seconds = 0\n");
  const auto bad = broker({"--config", config, "--check-config"});
  CHECK(bad.status == 2);
  const auto good = broker({"--config", config, "--check-config", "--metrics-interval", "5"});
  INFO(good.err);
  CHECK(good.status == 0);
  CHECK_THAT(good.out, Contains("configuration OK: endpoint tcp://127.0.0.1:" + port));
  CHECK_THAT(good.out, Contains("coalition 'Test coalition', 1 systems"));
  ::close(held);
}

TEST_CASE("broker config: --check-config reports policy and key problems with exit 1",
          "[integration][operations][config]") {
  Files files;
  files.coalition.extra = "[limits_typo]\n";
  const std::string text = files.coalition.policy_toml();
  files.dir.write("policy.toml", text);
  const auto policy = broker(files.base() + std::vector<std::string>{"--check-config"});
  CHECK(policy.status == 1);
  CHECK_THAT(policy.err,
             Contains("policy.toml:" + std::to_string(line_with(text, "[limits_typo]")) +
                      ": error: unknown key 'limits_typo'"));
  files.coalition.extra.clear();
  files.dir.write("policy.toml", files.coalition.policy_toml());
  const auto keys =
      broker({"--policy", files.policy, "--keys", files.dir / "nokeys", "--check-config"});
  CHECK(keys.status == 1);
  CHECK_THAT(keys.err, Contains("nokeys"));
}

// ---- pid file and log ------------------------------------------------------------------

TEST_CASE("broker: the pid file is in the data directory by default and goes at exit",
          "[integration][operations]") {
  Scratch data;
  TestCoalition coalition;
  coalition.add("col-cp", "COL", "command_post");
  BrokerProcess process(coalition, {"--data-dir", data.path.string()});
  const std::string pid_file = data / "enlace-broker.pid";
  REQUIRE(std::filesystem::exists(pid_file));
  CHECK(std::stol(slurp(pid_file)) == process.pid());
  CHECK_THAT(http_get(process.http_address(), "/status").body,
             Contains("\"pid\":" + std::to_string(process.pid())));
  const int status = process.stop();
  CHECK(WIFEXITED(status));
  CHECK_FALSE(std::filesystem::exists(pid_file));
}

TEST_CASE("broker: --log-format json writes one JSON object per line to --log-file",
          "[integration][operations]") {
  Scratch logs;
  TestCoalition coalition;
  coalition.add("col-cp", "COL", "command_post");
  const std::string file = logs / "broker.log";
  BrokerProcess process(coalition, {"--log-format", "json", "--log-file", file});
  const std::string text = slurp(file);
  INFO(text);
  CHECK_THAT(text, Contains("{\"time\":\""));
  CHECK_THAT(text, Contains("\"level\":\"info\",\"message\":\"broker 'test-broker' listening on"));
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    CHECK(line.front() == '{');
    CHECK(line.back() == '}');
  }
}

TEST_CASE("broker: refusals are logged at info", "[integration][operations]") {
  TestCoalition coalition;
  coalition.add("col-cp", "COL", "command_post");
  BrokerProcess process(coalition);
  Client client(process.options_for(coalition["col-cp"]));
  REQUIRE(client.wait_connected(10s).ok());
  CHECK_FALSE(publish_text(client, "track.COL.not-mine", "no").ok());
  const auto log = process.directory() / "broker.log";
  CHECK(eventually([&] {
    return slurp(log).find("INFO refused col-cp (publish_denied)") != std::string::npos;
  }));
}

// ---- the service manager ---------------------------------------------------------------

namespace {

// A unix datagram socket standing in for systemd's notification socket.
struct NotifySocket {
  Scratch dir;
  std::string path;
  int fd = -1;
  NotifySocket() {
    path = dir / "notify";
    fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
    ::setenv("NOTIFY_SOCKET", path.c_str(), 1);  // inherited by the broker started next
  }
  ~NotifySocket() {
    ::unsetenv("NOTIFY_SOCKET");
    ::close(fd);
  }
  // The next datagram, or "" if none within `bound`.
  std::string next(std::chrono::milliseconds bound = 20s) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(bound.count())) != 1) return {};
    char buffer[4096];
    const auto n = ::recv(fd, buffer, sizeof(buffer), 0);
    return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string();
  }
};

}  // namespace

TEST_CASE("broker: READY=1 once serving, RELOADING=1 and READY=1 around a reload, STOPPING=1",
          "[integration][operations][systemd]") {
  NotifySocket notify;
  TestCoalition coalition;
  coalition.add("col-cp", "COL", "command_post");
  BrokerProcess process(coalition);
  const std::string ready = notify.next();
  CHECK_THAT(ready, Contains("READY=1"));
  // Ready means serving: a client connects at once.
  Client client(process.options_for(coalition["col-cp"]));
  CHECK(client.wait_connected(10s).ok());

  process.signal_reload();
  CHECK_THAT(notify.next(), Contains("RELOADING=1"));
  CHECK_THAT(notify.next(), Contains("READY=1"));
  process.stop();
  CHECK_THAT(notify.next(), Contains("STOPPING=1"));
}

// ---- enlace broker reload --------------------------------------------------------------

#ifdef ENLACE_CLI_PATH

namespace {

Outcome cli(const std::vector<std::string>& args) {
  return run(ENLACE_CLI_PATH, args);
}

// A broker with a pid file, and the arguments that reach it.
struct ReloadBus {
  TestCoalition coalition;
  Scratch data;
  std::unique_ptr<BrokerProcess> process;
  ReloadBus() {
    coalition.add("col-cp", "COL", "command_post");
    coalition.add("ecu-cp", "ECU", "command_post");
    coalition.add("col-radar", "COL", "sensor");
    process = std::make_unique<BrokerProcess>(
        coalition, std::vector<std::string>{"--data-dir", data.path.string()});
  }
  std::vector<std::string> reach() const {
    return {"--pid-file", data / "enlace-broker.pid", "--http", process->http_address()};
  }
  std::string status() const { return http_get(process->http_address(), "/status").body; }
};

}  // namespace

TEST_CASE("broker reload: an applied reload lists what changed",
          "[integration][operations][reload]") {
  ReloadBus bus;
  Client radar(bus.process->options_for(bus.coalition["col-radar"]));
  REQUIRE(radar.wait_connected(10s).ok());

  bus.coalition.add("per-cp", "PER", "command_post");
  bus.coalition.revoked.push_back("col-radar");
  bus.coalition.rekey("ecu-cp");
  bus.coalition.edits = {
      {R"(subscribe.allow = ["track.>", "alert.>", "text.>"])", R"(subscribe.allow = ["track.>"])"},
      {R"(parties = ["COL", "BRA"])", R"(parties = ["COL", "BRA", "PER"])"}};
  bus.process->write_policy(bus.coalition);
  const auto result = cli(std::vector<std::string>{"broker", "reload"} + bus.reach());
  INFO(result.out << result.err);
  CHECK(result.status == 0);
  CHECK_THAT(result.out, Contains("reload 1 applied at "));
  CHECK_THAT(result.out, Contains("  systems added: per-cp\n"));
  CHECK_THAT(result.out, Contains("  systems revoked: col-radar\n"));
  CHECK_THAT(result.out, Contains("  keys changed: ecu-cp\n"));
  CHECK_THAT(result.out, Contains("  roles changed: observer\n"));
  CHECK_THAT(result.out, Contains("  agreements changed: amazon\n"));
  CHECK_THAT(result.out, Contains("  sessions ended: 1,"));
  // The revoked system's session ended with the reload.
  CHECK(eventually([&] { return radar.state() != ConnectionState::connected; }));

  // Reloading the same file again applies it with nothing changed; --json gives the object.
  const auto again = cli(std::vector<std::string>{"broker", "reload", "--json"} + bus.reach());
  CHECK(again.status == 0);
  CHECK_THAT(again.out, Contains("\"sequence\": 2"));
  CHECK_THAT(again.out, Contains("\"outcome\": \"applied\""));
}

TEST_CASE("broker reload: a refused reload lists the errors with their lines, the old policy stays",
          "[integration][operations][reload]") {
  ReloadBus bus;
  Client col(bus.process->options_for(bus.coalition["col-cp"]));
  REQUIRE(col.wait_connected(10s).ok());
  const std::string before = bus.status();
  const auto digest_at = before.find("\"digest\":\"");
  const std::string digest = before.substr(digest_at + 10, 64);

  bus.coalition.extra = "[limits_typo]\nx = 1\n";
  const std::string text = bus.coalition.policy_toml();
  bus.process->write_policy(bus.coalition);
  const auto result = cli(std::vector<std::string>{"broker", "reload"} + bus.reach());
  INFO(result.out << result.err);
  CHECK(result.status == 1);
  CHECK_THAT(result.out, Contains("reload 1 refused at "));
  CHECK_THAT(result.out, Contains("the policy in force is still " + digest.substr(0, 12)));
  CHECK_THAT(result.out,
             Contains("policy.toml:" + std::to_string(line_with(text, "[limits_typo]")) +
                      ": error: unknown key 'limits_typo'"));
  // The system connected before keeps working under the old policy.
  CHECK(publish_text(col, "text.COL.still-here", "yes").ok());
  CHECK_THAT(bus.status(), Contains("\"digest\":\"" + digest + "\""));
}

TEST_CASE("broker reload: no pid file, a stale one, or one naming another program is an error",
          "[integration][operations][reload]") {
  Scratch dir;
  const auto absent = cli({"broker", "reload", "--pid-file", dir / "none.pid"});
  CHECK(absent.status == 1);
  CHECK_THAT(absent.err, Contains("no pid file at " + (dir / "none.pid")));

  // The pid of a process that has ended: the broker that wrote it died.
  pid_t gone = -1;
  {
    char* argv[] = {const_cast<char*>("true"), nullptr};
    REQUIRE(::posix_spawn(&gone, "/bin/true", nullptr, nullptr, argv, environ) == 0);
    ::waitpid(gone, nullptr, 0);
  }
  const auto stale =
      cli({"broker", "reload", "--pid-file", dir.write("stale.pid", std::to_string(gone) + "\n")});
  CHECK(stale.status == 1);
  CHECK_THAT(stale.err, Contains("stale pid file"));
  CHECK_THAT(stale.err, Contains("process " + std::to_string(gone) + " is not running"));

  // A running process that is not a broker (this test) is never signalled.
  const auto other = cli({"broker", "reload", "--pid-file",
                          dir.write("other.pid", std::to_string(::getpid()) + "\n")});
  CHECK(other.status == 1);
  CHECK_THAT(other.err, Contains("not enlace-broker"));
}

TEST_CASE("broker reload: a broker whose HTTP endpoint does not answer is not signalled",
          "[integration][operations][reload]") {
  ReloadBus bus;
  const auto result = cli(
      {"broker", "reload", "--pid-file", bus.data / "enlace-broker.pid", "--http", "127.0.0.1:1"});
  CHECK(result.status == 1);
  CHECK_THAT(result.err, Contains("nothing was signalled"));
  const auto usage =
      cli({"broker", "reload", "--pid-file", bus.data / "enlace-broker.pid", "--http", "no-port"});
  CHECK(usage.status == 2);
  const auto timeout = cli({"broker", "reload", "--timeout", "soon"});
  CHECK(timeout.status == 2);
  CHECK_THAT(timeout.err, Contains("--timeout wants seconds"));
  CHECK_THAT(bus.status(), Contains("\"last_reload\":{\"sequence\":0,\"outcome\":\"none\"}"));
}

#endif  // ENLACE_CLI_PATH

TEST_CASE("broker config: the installed example configuration is valid",
          "[integration][operations][config]") {
  Files files;
  const auto example =
      std::filesystem::path(__FILE__).parent_path() / "../../packaging/broker.toml.example";
  REQUIRE(std::filesystem::exists(example));
  // Its paths are the installed ones (/etc/enlace); the flags put this test's in their place.
  const auto result = broker({"--config", example.string(), "--policy", files.policy, "--keys",
                              files.keys, "--check-config"});
  INFO(result.err);
  CHECK(result.status == 0);
  CHECK_THAT(result.out,
             Contains("configuration OK: endpoint tcp://0.0.0.0:7450, HTTP 127.0.0.1:7451"));
}
