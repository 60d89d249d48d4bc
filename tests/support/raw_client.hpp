// Test support: a hand-driven DEALER that speaks the wire protocol directly over a real
// CURVE connection, for tests that need what the SDK never does (pipelining thousands of
// requests, never reading, never answering a Ping, several sessions on one key).
//
// Built on the protocol core (frame codec, control-frame builders), like a vendor's client
// would be built from docs/protocol.md. Not thread-safe: one test thread drives it.
#pragma once

#include <zmq.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "broker_process.hpp"
#include "enlace/protocol/control.hpp"
#include "enlace/protocol/frame.hpp"

namespace enlace::test {

using Frame = std::vector<std::uint8_t>;

/// A frame of `command` around `body`.
Frame with_header(wire::Command command, wire::Bytes body, std::uint8_t flags = 0);
Frame hello_frame(std::uint32_t heartbeat_ms = 0);
Frame hello_frame(const protocol::HelloFields& hello);
Frame subscribe_frame(std::uint32_t request_id, std::string_view pattern,
                      wire::Conflation conflation = wire::Conflation::None);
Frame ping_frame(std::uint64_t nonce);
Frame pong_frame(std::uint64_t nonce);
/// A publish frame carrying a Text envelope of about `body_bytes` bytes; its id is stored
/// in `id` when given.
Frame publish_frame(const TestSystem& from, const std::string& topic, std::uint8_t flags = 0,
                    std::size_t body_bytes = 10, wire::Uuid* id = nullptr,
                    std::vector<std::string> releasable_to = {});
/// One batch frame holding `frames` as records.
Frame batch_frame(const std::vector<Frame>& frames);

/// One frame as received, batches unpacked: header and body, verified.
struct Received {
  wire::Command command{};
  Frame bytes;  // the whole inner frame, header included

  const wire::ControlFrame* control() const;  // null unless a control frame
  wire::Control control_type() const;         // Control::NONE unless a control frame
  /// For an Error frame: its code; Errc::ok otherwise.
  Errc error_code() const;
  std::uint32_t request_id() const;      // of an Ack or Error; 0 otherwise
  const wire::Uuid* message_id() const;  // of an Ack or Error; null otherwise
  std::string topic() const;             // of a delivery; empty otherwise
};

struct RawClientOptions {
  /// ZMQ_RCVHWM and ZMQ_RCVBUF: 1 and a few KiB make a peer that stops reading stall at
  /// once, so backpressure reaches the broker instead of the client's own buffers.
  int rcvhwm = 1000;
  int rcvbuf = -1;  // -1: the system default
};

class RawClient {
 public:
  RawClient(const BrokerProcess& broker, const TestSystem& system, RawClientOptions options = {});

  void send(const Frame& frame);
  /// Sends Hello and waits for Welcome (true) or a refusal of it (false, its code in
  /// `refusal`): unsupported_version, revoked or too_many_sessions.
  bool hello(std::uint32_t heartbeat_ms = 0, Errc* refusal = nullptr);
  /// Sends `hello` (resume fields and all) and returns the Welcome; nothing if refused.
  std::optional<Received> hello(const protocol::HelloFields& hello);

  /// Receives frames until `done(frame)` returns true for one of them (true) or `timeout`
  /// passes (false). Every frame received on the way is passed to `done`. A Ping from the
  /// broker is answered when `answer_pings` is set.
  bool read_until(const std::function<bool(const Received&)>& done,
                  std::chrono::milliseconds timeout = std::chrono::seconds(10));
  /// Receives what is already waiting, without blocking; passes each frame to `seen`.
  void read_available(const std::function<void(const Received&)>& seen);

  /// Sends Ping{nonce} and reads until its Pong: every frame the broker sent before the
  /// Pong is passed to `seen`. The marker that proves what did (not) come before it.
  bool marker(std::uint64_t nonce, const std::function<void(const Received&)>& seen = {},
              std::chrono::milliseconds timeout = std::chrono::seconds(10));

  /// Closes the socket at once: the broker sees the TCP connection end.
  void close();

  bool answer_pings = true;
  /// Sees every frame received, before whoever asked for it (e.g. to count errors).
  std::function<void(const Received&)> observer;

 private:
  void unpack(const zmq::message_t& message, std::vector<Received>& out);

  zmq::context_t context_;
  std::optional<zmq::socket_t> socket_;
};

}  // namespace enlace::test
