// Black-box: raw, hostile frames sent over an authenticated CURVE connection. Each gets
// its specific error, and the broker keeps serving everyone else.
#include <catch2/catch.hpp>
#include <zmq.hpp>

#include <cstring>
#include <fstream>
#include <iterator>

#include "broker_process.hpp"
#include "enlace/protocol/frame.hpp"

using namespace enlace;
using namespace enlace::test;

namespace {

using Frame = std::vector<std::uint8_t>;

Frame with_header(wire::Command command, wire::Bytes body, std::uint8_t flags = 0) {
  Frame frame(wire::kHeaderSize + body.size());
  wire::write_header(frame.data(), command, flags);
  if (!body.empty()) std::memcpy(frame.data() + wire::kHeaderSize, body.data(), body.size());
  return frame;
}

Frame hello_frame() {
  flatbuffers::FlatBufferBuilder fbb;
  auto hello = wire::CreateHelloDirect(fbb, wire::kProtocolVersion, "raw-test");
  fbb.Finish(wire::CreateControlFrame(fbb, wire::Control::Hello, hello.Union()),
             wire::ControlFrameIdentifier());
  return with_header(wire::Command::control, {fbb.GetBufferPointer(), fbb.GetSize()});
}

Frame text_envelope(const std::string& nation, const std::string& system, const std::string& topic,
                    std::size_t body_bytes = 10) {
  EnvelopeEncoder builder;
  auto text = wire::CreateTextDirect(builder.fbb(), std::string(body_bytes, 'x').c_str());
  builder.finish(topic, {nation, system}, text, {});
  return Frame(builder.bytes().begin(), builder.bytes().end());
}

/// A hand-driven DEALER speaking the wire protocol directly.
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
  void send_multipart(const Frame& a, const Frame& b) {
    socket_.send(zmq::buffer(a), zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(b), zmq::send_flags::none);
  }

  /// Waits for the next control frame of the given type (skipping others), up to 10 s.
  /// Returns its copy, or nothing on timeout.
  std::optional<Frame> next_control(wire::Control type) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, 200ms);
      if (!(item.revents & ZMQ_POLLIN)) continue;
      zmq::message_t message;
      (void)socket_.recv(message);
      Frame bytes(static_cast<const std::uint8_t*>(message.data()),
                  static_cast<const std::uint8_t*>(message.data()) + message.size());
      std::vector<Frame> frames;
      wire::FrameView view;
      REQUIRE(wire::parse_frame(bytes, view) == Errc::ok);
      if (view.command == wire::Command::batch) {
        wire::BatchReader reader(view.body);
        wire::FrameView inner;
        while (!reader.done() && reader.next(inner) == Errc::ok) {
          frames.emplace_back(inner.body.begin(), inner.body.end());
          frames.back().insert(frames.back().begin(), wire::kHeaderSize, 0);
          wire::write_header(frames.back().data(), inner.command);
        }
      } else {
        frames.push_back(bytes);
      }
      for (auto& f : frames) {
        wire::FrameView v;
        if (wire::parse_frame(f, v) != Errc::ok || v.command != wire::Command::control) continue;
        if (wire::verify_body(v) != Errc::ok) continue;
        if (wire::control_of(v)->body_type() == type) return f;
      }
    }
    return std::nullopt;
  }

  /// The code of the next Error frame, or 0 on timeout.
  Errc next_error() {
    const auto frame = next_control(wire::Control::Error);
    if (!frame) return Errc::ok;
    wire::FrameView view;
    (void)wire::parse_frame(*frame, view);
    return static_cast<Errc>(wire::control_of(view)->body_as_Error()->code());
  }

  void hello() {
    send(hello_frame());
    REQUIRE(next_control(wire::Control::Welcome).has_value());
  }

 private:
  zmq::context_t context_;
  zmq::socket_t socket_;
};

struct Fixture {
  TestCoalition coalition;
  std::unique_ptr<BrokerProcess> broker;
  std::unique_ptr<Client> bystander_pub, bystander_sub;
  Inbox inbox;
  Fixture() {
    coalition.add("col-raw", "COL", "command_post");
    coalition.add("col-cp", "COL", "command_post");
    coalition.add("ecu-cp", "ECU", "command_post");
    broker = std::make_unique<BrokerProcess>(coalition);
    bystander_pub = std::make_unique<Client>(broker->options_for(coalition["col-cp"]));
    bystander_sub = std::make_unique<Client>(broker->options_for(coalition["ecu-cp"]));
    REQUIRE(bystander_pub->wait_connected(10s).ok());
    REQUIRE(bystander_sub->wait_connected(10s).ok());
    REQUIRE(bystander_sub->subscribe("text.>", inbox.handler()).ok());
  }
  /// Everyone else is still served: a message from one client reaches another.
  void check_others_served(const std::string& topic) {
    REQUIRE(publish_text(*bystander_pub, topic, "still here", {"ECU"}).ok());
    CHECK(inbox.wait_for_topic(topic));
  }
};

}  // namespace

TEST_CASE("a frame shorter than the header is refused with malformed_frame",
          "[integration][hostile]") {
  Fixture f;
  RawClient raw(*f.broker, f.coalition["col-raw"]);
  raw.send({0x01, 0x02});
  CHECK(raw.next_error() == Errc::malformed_frame);
  f.check_others_served("text.COL.after-short");
}

TEST_CASE("an unknown protocol version is refused with unsupported_version",
          "[integration][hostile]") {
  Fixture f;
  RawClient raw(*f.broker, f.coalition["col-raw"]);
  Frame frame = hello_frame();
  frame[0] = 9;
  raw.send(frame);
  CHECK(raw.next_error() == Errc::unsupported_version);
  f.check_others_served("text.COL.after-version");
}

TEST_CASE("an unknown command byte is refused with unknown_command", "[integration][hostile]") {
  Fixture f;
  RawClient raw(*f.broker, f.coalition["col-raw"]);
  Frame frame = hello_frame();
  frame[1] = 0x7f;
  raw.send(frame);
  CHECK(raw.next_error() == Errc::unknown_command);
}

TEST_CASE("a publish before Hello is refused with hello_required", "[integration][hostile]") {
  Fixture f;
  RawClient raw(*f.broker, f.coalition["col-raw"]);
  raw.send(with_header(wire::Command::publish, text_envelope("COL", "col-raw", "text.COL.x")));
  CHECK(raw.next_error() == Errc::hello_required);
}

TEST_CASE("a body with the wrong file identifier is refused with wrong_identifier",
          "[integration][hostile]") {
  Fixture f;
  RawClient raw(*f.broker, f.coalition["col-raw"]);
  raw.hello();
  // A control frame body sent as a publish.
  const Frame hello = hello_frame();
  raw.send(with_header(wire::Command::publish, wire::Bytes(hello).subspan(wire::kHeaderSize)));
  CHECK(raw.next_error() == Errc::wrong_identifier);
  f.check_others_served("text.COL.after-identifier");
}

TEST_CASE("a truncated envelope is refused with verification_failed", "[integration][hostile]") {
  Fixture f;
  RawClient raw(*f.broker, f.coalition["col-raw"]);
  raw.hello();
  Frame envelope = text_envelope("COL", "col-raw", "text.COL.truncated", 200);
  envelope.resize(envelope.size() / 2);
  raw.send(with_header(wire::Command::publish, envelope));
  CHECK(raw.next_error() == Errc::verification_failed);
  f.check_others_served("text.COL.after-truncated");
}

TEST_CASE("an envelope with corrupted offsets is refused with verification_failed",
          "[integration][hostile]") {
  Fixture f;
  RawClient raw(*f.broker, f.coalition["col-raw"]);
  raw.hello();
  Frame envelope = text_envelope("COL", "col-raw", "text.COL.corrupt", 64);
  // Point the root table offset far outside the buffer.
  envelope[0] = 0xff;
  envelope[1] = 0xff;
  envelope[2] = 0xff;
  envelope[3] = 0x7f;
  raw.send(with_header(wire::Command::publish, envelope));
  CHECK(raw.next_error() == Errc::verification_failed);
}

TEST_CASE("an oversized message is refused with message_too_large", "[integration][hostile]") {
  Fixture f;
  RawClient raw(*f.broker, f.coalition["col-raw"]);
  raw.hello();
  raw.send(
      with_header(wire::Command::publish, text_envelope("COL", "col-raw", "text.COL.big", 70000)));
  CHECK(raw.next_error() == Errc::message_too_large);
  f.check_others_served("text.COL.after-big");
}

TEST_CASE("a multipart message is refused with malformed_frame", "[integration][hostile]") {
  Fixture f;
  RawClient raw(*f.broker, f.coalition["col-raw"]);
  raw.hello();
  const Frame publish =
      with_header(wire::Command::publish, text_envelope("COL", "col-raw", "text.COL.mp"));
  raw.send_multipart(publish, publish);
  CHECK(raw.next_error() == Errc::malformed_frame);
  f.check_others_served("text.COL.after-multipart");
}

TEST_CASE("a batch whose length runs past its end is refused with bad_batch",
          "[integration][hostile]") {
  Fixture f;
  RawClient raw(*f.broker, f.coalition["col-raw"]);
  raw.hello();
  const Frame publish =
      with_header(wire::Command::publish, text_envelope("COL", "col-raw", "text.COL.b"));
  Frame body(wire::record_size(publish.size()));
  wire::write_record(body.data(), publish);
  body[0] = 0xff;  // length now exceeds the body
  body[1] = 0xff;
  raw.send(with_header(wire::Command::batch, body));
  CHECK(raw.next_error() == Errc::bad_batch);
  f.check_others_served("text.COL.after-batch");
}

TEST_CASE("a well-formed batch is accepted message by message", "[integration][hostile]") {
  Fixture f;
  RawClient raw(*f.broker, f.coalition["col-raw"]);
  raw.hello();
  Frame body;
  for (const char* topic : {"text.COL.batch1", "text.COL.batch2"}) {
    PublishOptions options;
    options.label.releasable_to = {"ECU"};
    EnvelopeEncoder builder;
    auto text = wire::CreateTextDirect(builder.fbb(), "batched");
    builder.finish(topic, {"COL", "col-raw"}, text, options);
    const Frame publish = with_header(wire::Command::publish, builder.bytes());
    const std::size_t at = body.size();
    body.resize(at + wire::record_size(publish.size()));
    wire::write_record(body.data() + at, publish);
  }
  raw.send(with_header(wire::Command::batch, body));
  CHECK(f.inbox.wait_for_topic("text.COL.batch1"));
  CHECK(f.inbox.wait_for_topic("text.COL.batch2"));
}

TEST_CASE("a flood of bad frames gets a bounded number of answers", "[integration][hostile]") {
  Fixture f;
  RawClient raw(*f.broker, f.coalition["col-raw"]);
  raw.hello();
  for (int i = 0; i < 2000; ++i) raw.send({0x01});
  // The broker answers some, counts all, and keeps serving.
  CHECK(raw.next_error() == Errc::malformed_frame);
  f.check_others_served("text.COL.after-flood");
  const auto metrics = f.broker->directory() / "metrics.json";
  CHECK(eventually([&] {
    std::ifstream in(metrics);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto at = text.find("\"errors_suppressed\":");
    return at != std::string::npos && text.compare(at + 20, 2, "0,") != 0;
  }));
}
