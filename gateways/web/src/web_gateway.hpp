// The enlace-web process: one Enlace client (the command post's own key: its nation and
// role decide what the page shows), the picture, the HTTP server and every browser.
//
// Threads:
//  - the Asio thread (run()) owns the picture, the HTTP server, every browser and its
//    queue; it pumps the queues every kPumpInterval and expires stale items every second;
//  - the SDK's I/O thread runs the subscription handlers: each delivery is mapped to its
//    JSON item there, then posted to the Asio thread. What is posted and not yet taken is
//    bounded in bytes (backlog_dropped beyond); state changes are posted too.
#pragma once

#include <asio.hpp>
#include <atomic>
#include <map>
#include <memory>

#include "browser_queue.hpp"
#include "config.hpp"
#include "counters.hpp"
#include "enlace/enlace.hpp"
#include "http_server.hpp"
#include "picture.hpp"
#include "static_files.hpp"

namespace enlace::web {

class WebGateway {
 public:
  /// Loads the page's files and binds the HTTP listener; no broker connection yet.
  /// Fails with invalid_argument for what cannot be loaded or bound.
  static Result<std::unique_ptr<WebGateway>> create(Config config);
  ~WebGateway();

  /// Connects to the broker (waiting up to `timeout` for its Welcome) and subscribes to
  /// every pattern with a snapshot of the broker's COP. On the main thread, before run().
  Status connect(std::chrono::milliseconds timeout);
  /// Runs the Asio loop on the calling thread until SIGINT or SIGTERM.
  void run();

  std::uint16_t http_port() const noexcept { return http_->port(); }

 private:
  struct Browser {
    std::shared_ptr<BrowserLink> link;
    BrowserQueue queue;
  };

  explicit WebGateway(Config config, StaticFiles files);
  void on_delivery(const Delivery& delivery);                     // SDK thread
  void on_state(ConnectionState state);                           // SDK thread
  void apply(Item item, bool from_snapshot, std::size_t bytes);   // Asio thread
  void broadcast(const std::string& id, const Json& json);        // Asio thread
  std::uint64_t open_browser(std::shared_ptr<BrowserLink> link);  // Asio thread
  void send_direct(std::uint64_t id, Browser& browser, std::string frame);
  void transmit(std::uint64_t id, Browser& browser, std::string frame);
  void pump();
  void tick();
  std::string state_frame() const;
  std::string status() const;

  Config config_;
  StaticFiles files_;
  asio::io_context io_;
  Counters counters_;
  Picture picture_;
  std::unique_ptr<HttpServer> http_;
  std::map<std::uint64_t, Browser> browsers_;
  std::uint64_t next_browser_ = 0;
  ConnectionState broker_state_ = ConnectionState::connecting;  // Asio thread's view
  asio::steady_timer pump_timer_;
  asio::signal_set signals_;
  std::int64_t last_expiry_ms_ = 0;

  std::unique_ptr<Client> client_;
  SessionInfo session_;                        // set before run(), read-only afterwards
  std::atomic<std::size_t> backlog_bytes_{0};  // posted to the Asio thread, not yet applied
};

}  // namespace enlace::web
