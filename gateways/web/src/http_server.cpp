// RESTinio on standalone Asio, on the gateway's own io_context (external_io_context), so
// the server, the picture and every browser queue share one thread and need no lock.
#include "http_server.hpp"

#include <fmt/format.h>

#include <restinio/all.hpp>
#include <restinio/websocket/websocket.hpp>
#include <stdexcept>

namespace enlace::web {
namespace {

namespace rws = restinio::websocket::basic;

struct Traits
    : restinio::single_thread_traits_t<restinio::asio_timer_manager_t, restinio::null_logger_t> {
  static constexpr bool use_connection_count_limiter = true;
};

using Request = restinio::request_handle_t;
constexpr std::size_t kMaxConnections = 1024;

constexpr const char* kCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

template <class Builder>
void secure(Builder& response) {
  response.append_header("Content-Security-Policy", kCsp)
      .append_header("X-Content-Type-Options", "nosniff")
      .append_header("Referrer-Policy", "no-referrer");
}

restinio::request_handling_status_t reply(const Request& request,
                                          restinio::http_status_line_t status,
                                          std::string_view content_type, std::string body) {
  auto response = request->create_response(std::move(status));
  secure(response);
  response.append_header(restinio::http_field::content_type, std::string(content_type))
      .append_header(restinio::http_field::cache_control, "no-store")
      .set_body(std::move(body))
      .done();
  return restinio::request_accepted();
}

class Link final : public BrowserLink {
 public:
  Link(rws::ws_handle_t ws, std::string remote) : ws_(std::move(ws)), remote_(std::move(remote)) {}
  void send(std::string frame, std::function<void()> on_written) override {
    if (!ws_) return;
    ws_->send_message(rws::final_frame, rws::opcode_t::text_frame,
                      restinio::writable_item_t{std::move(frame)},
                      [done = std::move(on_written)](const asio::error_code&) { done(); });
  }
  void close() override {
    if (ws_) std::exchange(ws_, nullptr)->kill();
  }
  const std::string& remote() const override { return remote_; }

 private:
  rws::ws_handle_t ws_;
  std::string remote_;
};

}  // namespace

struct HttpServer::Impl {
  const StaticFiles& files;
  HttpHandlers handlers;
  std::uint16_t port = 0;
  std::unique_ptr<restinio::http_server_t<Traits>> server;

  // A page of ours asks with Origin http://<the Host it asked>; anything else is refused.
  static bool same_origin(const Request& request) {
    const auto& header = request->header();
    const auto origin = header.opt_value_of(restinio::http_field::origin);
    const auto host = header.opt_value_of(restinio::http_field::host);
    return origin && host && *origin == fmt::format("http://{}", *host);
  }

  restinio::request_handling_status_t upgrade(const Request& request) {
    if (!same_origin(request)) {
      handlers.on_request(false);
      return reply(request, restinio::status_forbidden(), "text/plain; charset=utf-8",
                   "forbidden: /ws is for this server's own page (Origin must match Host)\n");
    }
    handlers.on_request(true);
    auto id = std::make_shared<std::uint64_t>(0);
    auto ws = rws::upgrade<Traits>(
        *request, rws::activation_t::immediate,
        [this, id](rws::ws_handle_t handle, rws::message_handle_t message) {
          if (message->opcode() == rws::opcode_t::connection_close_frame) {
            if (*id != 0) handlers.on_close(std::exchange(*id, 0));
            // The closing handshake's answer; RESTinio throws if the socket is gone.
            try {
              handle->send_message(rws::final_frame, rws::opcode_t::connection_close_frame,
                                   rws::status_code_to_bin(rws::status_code_t::normal_closure));
            } catch (const restinio::exception_t&) {
            }
          } else if (message->opcode() == rws::opcode_t::ping_frame) {
            handle->send_message(rws::final_frame, rws::opcode_t::pong_frame,
                                 restinio::writable_item_t{message->payload()});
          } else if (*id != 0 && message->opcode() != rws::opcode_t::pong_frame) {
            handlers.on_ignored(*id);
          }
        });
    const auto& endpoint = ws->remote_endpoint();
    auto link = std::make_shared<Link>(
        ws, fmt::format("{}:{}", endpoint.address().to_string(), endpoint.port()));
    *id = handlers.on_open(link);
    if (*id == 0) link->close();
    return restinio::request_accepted();
  }

  restinio::request_handling_status_t handle(const Request& request) {
    const auto path = request->header().path();
    if (request->header().method() != restinio::http_method_get()) {
      handlers.on_request(false);
      return reply(request, restinio::status_method_not_allowed(), "text/plain; charset=utf-8",
                   "method not allowed: only GET\n");
    }
    if (path == "/ws" &&
        request->header().connection() == restinio::http_connection_header_t::upgrade)
      return upgrade(request);
    if (path == "/status") {
      handlers.on_request(true);
      return reply(request, restinio::status_ok(), "application/json", handlers.status());
    }
    if (const StaticFile* file = files.find(path)) {
      handlers.on_request(true);
      return reply(request, restinio::status_ok(), file->content_type, file->body);
    }
    handlers.on_request(false);
    return reply(request, restinio::status_not_found(), "text/plain; charset=utf-8",
                 "not found: the page is at /, its counters at /status\n");
  }
};

HttpServer::HttpServer(asio::io_context& io, const gateway::Endpoint& listen,
                       const StaticFiles& files, HttpHandlers handlers)
    : impl_(std::make_unique<Impl>(Impl{files, std::move(handlers), 0, nullptr})) {
  Impl* impl = impl_.get();
  try {
    impl->server = std::make_unique<restinio::http_server_t<Traits>>(
        restinio::external_io_context(io), [&](auto& settings) {
          settings.address(listen.host)
              .port(listen.port)
              .max_parallel_connections(kMaxConnections)
              .incoming_http_msg_limits(restinio::incoming_http_msg_limits_t{}
                                            .max_url_size(2048)
                                            .max_field_name_size(256)
                                            .max_field_value_size(8192)
                                            .max_field_count(64)
                                            .max_body_size(4096))
              .read_next_http_message_timelimit(std::chrono::seconds(30))
              .write_http_response_timelimit(std::chrono::seconds(10))
              .handle_request_timeout(std::chrono::seconds(5))
              .acceptor_post_bind_hook([impl](asio::ip::tcp::acceptor& acceptor) {
                impl->port = acceptor.local_endpoint().port();
              })
              .request_handler([impl](const Request& request) { return impl->handle(request); });
        });
    impl->server->open_sync();
  } catch (const std::exception& e) {
    throw std::runtime_error(fmt::format("listen {}:{}: {} (choose another with [web] listen)",
                                         listen.host, listen.port, e.what()));
  }
}

HttpServer::~HttpServer() = default;

std::uint16_t HttpServer::port() const noexcept {
  return impl_->port;
}

void HttpServer::close() {
  if (impl_->server) impl_->server->close_sync();
}

const char* HttpServer::content_security_policy() noexcept {
  return kCsp;
}

}  // namespace enlace::web
