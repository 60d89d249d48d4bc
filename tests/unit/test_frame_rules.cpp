// The codec rules docs/protocol.md sections 3 and 4 state, checked where they live
// (protocol/src/frame.cpp), for both ends of a link.
#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

#include "enlace/envelope_builder.hpp"
#include "enlace/protocol/frame.hpp"

using namespace enlace;
using Frame = std::vector<std::uint8_t>;

namespace {

Frame frame_of(wire::Command command, wire::Bytes body, std::uint8_t flags = 0) {
  Frame frame(wire::kHeaderSize + body.size());
  wire::write_header(frame.data(), command, flags);
  if (!body.empty()) std::memcpy(frame.data() + wire::kHeaderSize, body.data(), body.size());
  return frame;
}

Frame text_envelope() {
  EnvelopeEncoder builder;
  builder.finish("text.COL.x", {"COL", "col-cp"}, wire::CreateTextDirect(builder.fbb(), "x"), {});
  return Frame(builder.bytes().begin(), builder.bytes().end());
}

}  // namespace

TEST_CASE("ack_requested is defined on publish frames only", "[wire][rules]") {
  const Frame body = text_envelope();
  wire::FrameView view;
  CHECK(wire::parse_frame(frame_of(wire::Command::publish, body, wire::flag::ack_requested),
                          view) == Errc::ok);
  for (const auto command :
       {wire::Command::control, wire::Command::deliver, wire::Command::batch}) {
    INFO("command " << static_cast<int>(command));
    CHECK(wire::parse_frame(frame_of(command, body, wire::flag::ack_requested), view) ==
          Errc::malformed_frame);
    CHECK(wire::parse_frame(frame_of(command, body), view) == Errc::ok);
  }
}

TEST_CASE("a body too short for a file identifier is wrong_identifier", "[wire][rules]") {
  const Frame body = text_envelope();
  for (std::size_t size = 0; size < 8; ++size) {
    const Frame frame =
        frame_of(wire::Command::publish, wire::Bytes(body).first(size), wire::flag::ack_requested);
    wire::FrameView view;
    REQUIRE(wire::parse_frame(frame, view) == Errc::ok);
    INFO("size " << size);
    CHECK(wire::verify_body(view) == Errc::wrong_identifier);
  }
}

TEST_CASE("an empty batch body is bad_batch, and the reader is done after it", "[wire][rules]") {
  wire::BatchReader reader(wire::Bytes{});
  CHECK_FALSE(reader.done());
  wire::FrameView view;
  CHECK(reader.next(view) == Errc::bad_batch);
  CHECK(reader.done());
}

TEST_CASE("a batch record shorter than a frame header is bad_batch", "[wire][rules]") {
  for (std::uint32_t length = 0; length < wire::kHeaderSize; ++length) {
    Frame body(wire::record_size(length), 0);
    body[0] = static_cast<std::uint8_t>(length);
    wire::BatchReader reader(body);
    wire::FrameView view;
    INFO("length " << length);
    CHECK(reader.next(view) == Errc::bad_batch);
    CHECK(reader.done());
  }
}

TEST_CASE("a batch reader reads nothing after an error", "[wire][rules]") {
  const Frame good = frame_of(wire::Command::publish, text_envelope());
  Frame body(wire::record_size(good.size()) + wire::kRecordHeaderSize);
  wire::write_record(body.data(), good);
  body[wire::record_size(good.size()) + 5] = 1;  // second record: reserved byte set
  wire::BatchReader reader(body);
  wire::FrameView view;
  CHECK(reader.next(view) == Errc::ok);
  CHECK_FALSE(reader.done());
  CHECK(reader.next(view) == Errc::bad_batch);
  CHECK(reader.done());
}
