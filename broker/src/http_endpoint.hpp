// The broker's HTTP endpoint (--http, default 127.0.0.1:7451): /metrics (Prometheus text),
// /healthz, /readyz and /status (JSON), served by RESTinio on a thread of its own. The
// routing thread never waits for it: it publishes an immutable StatusSnapshot once a
// second (an atomic pointer swap) and the HTTP thread renders whatever snapshot is newest.
// docs/operations.md describes the endpoints and every metric.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "enlace/result.hpp"
#include "status_snapshot.hpp"

namespace enlace::broker {

struct HttpAddress {
  std::string host;        // a literal IPv4 or IPv6 address (no brackets)
  std::uint16_t port = 0;  // 0: any free port (tests)
  std::string to_string() const;
  bool loopback() const noexcept;
};

inline constexpr std::string_view kDefaultHttpAddress = "127.0.0.1:7451";

/// Parses the --http value: "HOST:PORT" or "[V6]:PORT" with a literal address, or "off"
/// (nullopt). A message naming what is wrong, if it is neither.
Result<std::optional<HttpAddress>> parse_http_address(std::string_view text);

class HttpEndpoint {
 public:
  /// Limits of what a client may hold or send: beyond them a connection waits to be
  /// accepted, or is answered 400 and closed.
  static constexpr std::size_t kMaxConnections = 16;
  static constexpr std::size_t kMaxRequestHeaderBytes = 8192;
  static constexpr std::size_t kMaxRequestBodyBytes = 4096;
  /// /healthz fails when the routing thread published no snapshot for this long.
  static constexpr std::int64_t kStaleAfterNs = 10'000'000'000;

  /// Binds `address` and starts the HTTP thread. Throws std::runtime_error naming the
  /// address when it cannot bind (busy port, foreign address). Called on the routing
  /// thread before the broker announces it is ready.
  explicit HttpEndpoint(const HttpAddress& address);
  /// Stops the thread: open connections are closed, none is waited for.
  ~HttpEndpoint();
  HttpEndpoint(const HttpEndpoint&) = delete;
  HttpEndpoint& operator=(const HttpEndpoint&) = delete;

  /// Routing thread: makes `snapshot` the one served from now on. No lock on the caller's
  /// side beyond the atomic exchange; the previous snapshot is freed by whoever drops it last.
  void publish(std::shared_ptr<const StatusSnapshot> snapshot) noexcept;
  /// The address actually bound ("127.0.0.1:7451"; with port 0, the port chosen).
  std::string bound_address() const;

 private:
  struct Server;
  std::unique_ptr<Server> server_;
};

}  // namespace enlace::broker
