// The HTTP thread: RESTinio on standalone Asio, one thread, its own io_context. The only
// translation unit that includes RESTinio (it is heavy to compile).
//
// What a client can cost: at most kMaxConnections connections at once (more wait in the
// kernel's accept queue), a request head of at most kMaxRequestHeaderBytes and a body of at
// most kMaxRequestBodyBytes (RESTinio answers 400 and closes beyond), and a few seconds of
// idle time before the connection is closed. Rendering runs here, on a snapshot the routing
// thread no longer touches.
#include "http_endpoint.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <atomic>
#include <charconv>
#include <restinio/all.hpp>
#include <stdexcept>

#include "enlace/protocol/clock.hpp"

namespace enlace::broker {

std::string HttpAddress::to_string() const {
  if (host.find(':') != std::string::npos) return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

bool HttpAddress::loopback() const noexcept {
  in_addr v4{};
  if (::inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (::inet_pton(AF_INET6, host.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

Result<std::optional<HttpAddress>> parse_http_address(std::string_view text) {
  if (text == "off") return std::optional<HttpAddress>{};
  const auto bad = [&](std::string_view why) {
    return ErrorInfo{Errc::invalid_argument,
                     fmt::format("--http '{}': {} (expected HOST:PORT with a literal IPv4 "
                                 "address, [IPv6]:PORT, or off)",
                                 text, why)};
  };
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return bad("no port");
  std::string_view host = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  unsigned port = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc{} || end != port_text.data() + port_text.size() ||
      port > 65535)
    return bad("the port must be a number from 0 to 65535");
  HttpAddress address{std::string(host), static_cast<std::uint16_t>(port)};
  in_addr v4{};
  in6_addr v6{};
  if (::inet_pton(AF_INET, address.host.c_str(), &v4) != 1 &&
      ::inet_pton(AF_INET6, address.host.c_str(), &v6) != 1)
    return bad("the host must be a literal IP address");
  return std::optional<HttpAddress>{std::move(address)};
}

namespace {

struct Traits
    : restinio::single_thread_traits_t<restinio::asio_timer_manager_t, restinio::null_logger_t> {
  static constexpr bool use_connection_count_limiter = true;
};

using Request = restinio::request_handle_t;

restinio::request_handling_status_t reply(const Request& request,
                                          restinio::http_status_line_t status,
                                          std::string_view content_type, std::string body) {
  request->create_response(std::move(status))
      .append_header(restinio::http_field::content_type, std::string(content_type))
      .append_header(restinio::http_field::cache_control, "no-store")
      .set_body(std::move(body))
      .done();
  return restinio::request_accepted();
}

enum class Route { none, metrics, healthz, readyz, status };

Route route_of(std::string_view path) {
  if (path == "/metrics") return Route::metrics;
  if (path == "/healthz") return Route::healthz;
  if (path == "/readyz") return Route::readyz;
  if (path == "/status") return Route::status;
  return Route::none;
}

}  // namespace

struct HttpEndpoint::Server {
  std::atomic<std::shared_ptr<const StatusSnapshot>> snapshot;
  std::atomic<std::uint16_t> bound_port{0};
  HttpAddress address;
  std::optional<restinio::running_server_handle_t<Traits>> running;

  restinio::request_handling_status_t handle(const Request& request) const {
    const Route route = route_of(request->header().path());
    if (route == Route::none) {
      return reply(request, restinio::status_not_found(), "text/plain; charset=utf-8",
                   "not found: the endpoints are /metrics, /healthz, /readyz and /status\n");
    }
    if (request->header().method() != restinio::http_method_get()) {
      request->create_response(restinio::status_method_not_allowed())
          .append_header(restinio::http_field::allow, "GET")
          .append_header(restinio::http_field::content_type, "text/plain; charset=utf-8")
          .set_body("method not allowed: only GET\n")
          .done();
      return restinio::request_accepted();
    }
    const std::shared_ptr<const StatusSnapshot> current = snapshot.load();
    const bool fresh = current != nullptr &&
                       protocol::monotonic_ns() - current->taken_monotonic_ns < kStaleAfterNs;
    constexpr std::string_view kText = "text/plain; charset=utf-8";
    const auto unavailable = [&](std::string body) {
      return reply(request, restinio::status_service_unavailable(), kText, std::move(body));
    };
    constexpr const char* kStale = "the routing thread has published no status for 10 s\n";
    if (route == Route::healthz) {
      if (!fresh) return unavailable(std::string("unhealthy: ") + kStale);
      return reply(request, restinio::status_ok(), kText, "ok\n");
    }
    if (route == Route::readyz) {
      if (current == nullptr || !current->ready)
        return unavailable("not ready: policy not loaded or socket not bound, or stopping\n");
      if (!fresh) return unavailable(std::string("not ready: ") + kStale);
      return reply(request, restinio::status_ok(), kText, "ready\n");
    }
    if (current == nullptr) return unavailable("nothing to serve yet\n");
    if (route == Route::metrics) {
      return reply(request, restinio::status_ok(), "text/plain; version=0.0.4; charset=utf-8",
                   render_prometheus(*current));
    }
    return reply(request, restinio::status_ok(), "application/json", render_status_json(*current));
  }
};

HttpEndpoint::HttpEndpoint(const HttpAddress& address) : server_(std::make_unique<Server>()) {
  server_->address = address;
  Server* server = server_.get();
  auto settings =
      restinio::server_settings_t<Traits>{}
          .address(address.host)
          .port(address.port)
          .max_parallel_connections(kMaxConnections)
          .incoming_http_msg_limits(restinio::incoming_http_msg_limits_t{}
                                        .max_url_size(1024)
                                        .max_field_name_size(256)
                                        .max_field_value_size(kMaxRequestHeaderBytes)
                                        .max_field_count(64)
                                        .max_body_size(kMaxRequestBodyBytes))
          .read_next_http_message_timelimit(std::chrono::seconds(10))
          .write_http_response_timelimit(std::chrono::seconds(5))
          .handle_request_timeout(std::chrono::seconds(5))
          .acceptor_post_bind_hook([server](asio::ip::tcp::acceptor& acceptor) {
            server->bound_port.store(acceptor.local_endpoint().port());
          })
          .request_handler([server](const Request& request) { return server->handle(request); });
  try {
    server_->running.emplace(
        restinio::run_async(restinio::own_io_context(), std::move(settings), 1));
  } catch (const std::exception& e) {
    throw std::runtime_error(
        fmt::format("HTTP endpoint {}: {} (choose another address with "
                    "--http HOST:PORT, or turn it off with --http off)",
                    address.to_string(), e.what()));
  }
}

HttpEndpoint::~HttpEndpoint() {
  if (server_->running) {
    (*server_->running)->stop();
    (*server_->running)->wait();
  }
}

void HttpEndpoint::publish(std::shared_ptr<const StatusSnapshot> snapshot) noexcept {
  server_->snapshot.store(std::move(snapshot));
}

std::string HttpEndpoint::bound_address() const {
  HttpAddress bound = server_->address;
  bound.port = server_->bound_port.load();
  return bound.to_string();
}

}  // namespace enlace::broker
