// Sources: where a gateway's lines come from, as users wire their devices.
//
//   udp         datagrams on a listening port (radios, AIS receivers that broadcast)
//   tcp-client  a connection to a device or server (dump1090 on 30003, an AIS server),
//               re-established with a doubling back-off after a loss
//   tcp-server  devices connect to the gateway, at most max_connections at once
//   serial      a serial device (asio::serial_port) at a baud rate, 8N1, reopened after
//               an error
//   gpsd        a TCP client to gpsd that sends ?WATCH={"enable":true,"json":true}
//   file        a capture replayed with its own timing (the lines' timestamps, see
//               TimestampOf) or as fast as possible
//
// Threads: every source runs on the one io_context thread that runs the gateway, and the
// callbacks are called there. Buffers are bounded: a line longer than the source's
// max_line_bytes is reported as too long and skipped (LineBuffer); a datagram is read
// into a fixed 64 KiB buffer.
#pragma once

#include <asio.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "common/config.hpp"

namespace enlace::gateway {

struct SourceCallbacks {
  /// A complete line (no line end) from source `index`, sent by `peer` ("ip:port" for
  /// UDP and TCP, the device for serial, the path for a file).
  std::function<void(std::size_t index, std::string_view peer, std::string_view line)> on_line;
  /// A line that exceeded the source's bound.
  std::function<void(std::size_t index)> on_too_long;
  /// For file replay with its own timing: the UTC time a line carries, in nanoseconds,
  /// or nullopt (the line is replayed right after the one before).
  std::function<std::optional<std::int64_t>(std::string_view line)> timestamp_of;
  /// Called once every file source has reached its end (never if there is none).
  std::function<void()> on_files_done;
};

class Source {
 public:
  virtual ~Source() = default;
  virtual void start() = 0;
  virtual void stop() = 0;
};

/// Creates and starts the sources of `configs` (index i is configs[i]). Throws
/// std::system_error when a port cannot be bound or a file cannot be opened; a device or
/// peer that is not there yet is retried instead.
class Sources {
 public:
  Sources(asio::io_context& io, const std::vector<SourceConfig>& configs,
          SourceCallbacks callbacks);
  ~Sources();
  void stop();

 private:
  void add(asio::io_context& io, std::size_t index, const SourceConfig& config,
           const std::function<void()>& file_done);

  std::shared_ptr<SourceCallbacks> callbacks_;
  std::vector<std::shared_ptr<Source>> sources_;
};

}  // namespace enlace::gateway
