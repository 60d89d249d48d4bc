// One streaming TAK client (TCP 8087 or TLS 8089), as TAK Server serves it: the gateway
// offers TAK Protocol version 1 (t-x-takp-v), answers the client's request and pings,
// cuts what the client sends into events, and writes the bus picture to it from a send
// queue bounded in bytes (what does not fit is dropped and counted as send_queue_full,
// so a slow client never holds up the others or the gateway).
//
// Threads: a session lives on the Asio thread (the io_context runs on one thread); its
// handlers, deliver() and close() run there only.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include <asio.hpp>
#include <asio/ssl.hpp>

#include "client_registry.hpp"
#include "config.hpp"
#include "cot_event.hpp"
#include "counters.hpp"
#include "stream_decoder.hpp"

namespace enlace::tak {

/// Who a client is, as far as the gateway knows.
struct ClientInfo {
  Transport transport = Transport::tcp;
  std::string remote;                 // address:port
  std::string certificate_cn;         // TLS only: the client certificate's subject CN
  const UnitMapping* unit = nullptr;  // the configuration's mapping of that CN, if any
};

/// What every session shares; owned by the Gateway, outlives the sessions.
struct SessionEnvironment {
  Counters& counters;
  ClientRegistry& registry;
  const Config& config;  // max_event_bytes, client_queue_bytes, uid, units
  /// A client's event that is not a stream control event, for the bus.
  std::function<void(const CotEvent&, const ClientInfo&, std::uint64_t sink_id)> on_event;
};

/// A new, process-unique sink id.
std::uint64_t next_sink_id() noexcept;

/// Milliseconds since the Unix epoch, UTC.
std::int64_t now_ms() noexcept;

template <class Stream>
class StreamSession final : public Sink,
                            public std::enable_shared_from_this<StreamSession<Stream>> {
 public:
  StreamSession(Stream stream, ClientInfo info, SessionEnvironment& environment);

  /// Runs the TLS handshake first for a TLS stream (bounded by [tls] handshake_timeout_ms,
  /// counted in Counters::handshaking() while it runs), then opens the session.
  void start();

  std::uint64_t sink_id() const noexcept override { return id_; }
  void deliver(const std::shared_ptr<const OutEvent>& event) override;

 private:
  void open();
  void handshake_timed_out();
  void read();
  void handle(const std::string& bytes);
  void send_control(const CotEvent& event);
  void enqueue(std::shared_ptr<const OutEvent> event, const std::string* bytes);
  void write();
  void close(std::string_view why);

  Stream stream_;
  ClientInfo info_;
  SessionEnvironment& env_;
  std::uint64_t id_;
  StreamDecoder decoder_;
  Protocol protocol_ = Protocol::xml;
  bool open_ = false;
  bool closed_ = false;
  std::string verify_error_;                      // TLS: why the client certificate was refused
  Reason refusal_ = Reason::certificate_refused;  // TLS: and under which reason
  asio::steady_timer handshake_timer_;            // TLS: ends a handshake that takes too long
  bool handshake_ended_ = false;                  // TLS: completed, failed or timed out

  std::array<char, 16 * 1024> read_buffer_{};
  struct Queued {
    std::shared_ptr<const OutEvent> event;  // keeps `bytes` alive
    const std::string* bytes;
  };
  std::deque<Queued> queue_;
  std::size_t queued_bytes_ = 0;
  std::size_t writing_ = 0;  // entries at the front of queue_ in the current async_write
  std::vector<asio::const_buffer> buffers_;
};

using TcpSession = StreamSession<asio::ip::tcp::socket>;
using TlsSession = StreamSession<asio::ssl::stream<asio::ip::tcp::socket>>;

}  // namespace enlace::tak
