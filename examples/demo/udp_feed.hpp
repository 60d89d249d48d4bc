// Simulated devices that feed the demo's real gateways (feed_gateways.hpp): patrol radios
// and an AIS receiver, transmitting NMEA 0183 and AIS sentences (nmea_encode.hpp) in UDP
// datagrams on 127.0.0.1, as radio networks and AIS receivers do on a LAN.
//
// Threads: each feed runs its schedule on its own thread, started by start(). A derived
// class calls join() in its own destructor, so the thread never reaches its members once
// they are gone.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <thread>

#include "simulated_system.hpp"

namespace demo {

/// A UDP socket bound to 127.0.0.1 on a port the system picks: one device's address, by
/// which the gateway's configuration can tell the devices apart.
class UdpTransmitter {
 public:
  /// Throws std::runtime_error if no socket can be bound.
  UdpTransmitter();
  ~UdpTransmitter();
  UdpTransmitter(const UdpTransmitter&) = delete;
  UdpTransmitter& operator=(const UdpTransmitter&) = delete;

  /// "127.0.0.1:<port>", as the gateway sees the sender.
  std::string address() const;
  /// One datagram to 127.0.0.1:`port`; false if the kernel did not take it.
  bool send(std::uint16_t port, std::string_view datagram) const;

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

class DeviceFeed {
 public:
  explicit DeviceFeed(const SystemSpec& gateway) : gateway_(gateway) {}
  virtual ~DeviceFeed() = default;
  DeviceFeed(const DeviceFeed&) = delete;
  DeviceFeed& operator=(const DeviceFeed&) = delete;

  /// The gateway system these devices report to.
  const SystemSpec& gateway() const noexcept { return gateway_; }
  /// The gateway's configuration after its [bus] table: the UDP source listening on
  /// 127.0.0.1:`port`, and what it must know of these devices (which radio is which
  /// unit, the AIS watch list).
  virtual std::string gateway_config(std::uint16_t port) const = 0;

  /// Starts transmitting to 127.0.0.1:`port`. `start` is the scenario's time zero.
  void start(StopFlag& stop, Clock::time_point start, std::uint16_t port);
  /// Waits for the thread to end (after the stop request).
  void join();
  /// Sentences (lines) sent so far.
  std::uint64_t sentences() const noexcept { return sentences_.load(); }

 protected:
  /// On the feed's thread until `stop`.
  virtual void run(StopFlag& stop, Clock::time_point start, std::uint16_t port) = 0;
  /// Sends `sentences` (whole lines) in one datagram from `from`, and counts them.
  void transmit(const UdpTransmitter& from, std::uint16_t port, const std::string& sentences);

 private:
  const SystemSpec& gateway_;
  std::thread thread_;
  std::atomic<std::uint64_t> sentences_{0};
};

}  // namespace demo
