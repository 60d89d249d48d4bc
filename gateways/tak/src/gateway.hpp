// The gateway process: one Enlace client (the gateway's own system, role `gateway`), the
// TAK listeners, and the wiring between them.
//
// Threads:
//  - the Asio thread (run()) owns every socket, session, the registry and the envelope
//    encoder: TAK client events are mapped and published from it;
//  - the SDK's I/O thread runs the subscription handlers: each delivery is mapped to CoT
//    and encoded there (once per event), then posted to the Asio thread for the fan-out.
//    What is posted but not yet fanned out is bounded in bytes (backlog_dropped beyond).
#pragma once

#include <atomic>
#include <memory>
#include <optional>

#include <asio.hpp>
#include <asio/ssl.hpp>

#include "client_registry.hpp"
#include "config.hpp"
#include "counters.hpp"
#include "enlace/enlace.hpp"
#include "stream_session.hpp"
#include "udp_endpoint.hpp"

namespace enlace::tak {

class Gateway {
 public:
  /// Builds the TLS context and binds every listener; no broker connection yet. Fails
  /// with invalid_argument for what cannot be bound or loaded.
  static Result<std::unique_ptr<Gateway>> create(Config config);
  ~Gateway();

  /// Connects to the broker (waiting up to `timeout` for its Welcome) and subscribes.
  Status connect(std::chrono::milliseconds timeout);

  /// Runs the Asio loop on the calling thread until stop().
  void run();
  /// Thread-safe; also what SIGINT and SIGTERM do.
  void stop();

  const Counters& counters() const noexcept { return counters_; }
  /// The ports actually bound (listen port 0 picks a free one), 0 when not configured.
  std::uint16_t tcp_port() const;
  std::uint16_t tls_port() const;
  std::uint16_t udp_port() const;

 private:
  explicit Gateway(Config config);
  void accept_tcp();
  void accept_tls();
  void refuse(Transport transport, asio::ip::tcp::socket& socket, Reason reason, std::size_t bound);
  void on_client_event(const CotEvent& event, const ClientInfo& info, std::uint64_t sink_id);
  void on_delivery(const Delivery& delivery);
  void tick();

  Config config_;
  asio::io_context io_;
  Counters counters_;
  ClientRegistry registry_;
  SessionEnvironment environment_;
  std::optional<asio::ip::tcp::acceptor> tcp_acceptor_;
  std::optional<asio::ip::tcp::acceptor> tls_acceptor_;
  std::shared_ptr<asio::ssl::context> tls_context_;
  std::shared_ptr<UdpEndpoint> udp_;
  asio::steady_timer timer_;
  asio::signal_set signals_;

  std::unique_ptr<Client> client_;
  SessionInfo session_;
  EnvelopeEncoder encoder_;                    // Asio thread only
  std::atomic<std::size_t> backlog_bytes_{0};  // posted to the Asio thread, not yet fanned out
  std::size_t backlog_limit_;
};

}  // namespace enlace::tak
