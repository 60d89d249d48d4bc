#include "broker_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace enlace::test {
namespace {

// The fixed part of every test policy. Roles:
//   command_post: publishes text/alert/spot reports of its own nation, subscribes to all
//                 but biometric data.
//   sensor:       publishes tracks and detections of its own nation, except biometric
//                 watch-list topics; subscribes to nothing but tasking of its nation.
//   gateway:      publishes positions of its own nation; subscribes to its own tasking.
//   observer:     publishes nothing; subscribes only to tracks and alerts, no wildcards
//                 other than under track.BRA (see the agreement "amazon-observer").
//   narrow:       may not use wildcards at all.
// Agreements: COL, ECU and PER share positions and tracks by default ("putumayo");
// BRA is party to no default sharing of positions.
constexpr const char* kPolicyHead = R"(
[coalition]
name = "Test coalition"
policy_identifier = "urn:enlace:test"

[limits]
max_message_bytes = 65536
default_rate = 100000
default_burst = 100000
max_subscriptions = 64
max_classification = "SECRET"

[nations.COL]
name = "Colombia"
release_cap = ["ECU", "PER", "BRA"]

[nations.ECU]
name = "Ecuador"

[nations.PER]
name = "Peru"

[nations.BRA]
name = "Brazil"
release_cap = ["COL"]

[nations.VEN]
name = "Venezuela"
release_cap = []

[roles.command_post]
publish.allow = ["text.{nation}.>", "alert.{nation}.>", "spot.{nation}.>"]
subscribe.allow = [">"]
subscribe.deny = ["biometric.>"]

[roles.sensor]
publish.allow = ["track.{nation}.>", "detection.{nation}.>", "biometric.{nation}.>"]
publish.deny = ["track.{nation}.restricted.>"]
subscribe.allow = ["tasking.{nation}.>"]

[roles.gateway]
publish.allow = ["position.{nation}.>"]
subscribe.allow = ["tasking.{nation}.>"]

[roles.observer]
subscribe.allow = ["track.>", "alert.>", "text.>"]

[roles.narrow]
subscribe.allow = ["alert.>"]
wildcard_subscribe = false

[[agreements]]
name = "putumayo"
parties = ["COL", "ECU", "PER"]
topics = ["position.>", "track.>"]

[[agreements]]
name = "amazon"
parties = ["COL", "BRA"]
topics = ["alert.>"]
)";

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

// Waits for `path` to appear, using inotify on its directory: no polling loop.

// Waits for process `pid` to exit, up to `timeout`; returns its status or -1.
int wait_exit(int pid, std::chrono::milliseconds timeout) {
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd >= 0) {
    pollfd p{pidfd, POLLIN, 0};
    ::poll(&p, 1, static_cast<int>(timeout.count()));
    ::close(pidfd);
  }
  int status = 0;
  const int r = ::waitpid(pid, &status, pidfd >= 0 ? WNOHANG : 0);
  return r == pid ? status : -1;
}

}  // namespace

bool wait_for_file(const std::filesystem::path& path, std::chrono::milliseconds timeout,
                   int writer_pid) {
  const int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (fd < 0) throw std::runtime_error("inotify_init1 failed");
  inotify_add_watch(fd, path.parent_path().c_str(), IN_MOVED_TO | IN_CLOSE_WRITE | IN_CREATE);
  // Readable once the writer has exited: it will not write the file any more.
  const int pidfd =
      writer_pid > 0 ? static_cast<int>(::syscall(SYS_pidfd_open, writer_pid, 0)) : -1;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool found = std::filesystem::exists(path);
  bool writer_gone = false;
  while (!found && !writer_gone) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p[2] = {{fd, POLLIN, 0}, {pidfd, POLLIN, 0}};
    ::poll(p, pidfd >= 0 ? 2 : 1, static_cast<int>(left.count()));
    char buffer[4096];
    while (::read(fd, buffer, sizeof(buffer)) > 0) {
    }
    writer_gone = pidfd >= 0 && (p[1].revents & POLLIN) != 0;
    found = std::filesystem::exists(path);
  }
  if (pidfd >= 0) ::close(pidfd);
  ::close(fd);
  return found;
}

// --- TestCoalition ----------------------------------------------------------------------

TestCoalition::TestCoalition() = default;

const TestSystem& TestCoalition::add(std::string id, std::string nation, std::string role) {
  TestSystem system{id, std::move(nation), std::move(role), generate_keypair()};
  order_.push_back(id);
  return systems_[id] = std::move(system);
}

const TestSystem& TestCoalition::rekey(const std::string& id) {
  TestSystem& system = systems_.at(id);
  system.keys = generate_keypair();
  return system;
}

std::string TestCoalition::policy_toml() const {
  std::string text = kPolicyHead;
  for (const auto& [from, to] : edits) {
    const auto at = text.find(from);
    if (at == std::string::npos) throw std::invalid_argument("policy edit does not apply: " + from);
    text.replace(at, from.size(), to);
  }
  for (const auto& id : order_) {
    const TestSystem& s = systems_.at(id);
    text += "\n[[systems]]\nid = \"" + s.id + "\"\nnation = \"" + s.nation + "\"\nrole = \"" +
            s.role + "\"\npublic_key = \"" + s.keys.public_key + "\"\n";
    for (const auto& r : revoked) {
      if (r == s.id) text += "revoked = true\n";
    }
  }
  return text + "\n" + extra + "\n";
}

// --- BrokerProcess ----------------------------------------------------------------------

BrokerProcess::BrokerProcess(const TestCoalition& coalition, std::vector<std::string> extra_args)
    : extra_args_(std::move(extra_args)) {
  char templ[] = "/tmp/enlace-test-XXXXXX";
  if (::mkdtemp(templ) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = templ;
  keys_ = generate_keypair();
  if (!save_keypair(keys_, dir_ / "broker")) throw std::runtime_error("cannot save broker keys");
  write_file(dir_ / "policy.toml", coalition.policy_toml());
  launch("tcp://127.0.0.1:*");
}

BrokerProcess::~BrokerProcess() {
  stop();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

void BrokerProcess::launch(const std::string& endpoint) {
  const auto ready = dir_ / "ready";
  std::filesystem::remove(ready);
  const std::string policy = (dir_ / "policy.toml").string();
  const std::string keys = (dir_ / "broker").string();
  const std::string metrics = (dir_ / "metrics.json").string();
  const std::string log = (dir_ / "broker.log").string();
  // ENLACE_BROKER_WRAPPER runs the broker under another program, e.g. a profiler:
  // ENLACE_BROKER_WRAPPER="valgrind --tool=callgrind" (bench/profile-broker). Everything
  // the child needs is prepared before fork(): a forked child of a threaded process must
  // not allocate.
  const char* wrapper = std::getenv("ENLACE_BROKER_WRAPPER");
  const bool wrapped = wrapper != nullptr && *wrapper != '\0';
  const std::string shell_command = wrapped ? std::string("exec ") + wrapper + " \"$@\"" : "";
  std::vector<const char*> argv;
  if (wrapped) argv = {"sh", "-c", shell_command.c_str(), "sh"};
  const char* broker_args[] = {ENLACE_BROKER_PATH,
                               "--policy",
                               policy.c_str(),
                               "--keys",
                               keys.c_str(),
                               "--endpoint",
                               endpoint.c_str(),
                               "--ready-file",
                               ready.c_str(),
                               "--metrics-file",
                               metrics.c_str(),
                               "--metrics-interval",
                               "1",
                               "--broker-id",
                               "test-broker"};
  argv.insert(argv.end(), std::begin(broker_args), std::end(broker_args));
  // A free port for each broker: tests run in parallel, and a restart (start()) must not
  // wait for the old port.
  if (std::find(extra_args_.begin(), extra_args_.end(), "--http") == extra_args_.end()) {
    argv.push_back("--http");
    argv.push_back("127.0.0.1:0");
  }
  for (const auto& arg : extra_args_) argv.push_back(arg.c_str());
  argv.push_back(nullptr);
  const char* program = wrapped ? "/bin/sh" : ENLACE_BROKER_PATH;
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) ::dup2(fd, STDERR_FILENO);
    ::execv(program, const_cast<char* const*>(argv.data()));
    std::_Exit(127);
  }
  if (!wait_for_file(ready, 20s, pid_)) {  // a broker that exits at start fails at once
    stop(true);
    throw std::runtime_error("broker did not become ready; log:\n" + read_file(log));
  }
  // Line 1: the ZeroMQ endpoint bound; line 2, if the HTTP endpoint is on: http://ADDRESS.
  std::istringstream lines(read_file(ready));
  std::string bound, http;
  std::getline(lines, bound);
  std::getline(lines, http);
  endpoint_ = bound;
  constexpr std::string_view kScheme = "http://";
  http_address_ = http.rfind(kScheme, 0) == 0 ? http.substr(kScheme.size()) : std::string();
}

ClientOptions BrokerProcess::options_for(const TestSystem& system) const {
  ClientOptions options;
  options.endpoint = endpoint_;
  options.broker_public_key = keys_.public_key;
  options.keys = system.keys;
  options.client_name = "enlace-tests/" + system.id;
  options.heartbeat = 500ms;
  options.reconnect_min = 50ms;
  options.reconnect_max = 500ms;
  return options;
}

int BrokerProcess::stop(bool kill) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, kill ? SIGKILL : SIGTERM);
  int status = wait_exit(pid_, 10s);
  if (status == -1) {
    ::kill(pid_, SIGKILL);
    status = wait_exit(pid_, 10s);
  }
  pid_ = -1;
  return status;
}

void BrokerProcess::start() {
  launch(endpoint_);
}

void BrokerProcess::reload(const TestCoalition& coalition) {
  write_policy(coalition);
  signal_reload();
}

void BrokerProcess::write_policy(const TestCoalition& coalition) {
  write_file(dir_ / "policy.toml", coalition.policy_toml());
}

void BrokerProcess::signal_reload() {
  ::kill(pid_, SIGHUP);
}

bool BrokerProcess::running() {
  return pid_ > 0 && ::waitpid(pid_, nullptr, WNOHANG) == 0;
}

std::optional<std::uint64_t> BrokerProcess::metric(const std::string& name) const {
  const std::string text = read_file(dir_ / "metrics.json");
  // Names are distinct with their quotes ("revoked" is not "sessions_revoked").
  const std::string key = "\"" + name + "\":";
  const auto at = text.find(key);
  if (at == std::string::npos) return std::nullopt;
  return std::strtoull(text.c_str() + at + key.size(), nullptr, 10);
}

bool BrokerProcess::wait_metric(const std::string& name,
                                const std::function<bool(std::uint64_t)>& condition,
                                std::chrono::milliseconds timeout) const {
  return eventually(
      [&] {
        const auto value = metric(name);
        return value && condition(*value);
      },
      timeout);
}

std::uint64_t BrokerProcess::rss_kib() const {
  std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtoull(line.c_str() + 6, nullptr, 10);
  }
  return 0;
}

// --- Inbox ------------------------------------------------------------------------------

DeliveryHandler Inbox::handler() {
  return [this](const Delivery& delivery) {
    {
      std::lock_guard lock(mutex_);
      deliveries_.push_back(delivery);
    }
    arrived_.notify_all();
  };
}

bool Inbox::wait_until(const std::function<bool(const std::vector<Delivery>&)>& predicate,
                       std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return arrived_.wait_for(lock, timeout, [&] { return predicate(deliveries_); });
}

bool Inbox::wait_for_topic(const std::string& topic, std::chrono::milliseconds timeout) {
  return wait_until(
      [&](const std::vector<Delivery>& all) {
        for (const auto& d : all) {
          if (d.topic() == topic) return true;
        }
        return false;
      },
      timeout);
}

bool Inbox::has_topic(const std::string& topic) const {
  std::lock_guard lock(mutex_);
  for (const auto& d : deliveries_) {
    if (d.topic() == topic) return true;
  }
  return false;
}

std::vector<Delivery> Inbox::snapshot() const {
  std::lock_guard lock(mutex_);
  return deliveries_;
}

std::size_t Inbox::size() const {
  std::lock_guard lock(mutex_);
  return deliveries_.size();
}

// --- helpers ----------------------------------------------------------------------------

Result<PublishAck> publish_text(Client& client, const std::string& topic, const std::string& body,
                                std::vector<std::string> releasable_to) {
  PublishOptions options;
  options.label.releasable_to = std::move(releasable_to);
  return client.publish_and_wait(
      topic,
      [&](flatbuffers::FlatBufferBuilder& fbb) {
        return wire::CreateTextDirect(fbb, body.c_str());
      },
      options);
}

bool served_again(Client& publisher, Inbox& inbox, const std::string& topic,
                  std::vector<std::string> releasable_to) {
  return eventually(
      [&] {
        return publish_text(publisher, topic, "again", releasable_to).ok() &&
               inbox.wait_for_topic(topic, 200ms);
      },
      20s);
}

ScratchDir::ScratchDir() {
  char templ[] = "/tmp/enlace-scratch-XXXXXX";
  if (::mkdtemp(templ) == nullptr) throw std::runtime_error("mkdtemp failed");
  path = templ;
}

ScratchDir::~ScratchDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path, ignored);
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  // Client state changes arrive on the client's own thread; this waits on them through a
  // condition variable fed by a short poll of the condition. The bound is generous; the
  // wait ends as soon as the condition holds.
  std::mutex m;
  std::condition_variable never;
  std::unique_lock lock(m);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    never.wait_for(lock, 10ms);  // poll interval of the condition, not a settle time
  }
  return true;
}

}  // namespace enlace::test
