// Test support: a TCP relay on a free loopback port in front of a broker, so that a test
// can cut a client's link the way a network does (both ends see the connection die, and
// whatever was in flight is lost) and keep it down for as long as it likes.
//
// One thread relays every connection through poll(); each direction holds at most one
// 64 KiB buffer, so a reader that stops reading stops the relay's reads from the other
// side (backpressure passes through). Loopback only.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace enlace::test {

class TcpProxy {
 public:
  /// Relays to `target`, a "tcp://127.0.0.1:PORT" endpoint.
  explicit TcpProxy(const std::string& target);
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  /// Where clients connect instead of the target: "tcp://127.0.0.1:PORT".
  const std::string& endpoint() const noexcept { return endpoint_; }

  /// Resets every relayed connection at once (RST on both sides; buffered bytes are lost).
  /// Returns once they are closed.
  void cut();
  /// While not accepting, new connections are reset as soon as they arrive: the link is
  /// down. Accepting is the initial state.
  void set_accepting(bool accepting);
  /// Connections relayed since the start.
  int connections() const noexcept { return connections_.load(); }

 private:
  struct Pair;
  void run();

  int target_port_ = 0;
  int listener_ = -1;
  int wake_[2] = {-1, -1};
  std::string endpoint_;
  std::atomic<bool> accepting_{true};
  std::atomic<int> connections_{0};
  std::mutex mutex_;
  std::condition_variable cuts_changed_;
  int cuts_done_ = 0;  // under mutex_
  std::thread thread_;
};

}  // namespace enlace::test
