// The enlace command-line tool against a real broker: each test runs the installed-style
// binary (ENLACE_CLI_PATH) as a child process and judges it by its exit status, stdout and
// stderr, as a script or an operator would.
#include <catch2/catch.hpp>

#ifdef ENLACE_CLI_PATH

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "broker_process.hpp"

extern char** environ;

using namespace enlace;
using namespace enlace::test;

namespace {

struct CliResult {
  int status = -1;  // exit status; 128 + signal when killed by one
  std::string out;
  std::string err;
};

// One run of the enlace binary with its three standard streams on pipes. Every wait is
// bounded; the destructor kills a process that is still running.
class CliProcess {
 public:
  /// `env` holds NAME=VALUE entries that replace (or add to) this process's environment.
  explicit CliProcess(const std::vector<std::string>& args, const std::string& input = {},
                      const std::vector<std::string>& env = {}) {
    std::array<int, 2> in{-1, -1}, out{-1, -1}, err{-1, -1};
    if (::pipe2(in.data(), O_CLOEXEC) != 0 || ::pipe2(out.data(), O_CLOEXEC) != 0 ||
        ::pipe2(err.data(), O_CLOEXEC) != 0) {
      throw std::runtime_error("pipe2 failed");
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
    std::vector<std::string> argv_storage{"enlace"};
    argv_storage.insert(argv_storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_storage) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_storage = env;
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string_view entry = *e;
      const auto name = entry.substr(0, entry.find('=') + 1);
      if (std::none_of(env.begin(), env.end(),
                       [&](const std::string& o) { return o.starts_with(name); }))
        env_storage.emplace_back(entry);
    }
    std::vector<char*> envp;
    for (auto& e : env_storage) envp.push_back(e.data());
    envp.push_back(nullptr);
    const int rc =
        ::posix_spawn(&pid_, ENLACE_CLI_PATH, &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    ::close(in[0]);
    ::close(out[1]);
    ::close(err[1]);
    if (rc != 0) throw std::runtime_error("posix_spawn failed");
    // Small inputs fit in the pipe buffer; closing the write end is the child's EOF.
    if (!input.empty() &&
        ::write(in[1], input.data(), input.size()) != static_cast<ssize_t>(input.size())) {
      throw std::runtime_error("cannot write the child's standard input");
    }
    ::close(in[1]);
    out_fd_ = out[0];
    err_fd_ = err[0];
    pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
  }

  ~CliProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    for (int fd : {out_fd_, err_fd_, pidfd_}) {
      if (fd >= 0) ::close(fd);
    }
  }

  CliProcess(const CliProcess&) = delete;
  CliProcess& operator=(const CliProcess&) = delete;

  /// Waits until stderr contains `needle` (or the process ends, or the timeout).
  bool wait_for_stderr(const std::string& needle, std::chrono::milliseconds timeout = 15s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (result_.err.find(needle) == std::string::npos) {
      if (!pump(deadline) && out_fd_ < 0 && err_fd_ < 0) break;
      if (std::chrono::steady_clock::now() >= deadline) break;
    }
    return result_.err.find(needle) != std::string::npos;
  }

  /// Whether the process ended within `timeout` (its output is collected meanwhile).
  bool exits_within(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!reap()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      pump(deadline);
    }
    return true;
  }

  /// Waits for the process to end and returns what it did; kills it after `timeout`.
  CliResult finish(std::chrono::milliseconds timeout = 30s) {
    if (!exits_within(timeout)) {
      ::kill(pid_, SIGKILL);
      FAIL_CHECK("enlace did not exit within the bound; stderr so far:\n" << result_.err);
      exits_within(10s);
    }
    // Drain what is left in the pipes after the exit.
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while ((out_fd_ >= 0 || err_fd_ >= 0) && std::chrono::steady_clock::now() < deadline)
      pump(deadline);
    return result_;
  }

  void signal(int number) { ::kill(pid_, number); }
  const std::string& out() const { return result_.out; }

 private:
  // Reads whatever the pipes hold, waiting up to `deadline` for something to happen
  // (output or the process ending). Returns false when nothing happened.
  bool pump(std::chrono::steady_clock::time_point deadline) {
    std::vector<pollfd> fds;
    if (out_fd_ >= 0) fds.push_back({out_fd_, POLLIN, 0});
    if (err_fd_ >= 0) fds.push_back({err_fd_, POLLIN, 0});
    if (pidfd_ >= 0 && pid_ > 0) fds.push_back({pidfd_, POLLIN, 0});
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    // Without a pidfd the end of the process is noticed by polling waitpid every 10 ms.
    int wait_ms = static_cast<int>(std::max<std::int64_t>(0, left.count()));
    if (pidfd_ < 0) wait_ms = std::min(wait_ms, 10);
    if (fds.empty()) return false;
    if (::poll(fds.data(), fds.size(), wait_ms) <= 0) return false;
    for (const pollfd& p : fds) {
      if (p.revents == 0 || p.fd == pidfd_) continue;
      char buffer[4096];
      const ssize_t n = ::read(p.fd, buffer, sizeof(buffer));
      std::string& sink = p.fd == out_fd_ ? result_.out : result_.err;
      if (n > 0) {
        sink.append(buffer, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        int& fd = p.fd == out_fd_ ? out_fd_ : err_fd_;
        ::close(fd);
        fd = -1;
      }
    }
    return true;
  }

  // Collects the exit status if the process has ended.
  bool reap() {
    if (pid_ <= 0) return true;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) != pid_) return false;
    result_.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    pid_ = -1;
    return true;
  }

  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  int pidfd_ = -1;
  CliResult result_;
};

CliResult run_cli(const std::vector<std::string>& args, const std::string& input = {},
                  const std::vector<std::string>& env = {}) {
  CliProcess process(args, input, env);
  return process.finish();
}

// A run of the tool and how long it took, for the fail-fast checks.
struct TimedResult {
  CliResult result;
  std::chrono::milliseconds took{};
};

TimedResult run_cli_timed(const std::vector<std::string>& args,
                          const std::vector<std::string>& env = {}) {
  const auto start = std::chrono::steady_clock::now();
  CliResult result = run_cli(args, {}, env);
  return {std::move(result), std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::steady_clock::now() - start)};
}

unsigned file_mode(const std::string& path) {
  struct stat info {};
  REQUIRE(::stat(path.c_str(), &info) == 0);
  return info.st_mode & 0777;
}

// Each refusal must come well before the 10 s connect timeout would: the bound below is
// generous (it is not a timing measurement), the timeout it guards against is twice it.

constexpr auto kFast = 5s;

// Runs each command; each must end with `status` and an error matching `error`, fast.
template <class Matcher>
void check_fails_fast(const std::vector<std::vector<std::string>>& commands, int status,
                      const Matcher& error) {
  for (const auto& command : commands) {
    const auto run = run_cli_timed(command);
    INFO(command[0] << ": " << run.result.err);
    CHECK(run.result.status == status);
    CHECK_THAT(run.result.err, error);
    CHECK(run.took < kFast);
  }
}

// A scratch directory for key and policy files, removed afterwards.
class TempDir {
 public:
  TempDir() {
    char templ[] = "/tmp/enlace-cli-test-XXXXXX";
    if (::mkdtemp(templ) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = templ;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string file(const std::string& name) const { return (path_ / name).string(); }

  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream out(path_ / name, std::ios::trunc);
    out << text;
    return file(name);
  }

 private:
  std::filesystem::path path_;
};

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The line number (1-based) of the first line of `text` containing `needle`.
int line_of(const std::string& text, const std::string& needle) {
  std::istringstream in(text);
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.find(needle) != std::string::npos) return number;
  }
  return 0;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// A broker with a coalition and the files the CLI needs to reach it as any system.
struct CliBus {
  /// `durable`: the broker keeps its journals under the dir (the policy's [[durable]]).
  explicit CliBus(TestCoalition& coalition, bool durable = false)
      : broker(coalition, durable ? std::vector<std::string>{"--data-dir", data_dir()}
                                  : std::vector<std::string>{}) {
    broker_key = dir.write("broker.pub", broker.public_key() + "\n");
  }

  /// --broker, --broker-key and --keys for `system`, its key pair saved under the dir.
  std::vector<std::string> connect_args(const TestSystem& system) {
    const std::string base = dir.file(system.id);
    if (!std::filesystem::exists(base + ".key")) REQUIRE(save_keypair(system.keys, base).ok());
    return {"--broker", broker.endpoint(), "--broker-key", broker_key, "--keys", base};
  }

  std::string data_dir() {
    const std::string data = dir.file("data");
    std::filesystem::create_directories(data);
    return data;
  }

  TempDir dir;  // before the broker: the broker's files live elsewhere, ours outlive it
  BrokerProcess broker;
  std::string broker_key;
};

std::vector<std::string> operator+(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

constexpr const char* kTrackJson =
    R"({"track_id":"T1","position":{"point":{"lat_deg":-0.19,"lon_deg":-74.78}},"identity":"Suspect"})";

Result<PublishAck> publish_track(Client& client, const std::string& topic, const std::string& id) {
  return client.publish_and_wait(topic, [&](flatbuffers::FlatBufferBuilder& fbb) {
    const wire::GeoPoint point(-0.19, -74.78);
    auto position = wire::CreatePosition(fbb, &point);
    return wire::CreateTrackDirect(fbb, id.c_str(), position, nullptr,
                                   wire::StandardIdentity::Hostile);
  });
}

}  // namespace

// ---- general ---------------------------------------------------------------------------

TEST_CASE("cli: --help lists the commands and exits 0", "[integration][cli]") {
  const auto result = run_cli({"--help"});
  CHECK(result.status == 0);
  CHECK_THAT(result.out, Catch::Contains("keygen") && Catch::Contains("pub") &&
                             Catch::Contains("sub") && Catch::Contains("policy check") &&
                             Catch::Contains("policy explain"));
  const auto pub_help = run_cli({"pub", "--help"});
  CHECK(pub_help.status == 0);
  CHECK_THAT(pub_help.out, Catch::StartsWith("usage: enlace pub"));
}

TEST_CASE("cli: an unknown option or command exits 2 with the usage", "[integration][cli]") {
  const auto option = run_cli({"pub", "--no-such-option"});
  CHECK(option.status == 2);
  CHECK_THAT(option.err, Catch::Contains("unknown option '--no-such-option'") &&
                             Catch::Contains("usage: enlace pub"));
  const auto command = run_cli({"frobnicate"});
  CHECK(command.status == 2);
  CHECK_THAT(command.err, Catch::Contains("unknown command 'frobnicate'"));
}

// ---- keygen ----------------------------------------------------------------------------

TEST_CASE("cli: keygen writes a readable public key and a private secret key",
          "[integration][cli][keygen]") {
  TempDir dir;
  const std::string base = dir.file("radar");
  const auto result = run_cli({"keygen", base});
  REQUIRE(result.status == 0);

  struct stat pub_info {
  }, key_info{};
  REQUIRE(::stat((base + ".pub").c_str(), &pub_info) == 0);
  REQUIRE(::stat((base + ".key").c_str(), &key_info) == 0);
  CHECK((key_info.st_mode & 0777) == 0600);
  CHECK((pub_info.st_mode & 0777) == 0644);

  const auto keys = load_keypair(base);
  REQUIRE(keys.ok());
  CHECK(result.out == keys->public_key + "\n");  // prints the public key, never the secret
  CHECK(result.out.find(keys->secret_key) == std::string::npos);
}

TEST_CASE("cli: keygen refuses to overwrite a key pair unless --force",
          "[integration][cli][keygen]") {
  TempDir dir;
  const std::string base = dir.file("radar");
  REQUIRE(run_cli({"keygen", base}).status == 0);
  const std::string secret = read_text(base + ".key");

  const auto again = run_cli({"keygen", base});
  CHECK(again.status == 1);
  CHECK_THAT(again.err, Catch::Contains("key_error (504)") && Catch::Contains("--force"));
  CHECK(read_text(base + ".key") == secret);

  const auto forced = run_cli({"keygen", base, "--force"});
  CHECK(forced.status == 0);
  CHECK(read_text(base + ".key") != secret);
  struct stat key_info {};
  REQUIRE(::stat((base + ".key").c_str(), &key_info) == 0);
  CHECK((key_info.st_mode & 0777) == 0600);
}

// ---- pub -------------------------------------------------------------------------------

TEST_CASE("cli: pub inside the role's rules prints the broker's acknowledgement",
          "[integration][cli][pub]") {
  TestCoalition coalition;
  const auto& radar = coalition.add("col-radar", "COL", "sensor");
  CliBus bus(coalition);

  SECTION("payload from --json") {
    const auto result = run_cli(std::vector<std::string>{"pub"} + bus.connect_args(radar) +
                                std::vector<std::string>{"--topic", "track.COL.radar.rx17.T1",
                                                         "--type", "Track", "--json", kTrackJson});
    INFO(result.err);
    REQUIRE(result.status == 0);
    CHECK_THAT(result.out, Catch::StartsWith("ok sequence=") && Catch::Contains(" audience=3 id="));
  }
  SECTION("payload from standard input, several times, released to one partner") {
    const auto result =
        run_cli(std::vector<std::string>{"pub"} + bus.connect_args(radar) +
                    std::vector<std::string>{"--topic", "track.COL.radar.rx17.T1", "--type",
                                             "Track", "--release", "ECU", "--count", "3"},
                kTrackJson);
    INFO(result.err);
    REQUIRE(result.status == 0);
    const auto lines = lines_of(result.out);
    REQUIRE(lines.size() == 3);
    for (const auto& line : lines) CHECK_THAT(line, Catch::Contains("audience=2"));  // COL and ECU
  }
}

TEST_CASE("cli: pub outside the role's rules exits 1 with publish_denied",
          "[integration][cli][pub]") {
  TestCoalition coalition;
  const auto& radar = coalition.add("col-radar", "COL", "sensor");
  CliBus bus(coalition);

  const auto result = run_cli(std::vector<std::string>{"pub"} + bus.connect_args(radar) +
                              std::vector<std::string>{"--topic", "text.COL.chat", "--type", "Text",
                                                       "--json", R"({"body": "hola"})"});
  CHECK(result.status == 1);
  CHECK(result.out.empty());
  CHECK_THAT(result.err,
             Catch::StartsWith("error: publish_denied (202): ") && Catch::Contains("sensor"));
}

TEST_CASE("cli: pub with a label beyond the release cap exits 1 with release_not_permitted",
          "[integration][cli][pub]") {
  TestCoalition coalition;
  const auto& radar = coalition.add("col-radar", "COL", "sensor");
  CliBus bus(coalition);

  const auto result =
      run_cli(std::vector<std::string>{"pub"} + bus.connect_args(radar) +
              std::vector<std::string>{"--topic", "track.COL.radar.T1", "--type", "Track",
                                       "--release", "VEN", "--json", kTrackJson});
  CHECK(result.status == 1);
  CHECK_THAT(result.err, Catch::StartsWith("error: release_not_permitted (205): "));
}

TEST_CASE("cli: pub with a payload that does not parse exits 2 naming the line",
          "[integration][cli][pub]") {
  // The payload is checked before anything else: no broker, no keys needed.
  const auto result =
      run_cli({"pub", "--broker", "tcp://127.0.0.1:1", "--broker-key", "/nonexistent.pub", "--keys",
               "/nonexistent", "--topic", "track.COL.radar.T1", "--type", "Track", "--json",
               "{\"track_id\": \"T1\",\n \"identity\": \"Suspekt\"}"});
  CHECK(result.status == 2);
  CHECK_THAT(result.err, Catch::Contains("invalid Track payload") && Catch::Contains("--json:2:") &&
                             Catch::Contains("unknown enum value: Suspekt"));
}

TEST_CASE("cli: pub with a key the policy does not know exits 1 with authentication_failed",
          "[integration][cli][pub][failfast]") {
  TestCoalition coalition;
  coalition.add("col-radar", "COL", "sensor");
  CliBus bus(coalition);
  const TestSystem stranger{"stranger", "COL", "sensor", generate_keypair()};

  // At once, not after the default 10 s connect timeout.
  check_fails_fast({std::vector<std::string>{"pub"} + bus.connect_args(stranger) +
                    std::vector<std::string>{"--topic", "track.COL.radar.T1", "--type", "Track",
                                             "--json", kTrackJson}},
                   1,
                   Catch::StartsWith("error: authentication_failed (200): ") &&
                       Catch::Contains("refused this system's key"));
}

// ---- sub -------------------------------------------------------------------------------

TEST_CASE("cli: sub prints a message another system publishes as one JSON line",
          "[integration][cli][sub]") {
  TestCoalition coalition;
  const auto& post = coalition.add("col-cp", "COL", "command_post");
  const auto& radar = coalition.add("col-radar", "COL", "sensor");
  CliBus bus(coalition);

  CliProcess sub(
      std::vector<std::string>{"sub"} + bus.connect_args(post) +
      std::vector<std::string>{"--pattern", "track.COL.>", "--count", "1", "--timeout", "30"});
  // The line is printed once the broker has acknowledged the subscription.
  REQUIRE(sub.wait_for_stderr("subscribed to 'track.COL.>' as col-cp (COL, role command_post)"));

  Client publisher(bus.broker.options_for(radar));
  REQUIRE(publisher.wait_connected(10s).ok());
  // The broker acknowledges a subscription only once it routes to it, so the first
  // publish is delivered; publishing again until `sub` exits keeps the test independent
  // of that guarantee. Both loops are bounded.
  bool exited = false;
  for (int i = 0; i < 100 && !exited; ++i) {
    REQUIRE(publish_track(publisher, "track.COL.radar.rx17.T0042", "T0042").ok());
    exited = sub.exits_within(200ms);
  }
  const CliResult result = sub.finish();
  INFO(result.err);
  CHECK(result.status == 0);
  const auto lines = lines_of(result.out);
  REQUIRE(lines.size() == 1);  // --count 1
  const std::string& line = lines[0];
  CHECK_THAT(line, Catch::StartsWith("{\"sequence\":") && Catch::EndsWith("}"));
  CHECK_THAT(line, Catch::Contains(R"("topic":"track.COL.radar.rx17.T0042")"));
  CHECK_THAT(line,
             Catch::Contains(R"("origin":{"nation":"COL","system":"col-radar","role":"sensor"})"));
  CHECK_THAT(line, Catch::Contains(R"("broker_id":"test-broker")"));
  CHECK_THAT(line, Catch::Contains(R"("payload_type":"Track")"));
  CHECK_THAT(
      line,
      Catch::Contains(
          R"("payload":{"track_id":"T0042","position":{"point":{"lat_deg":-0.19,"lon_deg":-74.78}},)"
          R"("identity":"Hostile"})"));
}

TEST_CASE("cli: sub --replay-from prints journaled messages marked replayed; a bad start exits 2",
          "[integration][cli][sub][replay]") {
  TestCoalition coalition;
  coalition.extra = "[[durable]]\nname = \"alerts\"\ntopics = [\"alert.>\"]\n";
  const auto& post = coalition.add("col-cp", "COL", "command_post");
  const auto& ecu = coalition.add("ecu-cp", "ECU", "command_post");
  CliBus bus(coalition, /*durable=*/true);
  Client publisher(bus.broker.options_for(post));
  REQUIRE(publisher.wait_connected(10s).ok());
  std::vector<std::uint64_t> sequences;
  for (int i = 0; i < 3; ++i) {
    auto ack = publish_text(publisher, "alert.COL.river." + std::to_string(i), "crecida", {"ECU"});
    REQUIRE(ack.ok());
    sequences.push_back(ack->sequence);
  }
  const auto sub = [&](const std::string& start, const std::string& count) {
    return run_cli(std::vector<std::string>{"sub"} + bus.connect_args(ecu) +
                   std::vector<std::string>{"--pattern", "alert.>", "--replay-from", start,
                                            "--count", count, "--timeout", "30"});
  };

  const auto from_second = sub("seq:" + std::to_string(sequences[1]), "2");
  INFO(from_second.err);
  CHECK(from_second.status == 0);
  const auto lines = lines_of(from_second.out);
  REQUIRE(lines.size() == 2);
  CHECK_THAT(lines[0], Catch::Contains(R"("topic":"alert.COL.river.1")") &&
                           Catch::Contains(R"("replayed":true)"));
  CHECK_THAT(lines[1], Catch::Contains(R"("topic":"alert.COL.river.2")"));
  CHECK(lines_of(sub("earliest", "3").out).size() == 3);
  CHECK(lines_of(sub("time:2000-01-01T00:00:00Z", "3").out).size() == 3);

  for (const std::string bad : {"yesterday", "time:2026-12-01 10:00", "time:2026-12-01T10:00:00"}) {
    const auto refused = sub(bad, "1");
    CHECK(refused.status == 2);
    CHECK_THAT(refused.err, Catch::Contains("want seq:N, earliest or time:"));
  }
  const auto not_a_number = sub("seq:x", "1");
  CHECK(not_a_number.status == 2);
  CHECK_THAT(not_a_number.err, Catch::Contains("--replay-from seq wants a whole number, not 'x'"));
}

TEST_CASE("cli: sub to a pattern outside the role's rules exits 1 with subscribe_denied",
          "[integration][cli][sub]") {
  TestCoalition coalition;
  const auto& radar = coalition.add("col-radar", "COL", "sensor");
  CliBus bus(coalition);

  const auto result = run_cli(std::vector<std::string>{"sub"} + bus.connect_args(radar) +
                              std::vector<std::string>{"--pattern", "alert.>", "--count", "1"});
  CHECK(result.status == 1);
  CHECK(result.out.empty());
  CHECK_THAT(result.err,
             Catch::StartsWith("error: subscribe_denied (203): ") && Catch::Contains("alert.>"));
}

TEST_CASE("cli: sub with a key the policy does not know exits 1 with authentication_failed",
          "[integration][cli][sub][failfast]") {
  TestCoalition coalition;
  coalition.add("col-cp", "COL", "command_post");
  CliBus bus(coalition);
  const TestSystem stranger{"stranger", "COL", "command_post", generate_keypair()};

  // At once, not after the default 10 s connect timeout.
  check_fails_fast({std::vector<std::string>{"sub"} + bus.connect_args(stranger) +
                    std::vector<std::string>{"--pattern", "alert.>"}},
                   1,
                   Catch::StartsWith("error: authentication_failed (200): ") &&
                       Catch::Contains("refused this system's key"));
}

TEST_CASE("cli: sub exits 3 when --timeout passes before --count deliveries",
          "[integration][cli][sub]") {
  TestCoalition coalition;
  const auto& post = coalition.add("col-cp", "COL", "command_post");
  CliBus bus(coalition);

  const auto result =
      run_cli(std::vector<std::string>{"sub"} + bus.connect_args(post) +
              std::vector<std::string>{"--pattern", "alert.>", "--count", "1", "--timeout", "0.2"});
  CHECK(result.status == 3);
  CHECK(result.out.empty());
  CHECK_THAT(result.err, Catch::Contains("timed out with 0 of 1 deliveries"));

  const auto no_count =
      run_cli(std::vector<std::string>{"sub"} + bus.connect_args(post) +
              std::vector<std::string>{"--pattern", "alert.>", "--timeout", "0.2", "--quiet"});
  CHECK(no_count.status == 0);
  CHECK(no_count.err.empty());
}

TEST_CASE("cli: sub ends with status 0 on SIGTERM", "[integration][cli][sub]") {
  TestCoalition coalition;
  const auto& post = coalition.add("col-cp", "COL", "command_post");
  CliBus bus(coalition);

  CliProcess sub(std::vector<std::string>{"sub"} + bus.connect_args(post) +
                 std::vector<std::string>{"--pattern", "alert.>"});
  REQUIRE(sub.wait_for_stderr("subscribed to"));
  sub.signal(SIGTERM);
  CHECK(sub.finish(10s).status == 0);
}

// ---- policy check ----------------------------------------------------------------------

TEST_CASE("cli: policy check summarises a valid policy", "[integration][cli][policy]") {
  TestCoalition coalition;
  coalition.add("col-radar", "COL", "sensor");
  coalition.add("ecu-cp", "ECU", "command_post");
  TempDir dir;
  const std::string file = dir.write("policy.toml", coalition.policy_toml());

  const auto result = run_cli({"policy", "check", file});
  CHECK(result.status == 0);
  CHECK_THAT(
      result.out,
      Catch::StartsWith(file + ": OK: coalition 'Test coalition', 5 nations, 5 roles, 2 systems, "
                               "2 agreements, digest "));
}

TEST_CASE("cli: policy check lists every error with its line and exits 1",
          "[integration][cli][policy]") {
  TestCoalition coalition;
  coalition.add("col-radar", "COL", "sensor");
  coalition.extra =
      "[[systems]]\nid = \"ghost\"\nnation = \"XXX\"\nrole = \"sensor\"\npublic_key = \"short\"\n";
  TempDir dir;
  const std::string text = coalition.policy_toml();
  const std::string file = dir.write("policy.toml", text);

  const auto result = run_cli({"policy", "check", file});
  CHECK(result.status == 1);
  CHECK(result.out.empty());
  const std::string nation_line =
      file + ":" + std::to_string(line_of(text, "nation = \"XXX\"")) + ": error: ";
  const std::string key_line =
      file + ":" + std::to_string(line_of(text, "public_key = \"short\"")) + ": error: ";
  CHECK_THAT(result.err, Catch::Contains(nation_line) && Catch::Contains("XXX"));
  CHECK_THAT(result.err, Catch::Contains(key_line) && Catch::Contains("public_key"));
}

// ---- policy explain --------------------------------------------------------------------

TEST_CASE("cli: policy explain answers publish, subscribe and deliver questions",
          "[integration][cli][policy]") {
  TestCoalition coalition;
  coalition.add("col-radar", "COL", "sensor");
  coalition.add("col-cp", "COL", "command_post");
  TempDir dir;
  const std::string text = coalition.policy_toml();
  const std::string file = dir.write("policy.toml", text);
  const auto explain = [&](std::vector<std::string> args) {
    return run_cli(std::vector<std::string>{"policy", "explain", file} + args);
  };
  const auto rule_line = [&](const std::string& needle) {
    return "policy.toml:" + std::to_string(line_of(text, needle));
  };

  SECTION("publish allowed names the allow rule") {
    const auto r = explain({"--system", "col-radar", "--publish", "track.COL.radar.T1"});
    CHECK(r.status == 0);
    CHECK_THAT(r.out,
               Catch::Contains("answer: allowed\n") &&
                   Catch::Contains("publish.allow 'track.{nation}.>' (" +
                                   rule_line("publish.allow = [\"track.{nation}.>\"") + ")"));
  }
  SECTION("publish denied names the deny rule and the error code") {
    const auto r = explain({"--system", "col-radar", "--publish", "track.COL.restricted.T1"});
    CHECK(r.status == 1);
    CHECK_THAT(r.out, Catch::Contains("answer: denied\nerror: publish_denied (202)\n") &&
                          Catch::Contains("publish.deny 'track.{nation}.restricted.>'"));
  }
  SECTION("subscribe allowed") {
    const auto r = explain({"--system", "col-cp", "--subscribe", "track.>"});
    CHECK(r.status == 0);
    CHECK_THAT(r.out,
               Catch::Contains("answer: allowed\n") && Catch::Contains("subscribe.allow '>'"));
  }
  SECTION("subscribe denied") {
    const auto r = explain({"--system", "col-cp", "--subscribe", "biometric.COL.>"});
    CHECK(r.status == 1);
    CHECK_THAT(r.out, Catch::Contains("error: subscribe_denied (203)") &&
                          Catch::Contains("subscribe.deny 'biometric.>'"));
  }
  SECTION("deliver allowed by a sharing agreement") {
    const auto r =
        explain({"--system", "col-radar", "--deliver", "track.COL.radar.T1", "--to", "PER"});
    CHECK(r.status == 0);
    CHECK_THAT(r.out, Catch::Contains("audience: COL,ECU,PER\n") &&
                          Catch::Contains("answer: allowed\n") &&
                          Catch::Contains("agreement 'putumayo' (" + rule_line("[[agreements]]") +
                                          ")"));  // the first agreement
  }
  SECTION("deliver denied: no agreement includes the nation") {
    const auto r =
        explain({"--system", "col-radar", "--deliver", "track.COL.radar.T1", "--to", "BRA"});
    CHECK(r.status == 1);
    CHECK_THAT(r.out, Catch::Contains("audience: COL,ECU,PER\n") &&
                          Catch::Contains("answer: denied\n") &&
                          Catch::Contains("none includes BRA"));
  }
  SECTION("deliver allowed by the label") {
    const auto r = explain({"--system", "col-radar", "--deliver", "track.COL.radar.T1", "--to",
                            "BRA", "--release", "BRA"});
    CHECK(r.status == 0);
    CHECK_THAT(r.out, Catch::Contains("answer: allowed\n") &&
                          Catch::Contains("the label releases it to BRA"));
  }
  SECTION("deliver denied: the label goes beyond the release cap") {
    const auto r = explain({"--system", "col-radar", "--deliver", "track.COL.radar.T1", "--to",
                            "VEN", "--release", "VEN"});
    CHECK(r.status == 1);
    CHECK_THAT(r.out, Catch::Contains("error: release_not_permitted (205)") &&
                          Catch::Contains("release cap"));
  }
  SECTION("a question about an unknown system is a usage error") {
    const auto r = explain({"--system", "nobody", "--publish", "track.COL.radar.T1"});
    CHECK(r.status == 2);
    CHECK_THAT(r.err, Catch::Contains("no system 'nobody'"));
  }
}

// ---- broker status, broker metrics -----------------------------------------------------

namespace {

// A broker with one connected session (col-cp), for the commands that read its HTTP endpoint.
struct WatchedBus {
  WatchedBus() : col(coalition.add("col-cp", "COL", "command_post")), bus(coalition) {
    client = std::make_unique<Client>(bus.broker.options_for(col));
    REQUIRE(client->wait_connected(10s).ok());
  }
  TestCoalition coalition;
  const TestSystem& col;
  CliBus bus;
  std::unique_ptr<Client> client;
  const std::string& http() const { return bus.broker.http_address(); }
};

}  // namespace

TEST_CASE("cli: broker status prints the broker and a row per session",
          "[integration][cli][http]") {
  WatchedBus watched;
  const std::string& at = watched.http();
  // The broker's status is at most a second old: wait for the session to be in it.
  CliResult table;
  REQUIRE(eventually(
      [&] {
        table = run_cli({"broker", "status", "--http", at});
        return table.status == 0 && table.out.find("col-cp") != std::string::npos;
      },
      20s));
  INFO(table.out);
  CHECK_THAT(table.out, Catch::StartsWith("broker test-broker "));
  CHECK_THAT(table.out, Catch::Contains("ready"));
  CHECK_THAT(table.out, Catch::Contains("policy 'Test coalition' digest "));
  CHECK_THAT(table.out, Catch::Contains("1 session(s)"));
  const auto lines = lines_of(table.out);
  const auto row = std::find_if(lines.begin(), lines.end(), [](const std::string& l) {
    return l.find("col-cp") != std::string::npos;
  });
  REQUIRE(row != lines.end());
  CHECK_THAT(*row, Catch::Contains("COL"));
  CHECK_THAT(*row, Catch::Contains("command_post"));
  CHECK_THAT(*row, Catch::Contains("127.0.0.1:"));

  const auto json = run_cli({"broker", "status", "--http", at, "--json"});
  CHECK(json.status == 0);
  CHECK_THAT(json.out, Catch::StartsWith("{\"server\":{"));
  CHECK_THAT(json.out, Catch::Contains("\"system\":\"col-cp\""));
}

TEST_CASE("cli: broker metrics prints Prometheus text, or one JSON object per sample",
          "[integration][cli][http]") {
  WatchedBus watched;
  REQUIRE(publish_text(*watched.client, "text.COL.metrics", "uno").ok());
  const std::string& at = watched.http();
  CliResult text;
  REQUIRE(eventually(
      [&] {
        text = run_cli({"broker", "metrics", "--http", at});
        return text.status == 0 &&
               text.out.find("enlace_messages_published_total{nation=\"COL\"} 1\n") !=
                   std::string::npos;
      },
      20s));
  CHECK_THAT(text.out, Catch::Contains("# TYPE enlace_sessions gauge\n"));
  const auto json = run_cli({"broker", "metrics", "--http", at, "--json"});
  CHECK(json.status == 0);
  const auto samples = lines_of(json.out);
  CHECK(std::find(
            samples.begin(), samples.end(),
            R"({"name":"enlace_messages_published_total","labels":{"nation":"COL"},"value":1})") !=
        samples.end());
  CHECK(std::find(samples.begin(), samples.end(),
                  R"({"name":"enlace_sessions","labels":{},"value":1})") != samples.end());
  for (const auto& line : samples) CHECK_THAT(line, Catch::StartsWith("{\"name\":\""));
}

TEST_CASE("cli: broker status without a broker fails at once naming the address",
          "[integration][cli][http]") {
  // Port 1 on loopback: nothing listens there, the connection is refused.
  const auto result = run_cli({"broker", "status", "--http", "127.0.0.1:1"});
  CHECK(result.status == 1);
  CHECK_THAT(result.err, Catch::Contains("cannot reach the broker's HTTP endpoint at 127.0.0.1:1"));
  CHECK_THAT(result.err, Catch::Contains("refused"));
  const auto metrics = run_cli({"broker", "metrics", "--http", "no-port"});
  CHECK(metrics.status == 2);
}

// ---- failing fast, and saying why --------------------------------------------------------

// Key files for a system that the broker does not need to know: the checks come first.
struct KeyFiles {
  TempDir dir;
  std::string broker_key;
  std::string base;
  KeyFiles() {
    REQUIRE(save_keypair(generate_keypair(), dir.file("broker")).ok());
    REQUIRE(save_keypair(generate_keypair(), dir.file("radar")).ok());
    broker_key = dir.file("broker.pub");
    base = dir.file("radar");
  }
};

const std::vector<std::string> kPubTrack = {
    "-t", "track.COL.radar.T1", "--type", "Track", "--json", kTrackJson};

TEST_CASE("cli: pub and sub to a closed port fail at once with connect_failed, status 4",
          "[integration][cli][failfast]") {
  KeyFiles keys;
  // Port 1 on loopback: nothing listens there, the connection is refused.
  const std::vector<std::string> connect = {
      "--broker", "tcp://127.0.0.1:1", "--broker-key", keys.broker_key, "--keys", keys.base};
  check_fails_fast({std::vector<std::string>{"pub"} + connect + kPubTrack,
                    std::vector<std::string>{"sub", "alert.>"} + connect},
                   4,
                   Catch::StartsWith("error: connect_failed (506): cannot connect to "
                                     "tcp://127.0.0.1:1: connection refused"));
}

TEST_CASE("cli: pub and sub to an unreachable network fail at once with the cause, status 4",
          "[integration][cli][failfast]") {
  KeyFiles keys;
  // A TCP connection to the broadcast address: Linux answers ENETUNREACH at once, without
  // a packet leaving the machine, as it does for a network the routing table has no route to.
  const std::vector<std::string> connect = {"--broker",     "tcp://255.255.255.255:7450",
                                            "--broker-key", keys.broker_key,
                                            "--keys",       keys.base};
  check_fails_fast({std::vector<std::string>{"pub"} + connect + kPubTrack,
                    std::vector<std::string>{"sub", "alert.>"} + connect},
                   4,
                   Catch::StartsWith("error: connect_failed (506): cannot connect to "
                                     "tcp://255.255.255.255:7450: network is unreachable (check "
                                     "the address, and the route to that network)"));
}

// A broker whose policy knows col-radar (a sensor), and the options that act as it.
struct RadarBus {
  TestCoalition coalition;
  std::unique_ptr<CliBus> bus;
  std::vector<std::string> args;  // --broker E --broker-key FILE --keys BASE
  RadarBus() {
    coalition.add("col-radar", "COL", "sensor");
    bus = std::make_unique<CliBus>(coalition);
    args = bus->connect_args(coalition["col-radar"]);
  }
};

TEST_CASE("cli: a broker key that is not the broker's fails at once with handshake_failed",
          "[integration][cli][failfast]") {
  RadarBus radar;
  CliBus& bus = *radar.bus;
  REQUIRE(save_keypair(generate_keypair(), bus.dir.file("impostor")).ok());
  auto args = radar.args;
  args[3] = bus.dir.file("impostor.pub");  // --broker-key
  check_fails_fast(
      {std::vector<std::string>{"pub"} + args + kPubTrack,
       std::vector<std::string>{"sub", "-p", "tasking.>"} + args},
      1,
      Catch::StartsWith("error: handshake_failed (507): ") && Catch::Contains("not that broker's"));
}

TEST_CASE("cli: a secret key file readable by others is refused, naming the file and the fix",
          "[integration][cli][failfast][keys]") {
  RadarBus radar;
  const auto args = radar.args;
  const std::string secret = args[5] + ".key";
  REQUIRE(::chmod(secret.c_str(), 0644) == 0);
  check_fails_fast({std::vector<std::string>{"pub"} + args + kPubTrack,
                    std::vector<std::string>{"sub", "tasking.>"} + args},
                   1,
                   Catch::StartsWith("error: key_error (504): " + secret) &&
                       Catch::Contains("accessible by group or others (mode 0644)") &&
                       Catch::Contains("chmod 600 " + secret));
  // Once fixed as the message says, the same command goes through.
  REQUIRE(::chmod(secret.c_str(), 0600) == 0);
  CHECK(run_cli(std::vector<std::string>{"pub"} + args + kPubTrack).status == 0);
}

TEST_CASE("cli: a secret key given as the broker's key, and the reverse, are named as such",
          "[integration][cli][failfast][keys]") {
  RadarBus radar;
  auto args = radar.args;
  SECTION("a .key file as --broker-key") {
    args[3] = args[5] + ".key";
    check_fails_fast({std::vector<std::string>{"pub"} + args + kPubTrack}, 1,
                     Catch::StartsWith("error: key_error (504): " + args[3]) &&
                         Catch::Contains("holds a secret key where a public key belongs"));
  }
  SECTION("a public key in the place of the secret key") {
    std::filesystem::copy_file(args[5] + ".pub", args[5] + ".key",
                               std::filesystem::copy_options::overwrite_existing);
    REQUIRE(::chmod((args[5] + ".key").c_str(), 0600) == 0);
    check_fails_fast({std::vector<std::string>{"sub", "tasking.>"} + args}, 1,
                     Catch::StartsWith("error: key_error (504): " + args[5] + ".key") &&
                         Catch::Contains("holds a public key where the secret key belongs"));
  }
}

TEST_CASE("cli: a .pub and .key that are not one pair are refused before connecting",
          "[integration][cli][failfast][keys]") {
  RadarBus radar;
  CliBus& bus = *radar.bus;
  const auto args = radar.args;
  REQUIRE(save_keypair(generate_keypair(), bus.dir.file("other")).ok());
  std::filesystem::copy_file(bus.dir.file("other.pub"), args[5] + ".pub",
                             std::filesystem::copy_options::overwrite_existing);
  check_fails_fast(
      {std::vector<std::string>{"pub"} + args + kPubTrack}, 1,
      Catch::StartsWith("error: key_error (504): ") && Catch::Contains("are not one key pair"));
}

// ---- contexts, short options, --json, --version ------------------------------------------

TEST_CASE("cli: context add, use and list; pub and sub then need no connection options",
          "[integration][cli][context]") {
  TestCoalition coalition;
  const auto& post = coalition.add("col-cp", "COL", "command_post");
  const auto& radar = coalition.add("col-radar", "COL", "sensor");
  CliBus bus(coalition);
  const std::vector<std::string> env = {
      "XDG_CONFIG_HOME=" + bus.dir.file("config"),
      "ENLACE_BROKER=", "ENLACE_BROKER_KEY=", "ENLACE_KEYS=", "ENLACE_CONTEXT="};
  const auto post_args = bus.connect_args(post);
  const auto radar_args = bus.connect_args(radar);

  const auto added =
      run_cli(std::vector<std::string>{"context", "add", "post"} + post_args, {}, env);
  INFO(added.err);
  REQUIRE(added.status == 0);
  CHECK_THAT(added.out, Catch::Contains("context 'post' saved and in use"));
  REQUIRE(
      run_cli(std::vector<std::string>{"context", "add", "radar"} + radar_args, {}, env).status ==
      0);
  const std::string file = bus.dir.file("config/enlace/contexts/post.json");
  CHECK(file_mode(file) == 0600);
  CHECK(file_mode(bus.dir.file("config/enlace")) == 0700);

  auto listed = run_cli({"context", "list"}, {}, env);
  CHECK(listed.status == 0);
  CHECK(lines_of(listed.out).size() == 2);
  CHECK_THAT(listed.out, Catch::Contains("* post ") && Catch::Contains("  radar "));

  const auto used = run_cli({"context", "use", "radar"}, {}, env);
  CHECK(used.status == 0);
  listed = run_cli({"context", "list", "--json"}, {}, env);
  CHECK_THAT(listed.out,
             Catch::Contains(R"("name":"radar","broker":")" + bus.broker.endpoint() + "\"") &&
                 Catch::Contains(R"("selected":true)"));

  // The radar context in use: pub needs no connection option, and takes short ones.
  const auto pub =
      run_cli(std::vector<std::string>{"pub"} + kPubTrack + std::vector<std::string>{"-o", "json"},
              {}, env);
  INFO(pub.err);
  CHECK(pub.status == 0);
  CHECK_THAT(pub.out, Catch::StartsWith(R"({"sequence":)") &&
                          Catch::Contains(R"("topic":"track.COL.radar.T1")"));
  // --context picks another one for one command: sub as the command post.
  const auto sub = run_cli({"sub", "track.>", "--context", "post", "--timeout", "0.1"}, {}, env);
  CHECK(sub.status == 0);
  CHECK_THAT(sub.err, Catch::Contains("subscribed to 'track.>' as col-cp"));

  const auto shown = run_cli({"context", "show"}, {}, env);
  CHECK_THAT(shown.out, Catch::Contains("context:    radar (in use)") && Catch::Contains("loads"));
  CHECK(run_cli({"context", "rm", "radar"}, {}, env).status == 0);
  CHECK(run_cli({"context", "show", "radar"}, {}, env).status == 1);
  CHECK(run_cli({"context", "use", "nope"}, {}, env).status == 1);
}

TEST_CASE("cli: the environment overrides the context, and options override the environment",
          "[integration][cli][context]") {
  TestCoalition coalition;
  const auto& post = coalition.add("col-cp", "COL", "command_post");
  const auto& ecu = coalition.add("ecu-cp", "ECU", "command_post");
  CliBus bus(coalition);
  const std::string config = "XDG_CONFIG_HOME=" + bus.dir.file("config");
  const auto post_args = bus.connect_args(post);
  const auto ecu_args = bus.connect_args(ecu);
  // A context whose broker is a closed port, for col-cp.
  auto stale = post_args;
  stale[1] = "tcp://127.0.0.1:1";
  REQUIRE(
      run_cli(std::vector<std::string>{"context", "add", "stale"} + stale, {}, {config}).status ==
      0);
  const std::vector<std::string> sub = {"sub", "track.>", "--timeout", "0.1"};

  SECTION("the context alone reaches the closed port") {
    const auto run = run_cli(sub, {}, {config, "ENLACE_BROKER=", "ENLACE_KEYS="});
    CHECK(run.status == 4);
    CHECK_THAT(run.err, Catch::Contains("tcp://127.0.0.1:1"));
  }
  SECTION("ENLACE_BROKER and ENLACE_KEYS win over the context") {
    const auto run = run_cli(
        sub, {}, {config, "ENLACE_BROKER=" + bus.broker.endpoint(), "ENLACE_KEYS=" + ecu_args[5]});
    INFO(run.err);
    CHECK(run.status == 0);
    CHECK_THAT(run.err, Catch::Contains("as ecu-cp (ECU"));
  }
  SECTION("--broker and --keys win over the environment") {
    const auto run =
        run_cli(sub + std::vector<std::string>{"-b", bus.broker.endpoint(), "-k", post_args[5]}, {},
                {config, "ENLACE_BROKER=tcp://127.0.0.1:1", "ENLACE_KEYS=" + ecu_args[5]});
    INFO(run.err);
    CHECK(run.status == 0);
    CHECK_THAT(run.err, Catch::Contains("as col-cp (COL"));
  }
  SECTION("without any, the message says where each setting may come from") {
    const auto run = run_cli(
        sub, {}, {"XDG_CONFIG_HOME=" + bus.dir.file("empty"), "ENLACE_BROKER=", "ENLACE_CONTEXT="});
    CHECK(run.status == 2);
    CHECK_THAT(run.err, Catch::Contains("no broker: give --broker, set ENLACE_BROKER, or set up "
                                        "a context"));
  }
}

TEST_CASE("cli: --version, keygen --json, and policy check and explain --json",
          "[integration][cli]") {
  const auto version = run_cli({"--version"});
  CHECK(version.status == 0);
  CHECK_THAT(version.out, Catch::StartsWith("enlace 0.") && Catch::Contains("libenlace"));

  TempDir dir;
  const auto keygen = run_cli({"keygen", dir.file("radar"), "--json"});
  REQUIRE(keygen.status == 0);
  const auto keys = load_keypair(dir.file("radar"));
  REQUIRE(keys.ok());
  CHECK(keygen.out == R"({"public_key":")" + keys->public_key + R"(","public_file":")" +
                          dir.file("radar.pub") + R"(","secret_file":")" + dir.file("radar.key") +
                          "\"}\n");

  TestCoalition coalition;
  coalition.add("col-radar", "COL", "sensor");
  const std::string policy = dir.write("policy.toml", coalition.policy_toml());
  const auto check = run_cli({"policy", "check", policy, "--json"});
  CHECK(check.status == 0);
  CHECK_THAT(check.out, Catch::StartsWith(R"({"file":")" + policy + R"(","ok":true,)"));
  const auto explain = run_cli(
      {"policy", "explain", policy, "--system", "col-radar", "--publish", "text.COL.x", "--json"});
  CHECK(explain.status == 1);
  CHECK_THAT(explain.out,
             Catch::StartsWith(R"({"question":"may col-radar)") &&
                 Catch::Contains(R"j("answer":"denied","error":"publish_denied (202)")j"));
  const std::string broken = dir.write("broken.toml", "[nations\n");
  const auto bad = run_cli({"policy", "check", broken, "--json"});
  CHECK(bad.status == 1);
  CHECK_THAT(bad.out, Catch::StartsWith(R"({"file":")" + broken + R"(","ok":false,"errors":[{)"));
}

#endif  // ENLACE_CLI_PATH
