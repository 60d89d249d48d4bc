// Knows when a peer's TCP connection ends, so that the broker releases what the peer held
// (its session, its subscriptions, its queue) even if it never announced a heartbeat.
//
// A ZeroMQ ROUTER does not tell its user that a peer left (ZMQ_ROUTER_NOTIFY is a draft API,
// not in Debian's libzmq 4.3.4). Its socket monitor does, per file descriptor: ACCEPTED(fd)
// and DISCONNECTED(fd). Every message carries the descriptor of its connection as the
// (deprecated, still present) ZMQ_SRCFD property. The broker attaches a connection to its
// descriptor at Hello, and the monitor hands it back when that descriptor's connection ends.
//
// Descriptors are reused at once (the kernel hands out the lowest free number), so a number
// alone does not name a connection. What libzmq 4.3.4 guarantees, from its source
// (stream_listener_base.cpp, stream_engine_base.cpp) and checked by experiment (400
// CURVE connections opened, greeted and closed in a tight loop, two thirds of them on a
// reused descriptor, run several times):
//   1. ACCEPTED(fd) is queued on the monitor before the connection's engine runs, hence
//      before any of its messages can be received. This needs the context's single I/O
//      thread (Broker: zmq::context_t(1)): the listener and the new engine share it.
//   2. DISCONNECTED(fd) is queued before the descriptor is closed, hence before a new
//      connection can be ACCEPTED on the same number. (Every engine error path emits it,
//      failed handshakes included.)
//   3. A connection's messages may still be read after its DISCONNECTED has been read (in
//      the experiment, 3 to 14 % of the connections, which closed right after their first
//      message): ZeroMQ delivers what the engine had pushed before it died.
// Hence the rules below: a descriptor is "open" from its ACCEPTED to its DISCONNECTED. At
// Hello the broker first drains the monitor; a Hello from a descriptor that is not open is
// a leftover of a connection that is gone (3), and opens no session. A Hello from an open
// descriptor attaches its connection to it. Because of (3), a leftover Hello could also come
// in after the descriptor was re-ACCEPTED for another connection; it then attaches beside
// the live one. Nothing live is ever released by mistake: a DISCONNECTED or a new ACCEPTED
// of that descriptor releases every connection attached to it, and the leftover one is
// released earlier still by its first send (ZeroMQ answers EHOSTUNREACH for a peer that is
// gone), or by the broker's liveness probe.
//
// A ROUTER cannot close one peer's connection either. The broker does it for a peer it cut
// off (docs/protocol.md 8.2) with shutdown(2) on the descriptor, which libzmq then sees end
// as if the network had dropped it: it closes the descriptor itself and reports
// DISCONNECTED. The descriptor is never closed here (libzmq owns it). Because the number
// may have been reused between the decision and the call, shut_down() first checks that
// the descriptor is still open here and still leads to the remote end it had when the
// decision was taken.
//
// Runs on the broker's routing thread, like everything it touches.
#pragma once

#include <sys/socket.h>
#include <zmq.hpp>

#include <optional>
#include <string>
#include <vector>

namespace enlace::broker {

struct Connection;

class ConnectionMonitor {
 public:
  /// Starts monitoring `router`. Must run before the router binds, so that no connection is
  /// accepted unseen.
  ConnectionMonitor(zmq::context_t& context, zmq::socket_t& router);
  ~ConnectionMonitor();
  ConnectionMonitor(const ConnectionMonitor&) = delete;
  ConnectionMonitor& operator=(const ConnectionMonitor&) = delete;

  /// The monitor socket's ZMQ_FD, for the broker's poll(): readable when events may wait.
  int fd() const;

  /// Reads every pending event. Each attached connection whose TCP connection ended is
  /// detached and appended to `gone` for the caller to release.
  void drain(std::vector<Connection*>& gone);

  /// At Hello, after drain(): ties `connection` to the descriptor `fd` its frame came from
  /// (ZMQ_SRCFD). Returns false when that descriptor's connection has already ended: the
  /// frame is a leftover of a connection that is gone. A negative `fd` (no descriptor
  /// known) attaches nothing and returns true: such a connection relies on the send path
  /// and the liveness probe.
  bool attach(Connection& connection, int fd);
  /// Whether the descriptor's connection is open (after drain()); true for a negative `fd`,
  /// as attach() accepts it.
  bool is_open(int fd) const noexcept {
    return fd < 0 || (static_cast<std::size_t>(fd) < descriptors_.size() && descriptors_[fd].open);
  }
  /// Unties a connection that is being released for another reason.
  void detach(Connection& connection) noexcept;

  /// The remote address and port of a TCP descriptor (getpeername), which names its
  /// connection where the number alone does not.
  struct RemoteEnd {
    sockaddr_storage address{};
    socklen_t length = 0;
  };
  static std::optional<RemoteEnd> remote_end(int fd);
  /// "192.0.2.7:41234" or "[2001:db8::7]:41234"; "" for a descriptor that is not a TCP
  /// socket with a peer.
  static std::string remote_address(int fd);
  /// Shuts down both directions of `connection`'s TCP connection if its descriptor is open
  /// and still leads to `remote`. Returns whether it did; call drain() first, so that a
  /// connection that already ended is known.
  bool shut_down(const Connection& connection, const RemoteEnd& remote) const;

 private:
  struct Descriptor {
    bool open = false;
    Connection* attached = nullptr;  // intrusive list through Connection::next_on_fd
  };
  void release_attached(Descriptor& descriptor, std::vector<Connection*>& gone);

  zmq::socket_t socket_;
  void* router_;                         // the monitored socket, to stop the monitor
  std::vector<Descriptor> descriptors_;  // by descriptor number
};

}  // namespace enlace::broker
