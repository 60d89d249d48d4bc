#include "sd_notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>

namespace enlace::broker {

ServiceNotifier::ServiceNotifier() {
  const char* path = std::getenv("NOTIFY_SOCKET");
  if (path == nullptr || (path[0] != '/' && path[0] != '@')) return;
  if (std::strlen(path) >= sizeof(sockaddr_un::sun_path)) return;
  socket_path_ = path;
}

void ServiceNotifier::reloading() const {
  // systemd 253 and later want the monotonic time with RELOADING=1 (Type=notify-reload);
  // earlier versions ignore it.
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  const long long usec = static_cast<long long>(now.tv_sec) * 1'000'000 + now.tv_nsec / 1000;
  send("RELOADING=1\nSTATUS=reloading the policy\nMONOTONIC_USEC=" + std::to_string(usec));
}

void ServiceNotifier::send(std::string_view message) const {
  if (socket_path_.empty()) return;
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, socket_path_.data(), socket_path_.size());
  if (address.sun_path[0] == '@') address.sun_path[0] = '\0';  // abstract namespace
  const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_path_.size());
  [[maybe_unused]] const auto sent = ::sendto(fd, message.data(), message.size(), MSG_NOSIGNAL,
                                              reinterpret_cast<const sockaddr*>(&address), length);
  ::close(fd);
}

}  // namespace enlace::broker
