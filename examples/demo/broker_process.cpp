#include "broker_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace demo {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

bool is_executable(const fs::path& file) {
  std::error_code error;
  return fs::is_regular_file(file, error) && ::access(file.c_str(), X_OK) == 0;
}

std::string describe(int status) {
  if (WIFEXITED(status)) return fmt::format("exited with status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    return fmt::format("killed by signal {} ({})", WTERMSIG(status), ::strsignal(WTERMSIG(status)));
  }
  return fmt::format("ended with wait status {}", status);
}

std::string read_first_line(const fs::path& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  return line;
}

int open_pidfd(int pid) {
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

}  // namespace

std::string tail_of(const fs::path& file, int lines) {
  std::ifstream in(file);
  std::deque<std::string> last;
  for (std::string line; std::getline(in, line);) {
    last.push_back(std::move(line));
    if (static_cast<int>(last.size()) > lines) last.pop_front();
  }
  std::string out;
  for (const auto& line : last) out += "    " + line + "\n";
  return out.empty() ? "    (the log is empty)\n" : out;
}

fs::path find_broker(const std::string& explicit_path) {
  std::vector<std::string> looked;
  if (!explicit_path.empty()) {
    if (is_executable(explicit_path)) return explicit_path;
    throw std::runtime_error(fmt::format("--broker {}: not an executable file", explicit_path));
  }
#ifdef ENLACE_DEMO_BROKER_PATH
  // The broker this build tree produced.
  if (is_executable(ENLACE_DEMO_BROKER_PATH)) return ENLACE_DEMO_BROKER_PATH;
  looked.emplace_back(ENLACE_DEMO_BROKER_PATH);
#endif
  // Installed: enlace-demo and enlace-broker side by side in bin/.
  std::error_code error;
  const fs::path self = fs::read_symlink("/proc/self/exe", error);
  if (!error) {
    const fs::path beside = self.parent_path() / "enlace-broker";
    if (is_executable(beside)) return beside;
    looked.push_back(beside.string());
  }
  if (const char* path = std::getenv("PATH")) {
    std::stringstream dirs(path);
    for (std::string dir; std::getline(dirs, dir, ':');) {
      if (dir.empty()) continue;
      const fs::path candidate = fs::path(dir) / "enlace-broker";
      if (is_executable(candidate)) return candidate;
    }
    looked.emplace_back("every directory on PATH");
  }
  std::string where;
  for (const auto& place : looked) where += "\n  " + place;
  throw std::runtime_error("cannot find enlace-broker; looked at:" + where +
                           "\n  Build it (ninja -C build enlace-broker) or pass --broker PATH.");
}

BrokerProcess::BrokerProcess(const fs::path& program, const StateDir& state,
                             std::chrono::milliseconds timeout)
    : log_file_(state.log_file) {
  // Everything the child needs is prepared before fork(): after it, only
  // async-signal-safe calls.
  const std::vector<std::string> args = {program.string(),
                                         "--policy",
                                         state.policy_file.string(),
                                         "--keys",
                                         state.broker_key_base.string(),
                                         "--endpoint",
                                         "tcp://127.0.0.1:*",
                                         "--ready-file",
                                         state.ready_file.string(),
                                         "--metrics-file",
                                         state.metrics_file.string(),
                                         "--metrics-interval",
                                         "1",
                                         "--broker-id",
                                         "enlace-demo"};
  std::vector<char*> argv;
  for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  const std::string log = state.log_file.string();
  const pid_t parent = ::getpid();

  // Watch for the ready file before the child can write it.
  const int watch = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (watch < 0) throw std::runtime_error("inotify_init1 failed");
  ::inotify_add_watch(watch, state.dir.c_str(), IN_MOVED_TO | IN_CLOSE_WRITE | IN_CREATE);

  pid_ = ::fork();
  if (pid_ < 0) {
    ::close(watch);
    throw std::runtime_error(fmt::format("fork failed: {}", std::strerror(errno)));
  }
  if (pid_ == 0) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(1);  // the demo died before prctl took effect
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);  // the demo blocks SIGINT/SIGTERM
    ::signal(SIGPIPE, SIG_DFL);
    const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    const int null = ::open("/dev/null", O_RDONLY);
    if (out >= 0) {
      ::dup2(out, STDOUT_FILENO);
      ::dup2(out, STDERR_FILENO);
    }
    if (null >= 0) ::dup2(null, STDIN_FILENO);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::setpgid(pid_, pid_);  // also here, so it holds whichever process runs first

  const int pidfd = open_pidfd(pid_);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string failure;
  while (true) {
    std::error_code error;
    if (fs::exists(state.ready_file, error)) {
      endpoint_ = read_first_line(state.ready_file);
      if (!endpoint_.empty()) break;
    }
    if (!exited().empty()) {
      failure = fmt::format("enlace-broker {}", exited());
      break;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left <= 0ms) {
      failure =
          fmt::format("enlace-broker did not become ready within {} s", timeout.count() / 1000);
      break;
    }
    // Wakes on a change in the directory or on the broker's exit; the bound covers a
    // kernel without pidfd_open.
    pollfd fds[2] = {{watch, POLLIN, 0}, {pidfd, POLLIN, 0}};
    ::poll(fds, pidfd >= 0 ? 2 : 1, static_cast<int>(std::min<long>(left.count(), 200)));
    char drain[4096];
    while (::read(watch, drain, sizeof(drain)) > 0) {
    }
  }
  ::close(watch);
  if (pidfd >= 0) ::close(pidfd);
  if (!failure.empty()) {
    stop(1s);
    throw std::runtime_error(
        fmt::format("{}; the end of {}:\n{}", failure, log_file_.string(), tail_of(log_file_)));
  }
}

BrokerProcess::~BrokerProcess() {
  stop();
}

std::string BrokerProcess::exited() {
  if (!status_ && pid_ > 0) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) status_ = status;
  }
  return status_ ? describe(*status_) : std::string();
}

std::string BrokerProcess::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return "not started";
  if (!exited().empty()) return exited();
  ::kill(pid_, SIGTERM);
  const int pidfd = open_pidfd(pid_);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (exited().empty() && std::chrono::steady_clock::now() < deadline) {
    pollfd fd{pidfd, POLLIN, 0};
    if (pidfd >= 0) {
      ::poll(&fd, 1, static_cast<int>(grace.count()));
    } else {
      ::usleep(20'000);  // no pidfd: a short bounded poll of waitpid
    }
  }
  if (pidfd >= 0) ::close(pidfd);
  if (exited().empty()) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    if (::waitpid(pid_, &status, 0) == pid_) status_ = status;
  }
  return exited();
}

}  // namespace demo
