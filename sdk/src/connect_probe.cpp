#include "connect_probe.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace enlace::detail {
namespace {

constexpr std::string_view kTcp = "tcp://";

// The text of errno `error` in lower case, as the reason continues a sentence.
std::string describe(int error) {
  std::string text = std::strerror(error);
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

}  // namespace

std::optional<std::string> ConnectProbe::start(const std::string& endpoint,
                                               std::int64_t deadline_ns) {
  cancel();
  if (endpoint.rfind(kTcp, 0) != 0) return "the connection failed";
  const std::string address = endpoint.substr(kTcp.size());
  const auto colon = address.rfind(':');
  if (colon == std::string::npos) return "the endpoint names no port";
  std::string host = address.substr(0, colon);
  const std::string port = address.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  // libzmq accepts "interface;host:port" for a source address: the host is after ';'.
  if (const auto semicolon = host.find(';'); semicolon != std::string::npos)
    host = host.substr(semicolon + 1);

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (const int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0)
    return "cannot resolve '" + host + "': " + ::gai_strerror(rc);
  const int fd = ::socket(found->ai_family, found->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    const int error = errno;
    ::freeaddrinfo(found);
    return describe(error);
  }
  const int rc = ::connect(fd, found->ai_addr, found->ai_addrlen);
  const int error = errno;
  ::freeaddrinfo(found);
  if (rc == 0 || error == EINPROGRESS) {
    fd_ = fd;
    deadline_ns_ = deadline_ns;
    return std::nullopt;
  }
  ::close(fd);
  return describe(error);
}

std::optional<std::string> ConnectProbe::finish(bool signalled) {
  if (fd_ < 0) return std::nullopt;
  std::optional<std::string> cause;
  if (!signalled) {
    cause = "no answer (a firewall dropping the packets, or a host that is down?)";
  } else {
    int error = 0;
    socklen_t length = sizeof(error);
    if (::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
    if (error != 0) cause = describe(error);
  }
  cancel();
  return cause;
}

void ConnectProbe::cancel() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

std::string connect_failure_reason(const std::string& endpoint, const std::string& cause) {
  std::string reason = "cannot connect to " + endpoint + ": " + cause;
  if (cause == describe(ECONNREFUSED))
    reason += " (nothing listens there: is the broker running, on this address and port?)";
  else if (cause == describe(EHOSTUNREACH) || cause == describe(ENETUNREACH))
    reason += " (check the address, and the route to that network)";
  return reason;  // that the SDK goes on retrying is the code's retry mark, not this text
}

}  // namespace enlace::detail
