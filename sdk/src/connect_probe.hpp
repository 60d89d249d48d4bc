// Why a TCP connection to the broker fails. libzmq reports a failed connect only as
// ZMQ_EVENT_CONNECT_RETRIED, without the cause; the I/O thread then makes one connection
// attempt of its own to the same address and reads the cause from the operating system
// (connection refused, no route to host, ...), so that the caller learns it at once.
//
// Thread: the client's I/O thread only. The probe never blocks beyond name resolution
// (getaddrinfo, instant for numeric addresses): the connect runs non-blocking and its
// descriptor joins the I/O thread's poll.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace enlace::detail {

class ConnectProbe {
 public:
  ConnectProbe() = default;
  ~ConnectProbe() { cancel(); }
  ConnectProbe(const ConnectProbe&) = delete;
  ConnectProbe& operator=(const ConnectProbe&) = delete;

  /// Starts an attempt to reach `endpoint` (tcp://HOST:PORT), to give up at `deadline_ns`
  /// (monotonic). Returns the cause when it is known at once (the name does not resolve,
  /// the connection is refused on the spot, the endpoint is not TCP).
  std::optional<std::string> start(const std::string& endpoint, std::int64_t deadline_ns);
  /// Whether an attempt is in progress; fd() then is the descriptor to poll for POLLOUT.
  bool active() const noexcept { return fd_ >= 0; }
  int fd() const noexcept { return fd_; }
  std::int64_t deadline_ns() const noexcept { return deadline_ns_; }
  /// Ends the attempt once fd() signalled (`signalled`) or the deadline passed: the
  /// cause, or nullopt when the connection succeeded (the broker listens again).
  std::optional<std::string> finish(bool signalled);
  void cancel() noexcept;

 private:
  int fd_ = -1;
  std::int64_t deadline_ns_ = 0;
};

/// The reason the SDK reports for a failed connection to `endpoint`, from the cause.
std::string connect_failure_reason(const std::string& endpoint, const std::string& cause);

}  // namespace enlace::detail
