#include "connection_monitor.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>
#include <stdexcept>

#include "connection.hpp"

namespace enlace::broker {
namespace {

constexpr const char* kMonitorEndpoint = "inproc://enlace-router-monitor";

}  // namespace

ConnectionMonitor::ConnectionMonitor(zmq::context_t& context, zmq::socket_t& router)
    : socket_(context, zmq::socket_type::pair), router_(router.handle()) {
  if (zmq_socket_monitor(router_, kMonitorEndpoint, ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED) !=
      0) {
    throw zmq::error_t();
  }
  // No high-water mark on our side: libzmq's I/O thread sends monitor events with a blocking
  // send, so a bounded pipe would stall all network I/O whenever this thread lags behind a
  // burst of connections. An event is two small messages; a burst is bounded by the
  // connections the kernel accepts.
  socket_.set(zmq::sockopt::rcvhwm, 0);
  socket_.set(zmq::sockopt::linger, 0);
  socket_.connect(kMonitorEndpoint);
}

ConnectionMonitor::~ConnectionMonitor() {
  zmq_socket_monitor(router_, nullptr, 0);
}

int ConnectionMonitor::fd() const {
  return socket_.get(zmq::sockopt::fd);
}

void ConnectionMonitor::release_attached(Descriptor& descriptor, std::vector<Connection*>& gone) {
  for (Connection* c = descriptor.attached; c != nullptr;) {
    Connection* next = c->next_on_fd;
    c->fd = -1;
    c->next_on_fd = nullptr;
    gone.push_back(c);
    c = next;
  }
  descriptor.attached = nullptr;
}

void ConnectionMonitor::drain(std::vector<Connection*>& gone) {
  while (true) {
    zmq::message_t event, address;
    if (!socket_.recv(event, zmq::recv_flags::dontwait)) return;
    if (event.more()) (void)socket_.recv(address);  // the endpoint, which we do not need
    if (event.size() < 6) continue;
    std::uint16_t kind;
    std::uint32_t value;
    std::memcpy(&kind, event.data(), sizeof(kind));
    std::memcpy(&value, static_cast<const std::uint8_t*>(event.data()) + 2, sizeof(value));
    if (value >= descriptors_.size()) descriptors_.resize(value + 1);
    Descriptor& descriptor = descriptors_[value];
    // Both events end whatever was attached: DISCONNECTED by definition, ACCEPTED because
    // the number was free again, so its previous connection is over (a DISCONNECTED this
    // monitor never saw would otherwise leak it).
    release_attached(descriptor, gone);
    descriptor.open = kind == ZMQ_EVENT_ACCEPTED;
  }
}

bool ConnectionMonitor::attach(Connection& connection, int fd) {
  if (fd < 0) return true;
  if (connection.fd == fd) return true;
  if (static_cast<std::size_t>(fd) >= descriptors_.size() || !descriptors_[fd].open) return false;
  detach(connection);
  connection.fd = fd;
  connection.next_on_fd = descriptors_[fd].attached;
  descriptors_[fd].attached = &connection;
  return true;
}

void ConnectionMonitor::detach(Connection& connection) noexcept {
  if (connection.fd < 0) return;
  Connection** link = &descriptors_[static_cast<std::size_t>(connection.fd)].attached;
  while (*link != nullptr && *link != &connection) link = &(*link)->next_on_fd;
  if (*link != nullptr) *link = connection.next_on_fd;
  connection.fd = -1;
  connection.next_on_fd = nullptr;
}

std::optional<ConnectionMonitor::RemoteEnd> ConnectionMonitor::remote_end(int fd) {
  RemoteEnd remote;
  remote.length = sizeof(remote.address);
  if (fd < 0 ||
      ::getpeername(fd, reinterpret_cast<sockaddr*>(&remote.address), &remote.length) != 0)
    return std::nullopt;
  return remote;
}

std::string ConnectionMonitor::remote_address(int fd) {
  const auto remote = remote_end(fd);
  if (!remote) return {};
  char text[INET6_ADDRSTRLEN] = {};
  if (remote->address.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&remote->address);
    if (::inet_ntop(AF_INET, &v4->sin_addr, text, sizeof(text)) == nullptr) return {};
    return std::string(text) + ":" + std::to_string(ntohs(v4->sin_port));
  }
  if (remote->address.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&remote->address);
    if (::inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof(text)) == nullptr) return {};
    return "[" + std::string(text) + "]:" + std::to_string(ntohs(v6->sin6_port));
  }
  return {};
}

bool ConnectionMonitor::shut_down(const Connection& connection, const RemoteEnd& remote) const {
  const int fd = connection.fd;
  if (fd < 0 || static_cast<std::size_t>(fd) >= descriptors_.size() || !descriptors_[fd].open)
    return false;
  const auto now = remote_end(fd);
  if (!now || now->length != remote.length ||
      std::memcmp(&now->address, &remote.address, remote.length) != 0) {
    return false;
  }
  return ::shutdown(fd, SHUT_RDWR) == 0;
}

}  // namespace enlace::broker
