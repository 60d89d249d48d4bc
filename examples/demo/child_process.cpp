#include "child_process.hpp"

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

fs::path find_program(std::string_view name, const std::string& explicit_path, const char* built,
                      std::string_view option) {
  std::vector<std::string> looked;
  if (!explicit_path.empty()) {
    if (is_executable(explicit_path)) return explicit_path;
    throw std::runtime_error(fmt::format("{} {}: not an executable file", option, explicit_path));
  }
  if (built != nullptr) {
    if (is_executable(built)) return built;
    looked.emplace_back(built);
  }
  // Installed: enlace-demo and the other programs side by side in bin/.
  std::error_code error;
  const fs::path self = fs::read_symlink("/proc/self/exe", error);
  if (!error) {
    const fs::path beside = self.parent_path() / name;
    if (is_executable(beside)) return beside;
    looked.push_back(beside.string());
  }
  if (const char* path = std::getenv("PATH")) {
    std::stringstream dirs(path);
    for (std::string dir; std::getline(dirs, dir, ':');) {
      if (dir.empty()) continue;
      const fs::path candidate = fs::path(dir) / name;
      if (is_executable(candidate)) return candidate;
    }
    looked.emplace_back("every directory on PATH");
  }
  std::string where;
  for (const auto& place : looked) where += "\n  " + place;
  throw std::runtime_error(
      fmt::format("cannot find {}; looked at:{}\n  Build it (ninja -C build {}) or pass {} PATH.",
                  name, where, name, option));
}

ChildProcess::ChildProcess(ChildSpec spec, std::chrono::milliseconds timeout)
    : spec_(std::move(spec)) {
  // Everything the child needs is prepared before fork(): after it, only
  // async-signal-safe calls.
  std::vector<char*> argv;
  for (const auto& arg : spec_.args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  const std::string log = spec_.log_file.string();
  const int log_flags = O_WRONLY | O_CREAT | (spec_.append_log ? O_APPEND : O_TRUNC);
  const pid_t parent = ::getpid();
  std::error_code ignored;
  fs::remove(spec_.ready_file, ignored);  // a stale one would announce a child not running

  // Watch for the ready file before the child can write it.
  const int watch = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (watch < 0) throw std::runtime_error("inotify_init1 failed");
  ::inotify_add_watch(watch, spec_.ready_file.parent_path().c_str(),
                      IN_MOVED_TO | IN_CLOSE_WRITE | IN_CREATE);

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
    const int out = ::open(log.c_str(), log_flags, 0600);
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
    if (fs::exists(spec_.ready_file, error)) {
      ready_line_ = read_first_line(spec_.ready_file);
      if (!ready_line_.empty()) break;
    }
    if (!exited().empty()) {
      failure = fmt::format("{} {}", spec_.name, exited());
      break;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left <= 0ms) {
      failure =
          fmt::format("{} did not become ready within {} s", spec_.name, timeout.count() / 1000);
      break;
    }
    // Wakes on a change in the directory or on the child's exit; the bound covers a
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
    throw std::runtime_error(fmt::format("{}; the end of {}:\n{}", failure, spec_.log_file.string(),
                                         tail_of(spec_.log_file)));
  }
}

ChildProcess::~ChildProcess() {
  stop();
}

std::string ChildProcess::exited() {
  if (!status_ && pid_ > 0) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) status_ = status;
  }
  return status_ ? describe(*status_) : std::string();
}

bool ChildProcess::exited_cleanly() {
  exited();
  return status_ && WIFEXITED(*status_) && WEXITSTATUS(*status_) == 0;
}

std::string ChildProcess::stop(std::chrono::milliseconds grace) {
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
