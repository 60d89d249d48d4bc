// Test support: a hand-driven DEALER that speaks the wire protocol byte by byte over a real
// CURVE connection, as a vendor's client written from docs/protocol.md would — for tests of
// what the SDK never does (hostile or malformed frames, pipelining thousands of requests,
// never reading, never answering a Ping, several sessions on one key).
//
// Negative checks follow the marker habit (test_audience.cpp): send the frame under test,
// then a marker request the broker must answer (a Ping, or a Subscribe's Ack); the broker
// answers one connection's frames in order, so once the marker's answer is in, an answer to
// the frame under test would have arrived before it. No waiting for something not to happen.
//
// Not thread-safe: one test thread drives a RawClient.
#pragma once

#include <zmq.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "broker_process.hpp"
#include "enlace/protocol/control.hpp"
#include "enlace/protocol/frame.hpp"

namespace enlace::test {

using Frame = std::vector<std::uint8_t>;

// --- frames -----------------------------------------------------------------------------

/// `body` behind a frame header.
Frame with_header(wire::Command command, wire::Bytes body, std::uint8_t flags = 0);
/// A batch body holding `frames` as records, in order.
Frame batch_body(const std::vector<Frame>& frames);
/// One batch frame holding `frames` as records.
Frame batch_frame(const std::vector<Frame>& frames, std::uint8_t flags = 0);

/// A control frame of `type` around the body that `build(fbb)` returns as Offset<void>:
/// any body under any type tag, as a hostile peer may send.
template <class Build>
Frame control_frame(wire::Control type, Build&& build, std::uint8_t flags = 0) {
  flatbuffers::FlatBufferBuilder fbb;
  const flatbuffers::Offset<void> body = build(fbb);
  fbb.Finish(wire::CreateControlFrame(fbb, type, body), wire::ControlFrameIdentifier());
  return with_header(wire::Command::control, {fbb.GetBufferPointer(), fbb.GetSize()}, flags);
}

Frame hello_frame(std::uint32_t heartbeat_ms = 0);
Frame hello_frame(const protocol::HelloFields& hello);
Frame subscribe_frame(std::uint32_t request_id, std::string_view pattern,
                      wire::Conflation conflation = wire::Conflation::None, std::uint8_t flags = 0);
Frame unsubscribe_frame(std::uint32_t request_id, std::string_view pattern);
Frame ping_frame(std::uint64_t nonce);
Frame pong_frame(std::uint64_t nonce);

/// A publish frame from `from` carrying a Text envelope of about `body_bytes` bytes, made
/// with the SDK's encoder; its id is stored in `id` when given.
Frame publish_frame(const TestSystem& from, const std::string& topic, std::uint8_t flags = 0,
                    std::size_t body_bytes = 10, wire::Uuid* id = nullptr,
                    std::vector<std::string> releasable_to = {});

// --- envelopes written field by field --------------------------------------------------

/// A category of a label, as a raw publisher writes it.
struct RawCategory {
  std::string name;
  std::int8_t type = 0;  // wire::CategoryType, or any other byte
  std::vector<std::string> values;
};

/// The label of a raw envelope; every field as written on the wire, out-of-range values
/// included.
struct RawLabel {
  std::optional<std::string> policy_identifier;
  std::int8_t classification = 0;
  std::vector<std::string> releasable_to;
  std::vector<RawCategory> categories;
};

/// Everything a raw envelope holds. `payload_type` may be any byte: NONE, or a type a
/// newer schema would define (the payload is then a Text table, which this peer's schema
/// has no name for under that tag).
struct EnvelopeSpec {
  EnvelopeSpec(std::string system_id, std::string topic_name, std::string nation_code = "COL")
      : nation(std::move(nation_code)),
        system(std::move(system_id)),
        topic(std::move(topic_name)) {}

  std::string nation;
  std::string system;
  std::string topic;
  std::uint8_t payload_type = static_cast<std::uint8_t>(wire::Payload::Text);
  std::string text = "raw";
  std::optional<RawLabel> label;
  wire::Uuid id{};  // all zero: a fresh one derived from a counter
};

/// The envelope bytes (identifier "ENV1") for `spec`; its id in `id_out` if given.
Frame envelope_bytes(const EnvelopeSpec& spec, wire::Uuid* id_out = nullptr);
/// A publish frame around envelope_bytes(spec).
Frame publish_frame(const EnvelopeSpec& spec, std::uint8_t flags = 0, wire::Uuid* id_out = nullptr);

// --- what the broker sends --------------------------------------------------------------

/// One frame as received, batches unpacked: a verified, 8-byte aligned copy of the inner
/// frame, header included, with accessors for the fields the tests look at.
struct Received {
  wire::Command command{};
  Frame bytes;

  const wire::ControlFrame* control() const;  // null unless a control frame
  wire::Control control_type() const;         // Control::NONE unless a control frame
  Errc error_code() const;                    // of an Error frame; Errc::ok otherwise
  std::string reason() const;                 // of an Error frame; empty otherwise
  std::uint32_t request_id() const;           // of an Ack or Error; 0 otherwise
  const wire::Uuid* message_id() const;       // of an Ack or Error; null otherwise
  std::uint64_t sequence() const;             // of an Ack; 0 otherwise
  std::string topic() const;                  // of a delivery; empty otherwise
};

/// The frames of one ZeroMQ message as received, batches unpacked; what does not parse or
/// verify is left out.
std::vector<Received> unpack_frames(wire::Bytes message);

bool same_id(const wire::Uuid& a, const wire::Uuid& b);
/// Whether any of `frames` is an Error with `code`.
bool has_error(const std::vector<Received>& frames, Errc code);

struct RawClientOptions {
  /// ZMQ_RCVHWM and ZMQ_RCVBUF: 1 and a few KiB make a peer that stops reading stall at
  /// once, so backpressure reaches the broker instead of the client's own buffers.
  int rcvhwm = 1000;
  int rcvbuf = -1;  // -1: the system default
  /// ZMQ_SNDHWM: 0 (unbounded) lets the test decide how much it sends; a bound makes
  /// try_send() report a full queue.
  int sndhwm = 0;
};

class RawClient {
 public:
  RawClient(const BrokerProcess& broker, const TestSystem& system, RawClientOptions options = {});

  void send(const Frame& frame);
  /// Sends without blocking; false when the socket's queue is full.
  bool try_send(const Frame& frame);
  /// Two frames as the parts of one ZeroMQ message (which the protocol does not allow).
  void send_multipart(const Frame& first, const Frame& second);

  /// Sends Hello and waits for Welcome (true) or a refusal of it (false, its code in
  /// `refusal`): unsupported_version, revoked or too_many_sessions.
  bool hello(std::uint32_t heartbeat_ms = 0, Errc* refusal = nullptr);
  /// Sends `hello` (resume fields and all) and returns the Welcome; nothing if refused.
  std::optional<Received> hello(const protocol::HelloFields& hello);

  /// Passes every frame received to `done`, in order, until it returns true for one (true)
  /// or `timeout` passes (false). Frames that arrived after that one in the same batch
  /// stay for the next call. A Ping from the broker is answered when `answer_pings` is set.
  bool read_until(const std::function<bool(const Received&)>& done,
                  std::chrono::milliseconds timeout = std::chrono::seconds(10));
  /// Passes what has arrived by now to `seen`, without blocking.
  void read_available(const std::function<void(const Received&)>& seen);

  /// The control frames received up to and including the first for which `stop` holds
  /// (deliveries skipped); empty when none came within 10 s.
  std::vector<Received> until(const std::function<bool(const Received&)>& stop);
  /// The next control frame, within 10 s.
  std::optional<Received> next();
  /// The next Error frame, within 10 s; a frame of Control::NONE (error_code() ok) if none.
  Received next_error();
  /// The control frames up to the Ack for `request_id`, which the test uses as a marker.
  std::vector<Received> until_ack(std::uint32_t request_id);
  /// Sends a Ping and returns the control frames up to and including its Pong; empty if
  /// the Pong did not come within 10 s.
  std::vector<Received> until_pong();
  /// The control frames that have arrived by now, without waiting.
  std::vector<Received> drain();

  /// Sends Ping{nonce} and reads until its Pong: every frame the broker sent before the
  /// Pong (deliveries included) is passed to `seen`.
  bool marker(std::uint64_t nonce, const std::function<void(const Received&)>& seen = {},
              std::chrono::milliseconds timeout = std::chrono::seconds(10));

  /// Closes the socket at once: the broker sees the TCP connection end.
  void close();

  bool answer_pings = true;
  /// Sees every frame received, before whoever asked for it (e.g. to count errors).
  std::function<void(const Received&)> observer;

 private:
  /// Receives one message if one arrives within `timeout` and queues its frames.
  void receive(std::chrono::milliseconds timeout);
  void unpack(const zmq::message_t& message);

  zmq::context_t context_;
  std::optional<zmq::socket_t> socket_;
  std::deque<Received> pending_;  // received, not yet passed to a caller
  std::uint64_t nonce_ = 0;       // of until_pong()'s Pings
};

}  // namespace enlace::test
