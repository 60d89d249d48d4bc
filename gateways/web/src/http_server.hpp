// enlace-web's HTTP and WebSocket server: the page's files, GET /status, and /ws, where
// each browser gets the picture. The only header that hides RESTinio (http_server.cpp is
// the one file that includes it; it is heavy to compile).
//
// Threads: everything runs on the io_context given to the constructor (the Asio thread);
// every handler is called there, and BrowserLink may only be used there.
//
// Security: browsers are not authenticated. A WebSocket upgrade is accepted only from a
// page of this server (its Origin header must name the Host it asked for), so another web
// site open in the operator's browser cannot read the picture. Every response carries a
// Content-Security-Policy that allows this origin only.
#pragma once

#include <asio.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/config.hpp"
#include "static_files.hpp"

namespace enlace::web {

/// One browser's WebSocket, as the gateway sees it.
class BrowserLink {
 public:
  virtual ~BrowserLink() = default;
  /// Queues a text frame; `on_written` runs once the socket has taken it (or failed).
  virtual void send(std::string frame, std::function<void()> on_written) = 0;
  /// Closes the connection at once, dropping what is unsent.
  virtual void close() = 0;
  virtual const std::string& remote() const = 0;
};

struct HttpHandlers {
  std::function<std::string()> status;  // the body of GET /status
  /// A browser connected; returns its id, or 0 to refuse it (too many).
  std::function<std::uint64_t(std::shared_ptr<BrowserLink>)> on_open;
  std::function<void(std::uint64_t id)> on_close;
  /// The page sent a text or binary frame: this version reads none.
  std::function<void(std::uint64_t id)> on_ignored;
  std::function<void(bool found)> on_request;  // every HTTP request, for the counters
};

class HttpServer {
 public:
  /// Binds `listen` (port 0: any free port); throws std::runtime_error naming the address
  /// when it cannot.
  HttpServer(asio::io_context& io, const gateway::Endpoint& listen, const StaticFiles& files,
             HttpHandlers handlers);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  std::uint16_t port() const noexcept;
  /// Stops accepting; on the Asio thread (the gateway closes its browsers' links).
  void close();

  /// The Content-Security-Policy header value every response carries.
  static const char* content_security_policy() noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace enlace::web
