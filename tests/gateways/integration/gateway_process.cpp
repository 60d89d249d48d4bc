#include "gateway_process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace enlace::gateway::test {
namespace {

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

std::uint16_t free_port(bool udp) {
  const int fd = ::socket(AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
  sockaddr_in a = loopback(0);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

GatewayProcess::GatewayProcess(const std::string& program,
                               const enlace::test::BrokerProcess& broker,
                               const enlace::test::TestSystem& system, const std::string& body,
                               ConfigLayout layout, const std::vector<std::string>& extra_args) {
  dir_ = broker.directory() / ("gateway-" + system.id);
  std::filesystem::create_directories(dir_);
  const auto keys = dir_ / system.id;
  auto saved = save_keypair(system.keys, keys, true);
  if (!saved) throw std::runtime_error("cannot save the gateway's keys");
  std::ofstream(dir_ / "broker.pub") << broker.public_key() << "\n";
  std::ofstream file(dir_ / "gateway.toml");
  if (layout == ConfigLayout::common) {
    file << "[bus]\nbroker = \"" << broker.endpoint() << "\"\nbroker_key = \""
         << (dir_ / "broker.pub").string() << "\"\nkeys = \"" << keys.string() << "\"\n\n"
         << "[gateway]\nstats_interval_s = 1\n\n";
  } else {
    file << "[broker]\nendpoint = \"" << broker.endpoint() << "\"\npublic_key_file = \""
         << (dir_ / "broker.pub").string() << "\"\nkeys = \"" << keys.string() << "\"\n\n";
  }
  file << body;
  file.close();
  const std::string config = (dir_ / "gateway.toml").string();
  const std::string ready = (dir_ / "ready").string();
  std::vector<std::string> args = {program, "--config", config, "--ready-file", ready};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ == 0) {
    const int out = ::open((dir_ / "stdout").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = ::open((dir_ / "stderr").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(out, 1);
    ::dup2(err, 2);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
}

GatewayProcess::~GatewayProcess() {
  stop();
}

int GatewayProcess::stop() {
  if (pid_ <= 0) return 0;
  ::kill(pid_, SIGTERM);
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
  if (pidfd >= 0) {
    pollfd p{pidfd, POLLIN, 0};
    if (::poll(&p, 1, 30'000) == 0) ::kill(pid_, SIGKILL);
    ::close(pidfd);
  }
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

std::optional<int> GatewayProcess::wait_exit(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return std::nullopt;
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
  if (pidfd < 0) return std::nullopt;
  pollfd p{pidfd, POLLIN, 0};
  const bool ended = ::poll(&p, 1, static_cast<int>(timeout.count())) == 1;
  ::close(pidfd);
  if (!ended) return std::nullopt;
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

bool GatewayProcess::wait_ready(std::chrono::milliseconds timeout) const {
  return enlace::test::wait_for_file(dir_ / "ready", timeout);
}

std::string GatewayProcess::out() const {
  return read_file(dir_ / "stdout");
}

std::string GatewayProcess::log() const {
  return read_file(dir_ / "stderr");
}

std::string GatewayProcess::ready() const {
  return read_file(dir_ / "ready");
}

void send_udp(std::uint16_t port, const std::string& text) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  const sockaddr_in a = loopback(port);
  ::sendto(fd, text.data(), text.size(), 0, reinterpret_cast<const sockaddr*>(&a), sizeof(a));
  ::close(fd);
}

int connect_tcp(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  const sockaddr_in a = loopback(port);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof(a)) == 0) return fd;
  ::close(fd);
  return -1;
}

int accept_one(std::uint16_t port, std::chrono::milliseconds timeout) {
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  const int yes = 1;
  ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  const sockaddr_in a = loopback(port);
  if (::bind(listener, reinterpret_cast<const sockaddr*>(&a), sizeof(a)) != 0 ||
      ::listen(listener, 1) != 0) {
    ::close(listener);
    return -1;
  }
  pollfd p{listener, POLLIN, 0};
  int fd = -1;
  if (::poll(&p, 1, static_cast<int>(timeout.count())) == 1)
    fd = ::accept(listener, nullptr, nullptr);
  ::close(listener);
  return fd;
}

void write_all(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

bool wait_peer_closed(int fd, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buffer[4096];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) != 1) continue;
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n == 0) return true;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return true;
  }
}

UdpReceiver::UdpReceiver() {
  fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a = loopback(0);
  if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0)
    throw std::runtime_error("cannot bind a UDP socket on loopback");
  socklen_t len = sizeof(a);
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
}

UdpReceiver::~UdpReceiver() {
  if (fd_ >= 0) ::close(fd_);
}

std::optional<std::string> UdpReceiver::receive_until(
    const std::function<bool(const std::string&)>& match, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string datagram(65536, '\0');
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) != 1) continue;
    const ssize_t n = ::recv(fd_, datagram.data(), datagram.size(), MSG_DONTWAIT);
    if (n < 0) continue;
    std::string received = datagram.substr(0, static_cast<std::size_t>(n));
    if (match(received)) return received;
  }
}

}  // namespace enlace::gateway::test
