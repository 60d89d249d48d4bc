// A hand-driven peer for black-box tests of what the broker accepts: a DEALER over a real
// CURVE connection that sends frames byte by byte as a vendor's client written from
// docs/protocol.md would, and reads every control frame the broker answers with.
//
// Negative checks follow the marker habit (test_audience.cpp): send the frame under test,
// then a marker request the broker must answer; the broker answers one connection's frames
// in order, so once the marker's answer is in, an answer to the frame under test would
// have arrived before it. No waiting for something not to happen.
//
// Used from the test thread only. Header-only so that each test file stays self-contained.
#pragma once

#include <catch2/catch.hpp>
#include <zmq.hpp>

#include <array>
#include <chrono>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "broker_process.hpp"
#include "enlace/protocol/frame.hpp"

namespace enlace::test::raw {

using Frame = std::vector<std::uint8_t>;

/// `body` behind a frame header.
inline Frame with_header(wire::Command command, wire::Bytes body, std::uint8_t flags = 0) {
  Frame frame(wire::kHeaderSize + body.size());
  wire::write_header(frame.data(), command, flags);
  if (!body.empty()) std::memcpy(frame.data() + wire::kHeaderSize, body.data(), body.size());
  return frame;
}

/// A batch body holding `frames` as records, in order.
inline Frame batch_body(const std::vector<Frame>& frames) {
  Frame body;
  for (const Frame& frame : frames) {
    const std::size_t at = body.size();
    body.resize(at + wire::record_size(frame.size()));
    wire::write_record(body.data() + at, frame);
  }
  return body;
}

/// A control frame around the body finished by `build(fbb)` (which returns the body's
/// offset as Offset<void>).
template <class Build>
Frame control(wire::Control type, Build&& build, std::uint8_t flags = 0) {
  flatbuffers::FlatBufferBuilder fbb;
  const flatbuffers::Offset<void> body = build(fbb);
  fbb.Finish(wire::CreateControlFrame(fbb, type, body), wire::ControlFrameIdentifier());
  return with_header(wire::Command::control, {fbb.GetBufferPointer(), fbb.GetSize()}, flags);
}

inline Frame hello(const std::string& client_name = "raw-test") {
  return control(wire::Control::Hello, [&](flatbuffers::FlatBufferBuilder& fbb) {
    return wire::CreateHelloDirect(fbb, wire::kProtocolVersion, client_name.c_str()).Union();
  });
}

inline Frame subscribe(std::uint32_t request_id, const std::string& pattern,
                       std::uint8_t flags = 0) {
  return control(
      wire::Control::Subscribe,
      [&](flatbuffers::FlatBufferBuilder& fbb) {
        return wire::CreateSubscribeDirect(fbb, request_id, pattern.c_str()).Union();
      },
      flags);
}

inline Frame unsubscribe(std::uint32_t request_id, const std::string& pattern) {
  return control(wire::Control::Unsubscribe, [&](flatbuffers::FlatBufferBuilder& fbb) {
    return wire::CreateUnsubscribeDirect(fbb, request_id, pattern.c_str()).Union();
  });
}

inline Frame ping(std::uint64_t nonce) {
  return control(wire::Control::Ping, [&](flatbuffers::FlatBufferBuilder& fbb) {
    return wire::CreatePing(fbb, nonce, 0).Union();
  });
}

/// A category of a label, as a raw publisher writes it.
struct Category {
  std::string name;
  std::int8_t type = 0;  // wire::CategoryType, or any other byte
  std::vector<std::string> values;
};

/// The label of a raw envelope; every field as written on the wire, out-of-range values
/// included.
struct Label {
  std::optional<std::string> policy_identifier;
  std::int8_t classification = 0;
  std::vector<std::string> releasable_to;
  std::vector<Category> categories;
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
  std::optional<Label> label;
  wire::Uuid id{};  // all zero: a fresh one derived from a counter
};

/// The envelope bytes (identifier "ENV1") for `spec`; its id in `id_out` if given.
inline Frame envelope(const EnvelopeSpec& spec, wire::Uuid* id_out = nullptr) {
  static std::uint64_t counter = 0;
  flatbuffers::FlatBufferBuilder fbb;
  const auto topic = fbb.CreateString(spec.topic);
  const auto origin = wire::CreateOriginDirect(fbb, spec.nation.c_str(), spec.system.c_str());
  const auto payload = wire::CreateTextDirect(fbb, spec.text.c_str()).Union();
  flatbuffers::Offset<wire::ConfidentialityLabel> label;
  if (spec.label) {
    const Label& l = *spec.label;
    std::vector<flatbuffers::Offset<wire::Category>> categories;
    for (const Category& c : l.categories) {
      std::vector<flatbuffers::Offset<flatbuffers::String>> values;
      for (const auto& v : c.values) values.push_back(fbb.CreateString(v));
      categories.push_back(wire::CreateCategory(fbb, fbb.CreateString(c.name),
                                                static_cast<wire::CategoryType>(c.type),
                                                fbb.CreateVector(values)));
    }
    std::vector<flatbuffers::Offset<flatbuffers::String>> nations;
    for (const auto& n : l.releasable_to) nations.push_back(fbb.CreateString(n));
    label = wire::CreateConfidentialityLabel(
        fbb, l.policy_identifier ? fbb.CreateString(*l.policy_identifier) : 0,
        static_cast<wire::Classification>(l.classification),
        l.releasable_to.empty() ? 0 : fbb.CreateVector(nations),
        categories.empty() ? 0 : fbb.CreateVector(categories));
  }
  wire::Uuid id = spec.id;
  if (id.hi() == 0 && id.lo() == 0) id = wire::Uuid(0x5241570000000000ULL, ++counter);
  wire::EnvelopeBuilder builder(fbb);
  builder.add_id(&id);
  builder.add_origin(origin);
  builder.add_topic(topic);
  if (!label.IsNull()) builder.add_label(label);
  builder.add_payload_type(static_cast<wire::Payload>(spec.payload_type));
  builder.add_payload(payload);
  fbb.Finish(builder.Finish(), wire::EnvelopeIdentifier());
  if (id_out) *id_out = id;
  return Frame(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
}

inline Frame publish(const EnvelopeSpec& spec, std::uint8_t flags = wire::flag::ack_requested,
                     wire::Uuid* id_out = nullptr) {
  return with_header(wire::Command::publish, envelope(spec, id_out), flags);
}

/// One control frame the broker sent, copied out of its frame, with the fields the tests
/// look at.
struct Answer {
  wire::Control type = wire::Control::NONE;
  Errc code = Errc::ok;  // Error only
  std::string reason;    // Error only
  std::uint32_t request_id = 0;
  std::optional<wire::Uuid> message_id;
  std::uint64_t sequence = 0;  // Ack only
};

class RawClient {
 public:
  RawClient(const BrokerProcess& broker, const TestSystem& system)
      : context_(1), socket_(context_, zmq::socket_type::dealer) {
    socket_.set(zmq::sockopt::curve_serverkey, broker.public_key());
    socket_.set(zmq::sockopt::curve_publickey, system.keys.public_key);
    socket_.set(zmq::sockopt::curve_secretkey, system.keys.secret_key);
    socket_.set(zmq::sockopt::linger, 0);
    socket_.connect(broker.endpoint());
  }

  void send(const Frame& frame) { socket_.send(zmq::buffer(frame), zmq::send_flags::none); }
  /// Sends without blocking; false when the socket's queue is full.
  bool try_send(const Frame& frame) {
    return socket_.send(zmq::buffer(frame), zmq::send_flags::dontwait).has_value();
  }

  /// The control frames that have arrived by now, without waiting.
  std::vector<Answer> drain() {
    receive(0);
    std::vector<Answer> answers;
    answers.swap(pending_);
    return answers;
  }

  /// The next control frame the broker sent (deliveries skipped), within 10 s.
  std::optional<Answer> next() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (pending_.empty() && std::chrono::steady_clock::now() < deadline) receive(200);
    if (pending_.empty()) return std::nullopt;
    Answer answer = pending_.front();
    pending_.erase(pending_.begin());
    return answer;
  }

  /// Every control frame up to and including the first for which `stop(answer)` holds;
  /// empty when none came within 10 s.
  template <class Stop>
  std::vector<Answer> until(Stop&& stop) {
    std::vector<Answer> seen;
    while (auto answer = next()) {
      seen.push_back(*answer);
      if (stop(*answer)) return seen;
    }
    return {};
  }

  /// Every control frame up to the Ack for `request_id`, which the test uses as a marker.
  std::vector<Answer> until_ack(std::uint32_t request_id) {
    return until([&](const Answer& a) {
      return a.type == wire::Control::Ack && a.request_id == request_id;
    });
  }

  /// The next Error frame (other control frames skipped).
  std::optional<Answer> next_error() {
    const auto seen = until([](const Answer& a) { return a.type == wire::Control::Error; });
    if (seen.empty()) return std::nullopt;
    return seen.back();
  }

  void hello(const std::string& client_name = "raw-test") {
    send(raw::hello(client_name));
    const auto seen = until([](const Answer& a) {
      return a.type == wire::Control::Welcome || a.type == wire::Control::Error;
    });
    REQUIRE_FALSE(seen.empty());
    REQUIRE(seen.back().type == wire::Control::Welcome);
  }

  /// A marker: a Ping's answer arrives after the answers to every frame sent before it.
  /// Returns the control frames that came before the Pong.
  std::vector<Answer> until_pong() {
    const std::uint64_t nonce = ++nonce_;
    send(ping(nonce));
    return until([](const Answer& a) { return a.type == wire::Control::Pong; });
  }

 private:
  void receive(int timeout_ms) {
    zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(timeout_ms));
    if (!(item.revents & ZMQ_POLLIN)) return;
    zmq::message_t message;
    while (socket_.recv(message, zmq::recv_flags::dontwait)) {
      // A copy: ZeroMQ keeps small frames inline, not 8-byte aligned.
      std::vector<std::uint64_t> storage((message.size() + 7) / 8);
      std::memcpy(storage.data(), message.data(), message.size());
      const wire::Bytes bytes{reinterpret_cast<const std::uint8_t*>(storage.data()),
                              message.size()};
      wire::FrameView view;
      REQUIRE(wire::parse_frame(bytes, view) == Errc::ok);
      if (view.command != wire::Command::batch) {
        take(view);
        continue;
      }
      wire::BatchReader reader(view.body);
      wire::FrameView inner;
      while (!reader.done()) {
        REQUIRE(reader.next(inner) == Errc::ok);
        take(inner);
      }
    }
  }

  void take(const wire::FrameView& view) {
    if (view.command != wire::Command::control) return;
    REQUIRE(wire::verify_body(view) == Errc::ok);
    const wire::ControlFrame& control = *wire::control_of(view);
    Answer answer;
    answer.type = control.body_type();
    if (const auto* error = control.body_as_Error()) {
      answer.code = static_cast<Errc>(error->code());
      answer.reason = error->reason() ? error->reason()->str() : "";
      answer.request_id = error->request_id();
      if (error->message_id()) answer.message_id = *error->message_id();
    } else if (const auto* ack = control.body_as_Ack()) {
      answer.request_id = ack->request_id();
      if (ack->message_id()) answer.message_id = *ack->message_id();
      answer.sequence = ack->sequence();
    }
    pending_.push_back(std::move(answer));
  }

  zmq::context_t context_;
  zmq::socket_t socket_;
  std::vector<Answer> pending_;
  std::uint64_t nonce_ = 0;
};

inline bool same_id(const wire::Uuid& a, const wire::Uuid& b) {
  return a.hi() == b.hi() && a.lo() == b.lo();
}

/// Whether any of `answers` is an Error with `code`.
inline bool has_error(const std::vector<Answer>& answers, Errc code) {
  for (const Answer& a : answers) {
    if (a.type == wire::Control::Error && a.code == code) return true;
  }
  return false;
}

}  // namespace enlace::test::raw
