// What the SDK does with an Error whose code it does not know (one a later version appended
// to the table): it takes it as a refusal of what the ids name, or of the session without
// ids, reports the number and the reason as they came, takes the retry decision from the
// frame's retryable field, and keeps its session (docs/protocol.md 8.1). A real broker never
// sends such a code, so a stand-in sends it: a ROUTER with CURVE that the test drives frame
// by frame.
#include <catch2/catch.hpp>

#include <zmq.hpp>

#include <algorithm>
#include <deque>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "broker_process.hpp"
#include "enlace/protocol/control.hpp"
#include "raw_client.hpp"

using namespace enlace;
using namespace enlace::test;

namespace {

// Past every range of the table (docs/protocol.md 8.3): a code from a later version.
constexpr auto kUnknown = static_cast<Errc>(4242);
constexpr std::uint64_t kSessionId = 77;

// A broker's stand-in on a free loopback port. Accepts any client key (no ZAP handler) and
// serves one client; answers the client's Pings so that its liveness holds. One thread.
class FakeBroker {
 public:
  FakeBroker() : socket_(context_, zmq::socket_type::router), keys_(generate_keypair()) {
    socket_.set(zmq::sockopt::curve_server, 1);
    socket_.set(zmq::sockopt::curve_secretkey, keys_.secret_key);
    socket_.set(zmq::sockopt::linger, 0);
    socket_.bind("tcp://127.0.0.1:*");
    endpoint_ = socket_.get(zmq::sockopt::last_endpoint);
  }

  ClientOptions options(const KeyPair& keys) const {
    ClientOptions o;
    o.endpoint = endpoint_;
    o.broker_public_key = keys_.public_key;
    o.keys = keys;
    o.client_name = "enlace-tests/unknown-codes";
    o.heartbeat = 200ms;  // a refused Hello is asked again after one heartbeat
    o.reconnect_min = 50ms;
    o.reconnect_max = 500ms;
    return o;
  }

  /// Passes every frame from the client to `done`, in order, until it returns true for one.
  bool read_until(const std::function<bool(const Received&)>& done,
                  std::chrono::milliseconds timeout = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      while (!pending_.empty()) {
        const Received frame = std::move(pending_.front());
        pending_.pop_front();
        if (done(frame)) return true;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, left);
      if (!(item.revents & ZMQ_POLLIN)) continue;
      zmq::message_t routing_id, message;
      (void)socket_.recv(routing_id);
      (void)socket_.recv(message);
      peer_ = routing_id.to_string();
      for (Received& r :
           unpack_frames({static_cast<const std::uint8_t*>(message.data()), message.size()})) {
        if (r.control_type() == wire::Control::Ping) {
          send(pong_frame(r.control()->body_as_Ping()->nonce()));
          continue;
        }
        pending_.push_back(std::move(r));
      }
    }
  }

  /// To the client whose frame came last.
  void send(const Frame& frame) {
    socket_.send(zmq::buffer(peer_), zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(frame), zmq::send_flags::none);
  }

  /// Waits for the client's Hello.
  bool hello() {
    return read_until([](const Received& r) { return r.control_type() == wire::Control::Hello; });
  }

  void welcome() {
    flatbuffers::FlatBufferBuilder fbb;
    protocol::WelcomeFields fields;
    fields.broker_id = "fake";
    fields.nation = "COL";
    fields.system = "col-cp";
    fields.role = "command_post";
    fields.max_message_bytes = 65536;
    fields.session_id = kSessionId;
    protocol::build_welcome(fbb, fields);
    send(with_header(wire::Command::control, {fbb.GetBufferPointer(), fbb.GetSize()}));
  }

  /// The marker (test_audience.cpp's habit): sends Ping{nonce}; the client answers it in
  /// order, so the frames it sent before its Pong are every reaction to what came before.
  std::optional<std::vector<Received>> marker(std::uint64_t nonce) {
    send(ping_frame(nonce));
    std::vector<Received> before;
    const bool ponged = read_until([&](const Received& r) {
      if (r.control_type() == wire::Control::Pong && r.control()->body_as_Pong()->nonce() == nonce)
        return true;
      before.push_back(r);
      return false;
    });
    if (!ponged) return std::nullopt;
    return before;
  }

 private:
  zmq::context_t context_{1};
  zmq::socket_t socket_;
  KeyPair keys_;
  std::string endpoint_;
  std::string peer_;
  std::deque<Received> pending_;
};

Frame error_frame(Errc code, const std::string& reason, std::uint32_t request_id = 0,
                  const wire::Uuid* message_id = nullptr, bool retryable = false) {
  return control_frame(wire::Control::Error, [&](flatbuffers::FlatBufferBuilder& fbb) {
    return wire::CreateErrorDirect(fbb, static_cast<std::uint16_t>(code), reason.c_str(),
                                   request_id, message_id, retryable)
        .Union();
  });
}

// What the client reported to on_error, for the test thread.
struct Reported {
  std::mutex mutex;
  std::vector<ErrorInfo> errors;
  std::function<void(const ErrorInfo&)> handler() {
    return [this](const ErrorInfo& e) {
      std::lock_guard lock(mutex);
      errors.push_back(e);
    };
  }
  std::optional<ErrorInfo> find(Errc code) {
    std::lock_guard lock(mutex);
    for (const ErrorInfo& e : errors)
      if (e.code == code) return e;
    return std::nullopt;
  }
};

bool is_hello(const Received& r) {
  return r.control_type() == wire::Control::Hello;
}

}  // namespace

TEST_CASE("an Error code the SDK does not know is reported as it came and keeps the session",
          "[integration][client][errors]") {
  FakeBroker broker;
  Reported reported;
  auto options = broker.options(generate_keypair());
  options.on_error = reported.handler();
  Client client(options);
  REQUIRE(broker.hello());
  broker.welcome();
  REQUIRE(client.wait_connected(10s).ok());

  SECTION("without ids, about the session: reported, nothing else") {
    broker.send(error_frame(kUnknown, "a notice from a later version"));
    REQUIRE(eventually([&] { return reported.find(kUnknown).has_value(); }));
    CHECK(reported.find(kUnknown)->reason == "a notice from a later version");
  }

  SECTION("answering a Subscribe: that subscribe() fails with the code and the reason") {
    auto subscribed =
        std::async(std::launch::async, [&] { return client.subscribe("text.>", [](auto&) {}); });
    std::uint32_t request_id = 0;
    REQUIRE(broker.read_until([&](const Received& r) {
      if (r.control_type() != wire::Control::Subscribe) return false;
      request_id = r.control()->body_as_Subscribe()->request_id();
      return true;
    }));
    broker.send(error_frame(kUnknown, "refused for a later reason", request_id));
    REQUIRE(subscribed.wait_for(10s) == std::future_status::ready);
    const auto result = subscribed.get();
    REQUIRE_FALSE(result.ok());
    CHECK(result.code() == kUnknown);
    CHECK(result.error().reason == "refused for a later reason");

    // The next request is served as ever.
    auto again =
        std::async(std::launch::async, [&] { return client.subscribe("alert.>", [](auto&) {}); });
    REQUIRE(broker.read_until([&](const Received& r) {
      if (r.control_type() != wire::Control::Subscribe) return false;
      request_id = r.control()->body_as_Subscribe()->request_id();
      return true;
    }));
    flatbuffers::FlatBufferBuilder fbb;
    protocol::build_ack(fbb, request_id, nullptr, 0, 0);
    broker.send(with_header(wire::Command::control, {fbb.GetBufferPointer(), fbb.GetSize()}));
    REQUIRE(again.wait_for(10s) == std::future_status::ready);
    CHECK(again.get().ok());
  }

  SECTION("answering an acknowledged publish: its handler gets the code and the reason") {
    std::promise<Result<PublishAck>> answer;
    auto answered = answer.get_future();
    const auto id = client.publish_with_ack(
        "text.COL.later",
        [](flatbuffers::FlatBufferBuilder& fbb) { return wire::CreateTextDirect(fbb, "x"); },
        [&](const Result<PublishAck>& result) { answer.set_value(result); });
    REQUIRE(id.ok());
    REQUIRE(broker.read_until([&](const Received& r) {
      if (r.command != wire::Command::publish) return false;
      wire::FrameView view;
      REQUIRE(wire::parse_frame(r.bytes, view) == Errc::ok);
      CHECK(same_id(*wire::envelope_of(view)->id(), *id));
      return true;
    }));
    broker.send(error_frame(kUnknown, "not accepted for a later reason", 0, &*id));
    REQUIRE(answered.wait_for(10s) == std::future_status::ready);
    const auto result = answered.get();
    REQUIRE_FALSE(result.ok());
    CHECK(result.code() == kUnknown);
    CHECK(result.error().reason == "not accepted for a later reason");
  }

  // The session goes on: no new Hello came before the marker, nor a reconnection.
  const auto before_marker = broker.marker(1);
  REQUIRE(before_marker.has_value());
  CHECK(std::none_of(before_marker->begin(), before_marker->end(), is_hello));
  CHECK(client.state() == ConnectionState::connected);
  CHECK(client.session().session_id == kSessionId);
  CHECK(client.stats().reconnects == 0);
}

TEST_CASE("a Hello refused with a code the SDK does not know is asked again when retryable",
          "[integration][client][errors]") {
  FakeBroker broker;
  Reported reported;
  auto options = broker.options(generate_keypair());
  options.on_error = reported.handler();
  Client client(options);
  REQUIRE(broker.hello());
  // The frame's retryable field is the sender's word for a code the receiver lacks.
  broker.send(error_frame(kUnknown, "not now, for a later reason", 0, nullptr, true));
  REQUIRE(eventually([&] { return reported.find(kUnknown).has_value(); }));
  CHECK(reported.find(kUnknown)->reason == "not now, for a later reason");
  CHECK(client.state() != ConnectionState::connected);

  // After its back-off (one heartbeat, 200 ms here) the client asks again, on the same
  // connection, and the session opens.
  REQUIRE(broker.hello());
  broker.welcome();
  REQUIRE(client.wait_connected(10s).ok());
  CHECK(client.session().session_id == kSessionId);
  CHECK(client.stats().reconnects == 0);
}
