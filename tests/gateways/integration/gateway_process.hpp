// Test support: a gateway program (enlace-nmea-gateway, enlace-sbs-gateway) run as a
// process against a test broker, with its own key pair, configuration file and captured
// output; and the device ends the tests feed it through (UDP, TCP, a pseudo-terminal).
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "broker_process.hpp"

namespace enlace::gateway::test {

/// A loopback port that was free a moment ago (bound, read, closed).
std::uint16_t free_port(bool udp);

/// How a gateway's configuration names the broker: the [bus] table of the gateways built
/// on gateways/common (NMEA, SBS), or the TAK gateway's [broker] table.
enum class ConfigLayout { common, tak };

class GatewayProcess {
 public:
  /// Writes `system`'s keys and the broker's public key next to the configuration, then
  /// the configuration: a [bus] (or [broker]) table for them, followed by `body`
  /// (sources, listeners and the rest; relative paths in it are relative to directory()).
  /// `extra_args` follow --config and --ready-file on the command line (--exit-at-end).
  GatewayProcess(const std::string& program, const enlace::test::BrokerProcess& broker,
                 const enlace::test::TestSystem& system, const std::string& body,
                 ConfigLayout layout = ConfigLayout::common,
                 const std::vector<std::string>& extra_args = {});
  ~GatewayProcess();
  GatewayProcess(const GatewayProcess&) = delete;
  GatewayProcess& operator=(const GatewayProcess&) = delete;

  /// SIGTERM, waits for the exit; returns the exit status as waitpid reports it.
  int stop();
  /// Waits up to `timeout` for the process to exit by itself; its waitpid status, or
  /// nullopt if it is still running.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  /// Waits until the gateway has its bus session and every source listens (--ready-file).
  bool wait_ready(std::chrono::milliseconds timeout) const;
  /// What the process wrote to stdout (the counters at exit) and stderr (its log).
  std::string out() const;
  std::string log() const;
  /// The ready file's content (the TAK gateway writes the ports it bound there).
  std::string ready() const;
  /// Its process id (the bench reads its CPU time from /proc).
  int pid() const noexcept { return pid_; }
  /// The folder of its configuration, keys and output.
  const std::filesystem::path& directory() const noexcept { return dir_; }

 private:
  std::filesystem::path dir_;
  int pid_ = -1;
};

/// Sends `text` in one UDP datagram to 127.0.0.1:port.
void send_udp(std::uint16_t port, const std::string& text);

/// A TCP connection to 127.0.0.1:port; -1 if it was refused.
int connect_tcp(std::uint16_t port);
/// Listens on 127.0.0.1:port and accepts one connection, up to `timeout`; -1 if none.
int accept_one(std::uint16_t port, std::chrono::milliseconds timeout);
void write_all(int fd, const std::string& text);
/// Waits until the peer of connection `fd` ends it (a FIN or a reset), reading and
/// discarding what it sends before; whether it did within `timeout`.
bool wait_peer_closed(int fd, std::chrono::milliseconds timeout);

/// A UDP socket bound to a free loopback port, receiving the datagrams a gateway sends
/// there (its SA output).
class UdpReceiver {
 public:
  UdpReceiver();
  ~UdpReceiver();
  UdpReceiver(const UdpReceiver&) = delete;
  UdpReceiver& operator=(const UdpReceiver&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  /// Receives datagrams until one satisfies `match`, up to `timeout`; that datagram.
  std::optional<std::string> receive_until(const std::function<bool(const std::string&)>& match,
                                           std::chrono::milliseconds timeout);

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

}  // namespace enlace::gateway::test
