// Test support: a minimal HTTP/1.1 client on plain POSIX sockets, for the broker's HTTP
// endpoint (/metrics, /healthz, /readyz, /status). One request per connection
// (Connection: close), read until the server closes. Enough for tests; not a general client.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace enlace::test {

struct HttpResponse {
  int status = 0;       // 0: no response (connection refused, closed before a status line)
  std::string headers;  // the header lines as received, status line excluded
  std::string body;
  /// The value of header `name` (case-insensitive), "" if absent.
  std::string header(std::string_view name) const;
};

/// Opens a TCP connection to "HOST:PORT" (IPv4); -1 if it cannot.
int http_connect(const std::string& address);

/// Sends `method path` with `extra_headers` ("Name: value\r\n" lines) and returns the
/// response; waits at most `timeout` for it.
HttpResponse http_request(const std::string& address, std::string_view method,
                          std::string_view path, std::string_view extra_headers = {},
                          std::chrono::milliseconds timeout = std::chrono::seconds(10));
inline HttpResponse http_get(const std::string& address, std::string_view path) {
  return http_request(address, "GET", path);
}

/// The value of the sample written exactly as `series` (e.g.
/// `enlace_deliveries_total{nation="COL",recipient_nation="ECU"}`) in Prometheus text.
std::optional<double> prometheus_value(const std::string& text, std::string_view series);

}  // namespace enlace::test
