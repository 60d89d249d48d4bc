// UDP situational awareness (the TAK mesh): one CoT event per datagram, XML or TAK v1
// with the mesh header, received on a port (joining a multicast group such as
// 239.2.3.1:6969 when configured) and sent to configured destinations (the group, or
// unicast addresses).
//
// Bounded: at most the configured queue bytes of datagrams in flight; more is dropped and
// counted (send_queue_full). Threads: the Asio thread only.
#pragma once

#include <array>
#include <functional>
#include <memory>

#include <asio.hpp>

#include "client_registry.hpp"
#include "config.hpp"
#include "cot_event.hpp"
#include "counters.hpp"
#include "enlace/result.hpp"
#include "stream_session.hpp"

namespace enlace::tak {

/// The largest UDP payload over IPv4 (65535 - 8 - 20); a larger outbound event is skipped
/// and counted as oversize.
inline constexpr std::size_t kMaxDatagramBytes = 65507;

class UdpEndpoint final : public Sink, public std::enable_shared_from_this<UdpEndpoint> {
 public:
  /// Binds and joins; fails with invalid_argument naming what could not be done.
  static Result<std::shared_ptr<UdpEndpoint>> open(asio::io_context& io, const UdpListener& config,
                                                   SessionEnvironment& environment);

  void start();
  std::uint64_t sink_id() const noexcept override { return id_; }
  void deliver(const std::shared_ptr<const OutEvent>& event) override;
  /// The port actually bound (for listen port 0).
  std::uint16_t local_port() const;

 private:
  UdpEndpoint(asio::ip::udp::socket socket, UdpListener config, SessionEnvironment& environment);
  void receive();
  /// Whether the datagram just received came from this socket (a host address, its port).
  bool is_own_datagram() const;

  asio::ip::udp::socket socket_;
  UdpListener config_;
  SessionEnvironment& env_;
  std::uint64_t id_;
  std::vector<asio::ip::udp::endpoint> destinations_;
  /// With a multicast group: this host's IPv4 addresses, so that the gateway's own
  /// datagrams, looped back by the group, are told from a device's (see receive()).
  std::vector<asio::ip::address> own_addresses_;
  std::array<char, 65536> buffer_{};
  asio::ip::udp::endpoint sender_;
  std::size_t in_flight_bytes_ = 0;
};

}  // namespace enlace::tak
