#include "udp_feed.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace demo {
namespace {

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  return address;
}

}  // namespace

UdpTransmitter::UdpTransmitter() {
  fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error(fmt::format("socket: {}", std::strerror(errno)));
  sockaddr_in address = loopback(0);
  socklen_t length = sizeof(address);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    const int error = errno;
    ::close(fd_);
    throw std::runtime_error(
        fmt::format("cannot bind a UDP socket on 127.0.0.1: {}", std::strerror(error)));
  }
  port_ = ntohs(address.sin_port);
}

UdpTransmitter::~UdpTransmitter() {
  ::close(fd_);
}

std::string UdpTransmitter::address() const {
  return fmt::format("127.0.0.1:{}", port_);
}

bool UdpTransmitter::send(std::uint16_t port, std::string_view datagram) const {
  const sockaddr_in to = loopback(port);
  return ::sendto(fd_, datagram.data(), datagram.size(), 0, reinterpret_cast<const sockaddr*>(&to),
                  sizeof(to)) == static_cast<ssize_t>(datagram.size());
}

void DeviceFeed::start(StopFlag& stop, Clock::time_point start, std::uint16_t port) {
  thread_ = std::thread([this, &stop, start, port] { run(stop, start, port); });
}

void DeviceFeed::join() {
  if (thread_.joinable()) thread_.join();
}

void DeviceFeed::transmit(const UdpTransmitter& from, std::uint16_t port,
                          const std::string& sentences) {
  // A datagram the gateway is not there to read is lost, as over a real radio link.
  if (from.send(port, sentences)) {
    sentences_.fetch_add(
        static_cast<std::uint64_t>(std::count(sentences.begin(), sentences.end(), '\n')));
  }
}

}  // namespace demo
