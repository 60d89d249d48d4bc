#include "tcp_proxy.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <memory>
#include <stdexcept>
#include <system_error>

namespace enlace::test {
namespace {

constexpr std::size_t kBufferBytes = 64 * 1024;

[[noreturn]] void fail(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

void set_nonblocking(int fd) {
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

// Closes with an RST: the peer sees the connection reset, and nothing buffered is sent.
void reset(int fd) {
  const linger abort{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort, sizeof(abort));
  ::close(fd);
}

sockaddr_in loopback(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

}  // namespace

// One direction of a relayed connection: bytes read from `from`, not yet written to `to`.
struct Direction {
  std::array<char, kBufferBytes> buffer;
  std::size_t begin = 0, end = 0;
  bool empty() const noexcept { return begin == end; }
};

struct TcpProxy::Pair {
  int client = -1, server = -1;
  Direction up, down;  // client -> server, server -> client
  bool connecting = true;
};

TcpProxy::TcpProxy(const std::string& target) {
  const auto colon = target.rfind(':');
  if (target.rfind("tcp://127.0.0.1:", 0) != 0 || colon == std::string::npos)
    throw std::invalid_argument("TcpProxy relays to tcp://127.0.0.1:PORT, not " + target);
  target_port_ = std::stoi(target.substr(colon + 1));
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener_ < 0) fail("socket");
  sockaddr_in address = loopback(0);
  if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) fail("bind");
  if (::listen(listener_, 64) != 0) fail("listen");
  socklen_t size = sizeof(address);
  ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &size);
  endpoint_ = "tcp://127.0.0.1:" + std::to_string(ntohs(address.sin_port));
  if (::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) fail("pipe2");
  set_nonblocking(listener_);
  thread_ = std::thread([this] { run(); });
}

TcpProxy::~TcpProxy() {
  [[maybe_unused]] auto n = ::write(wake_[1], "q", 1);
  thread_.join();
  ::close(listener_);
  ::close(wake_[0]);
  ::close(wake_[1]);
}

void TcpProxy::cut() {
  std::unique_lock lock(mutex_);
  const int target = cuts_done_ + 1;
  [[maybe_unused]] auto n = ::write(wake_[1], "c", 1);
  cuts_changed_.wait(lock, [&] { return cuts_done_ >= target; });
}

void TcpProxy::set_accepting(bool accepting) {
  accepting_.store(accepting);
}

void TcpProxy::run() {
  std::vector<std::unique_ptr<Pair>> pairs;
  const auto close_pair = [](Pair& pair) {
    reset(pair.client);
    reset(pair.server);
  };
  // Moves what `from` has into `direction` and what `direction` holds into `to`. False when
  // either end has closed or failed.
  const auto relay = [](int from, int to, Direction& direction, short from_events,
                        short to_events) {
    if (from_events & (POLLIN | POLLHUP | POLLERR)) {
      if (direction.empty()) direction.begin = direction.end = 0;
      if (direction.end < direction.buffer.size()) {
        const ssize_t n = ::read(from, direction.buffer.data() + direction.end,
                                 direction.buffer.size() - direction.end);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) return false;
        if (n > 0) direction.end += static_cast<std::size_t>(n);
      }
    }
    if (!direction.empty() && (to_events & POLLOUT)) {
      const ssize_t n = ::send(to, direction.buffer.data() + direction.begin,
                               direction.end - direction.begin, MSG_NOSIGNAL);
      if (n < 0 && errno != EAGAIN && errno != EINTR) return false;
      if (n > 0) direction.begin += static_cast<std::size_t>(n);
    }
    return true;
  };

  std::vector<pollfd> fds;
  while (true) {
    fds.clear();
    fds.push_back({wake_[0], POLLIN, 0});
    fds.push_back({listener_, POLLIN, 0});
    for (const auto& pair : pairs) {
      // Read only into room; write only what is waiting: each side's backpressure holds.
      const short client_wants = static_cast<short>((pair->up.end < kBufferBytes ? POLLIN : 0) |
                                                    (pair->down.empty() ? 0 : POLLOUT));
      const short server_wants = static_cast<short>(
          pair->connecting
              ? POLLOUT
              : ((pair->down.end < kBufferBytes ? POLLIN : 0) | (pair->up.empty() ? 0 : POLLOUT)));
      fds.push_back({pair->client, pair->connecting ? short{0} : client_wants, 0});
      fds.push_back({pair->server, server_wants, 0});
    }
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      fail("poll");
    }
    if (fds[0].revents != 0) {
      char commands[16];
      const ssize_t n = ::read(wake_[0], commands, sizeof(commands));
      for (ssize_t i = 0; i < n; ++i) {
        if (commands[i] == 'q') {
          for (auto& pair : pairs) close_pair(*pair);
          return;
        }
        for (auto& pair : pairs) close_pair(*pair);
        pairs.clear();
        std::lock_guard lock(mutex_);
        ++cuts_done_;
        cuts_changed_.notify_all();
      }
      continue;  // the descriptors polled may be closed now
    }
    for (std::size_t i = 0; i < pairs.size();) {
      Pair& pair = *pairs[i];
      const short client_events = fds[2 + 2 * i].revents;
      const short server_events = fds[3 + 2 * i].revents;
      bool alive = true;
      if (pair.connecting) {
        if (server_events != 0) {
          int error = 0;
          socklen_t size = sizeof(error);
          ::getsockopt(pair.server, SOL_SOCKET, SO_ERROR, &error, &size);
          alive = error == 0;
          pair.connecting = false;
        }
      } else {
        alive = relay(pair.client, pair.server, pair.up, client_events, server_events) &&
                relay(pair.server, pair.client, pair.down, server_events, client_events);
      }
      if (alive) {
        ++i;
        continue;
      }
      close_pair(pair);
      pairs.erase(pairs.begin() + static_cast<std::ptrdiff_t>(i));
      fds.erase(fds.begin() + 2 + 2 * static_cast<std::ptrdiff_t>(i),
                fds.begin() + 4 + 2 * static_cast<std::ptrdiff_t>(i));
    }
    if (fds[1].revents & POLLIN) {
      while (true) {
        const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (client < 0) break;
        if (!accepting_.load()) {
          reset(client);  // the link is down
          continue;
        }
        const int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        const sockaddr_in address = loopback(target_port_);
        if (server < 0 ||
            (::connect(server, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0 &&
             errno != EINPROGRESS)) {
          reset(client);
          if (server >= 0) ::close(server);
          continue;
        }
        auto pair = std::make_unique<Pair>();
        pair->client = client;
        pair->server = server;
        pairs.push_back(std::move(pair));
        connections_.fetch_add(1);
      }
    }
  }
}

}  // namespace enlace::test
