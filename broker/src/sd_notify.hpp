// The service manager's readiness protocol (sd_notify(3)), spoken directly: one datagram
// to the unix socket named by $NOTIFY_SOCKET per state change. Without $NOTIFY_SOCKET
// (not started by systemd with Type=notify) every call does nothing.
//
// The broker sends READY=1 once its policy is loaded and its sockets are bound,
// RELOADING=1 ... READY=1 around each policy reload, and STOPPING=1 when it begins to shut
// down (packaging/systemd/enlace-broker.service). Routing thread only; a send that fails
// is ignored, as libsystemd's sd_notify() does: the broker's work never depends on it.
#pragma once

#include <string>
#include <string_view>

namespace enlace::broker {

class ServiceNotifier {
 public:
  /// Reads $NOTIFY_SOCKET: an absolute path, or '@' and an abstract socket name.
  ServiceNotifier();

  void ready() const { send("READY=1\nSTATUS=serving"); }
  void reloading() const;
  void stopping() const { send("STOPPING=1"); }

  /// Whether a service manager listens (for the log).
  bool active() const noexcept { return !socket_path_.empty(); }

 private:
  void send(std::string_view message) const;
  std::string socket_path_;
};

}  // namespace enlace::broker
