// The framing layer: header checks, verification by command, batch records.
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

Frame envelope(const char* topic = "track.COL.radar.T1") {
  EnvelopeEncoder builder;
  const wire::GeoPoint point(-4.22, -69.94);
  auto position = wire::CreatePosition(builder.fbb(), &point);
  auto track = wire::CreateTrackDirect(builder.fbb(), "T1", position);
  builder.finish(topic, {"COL", "col-radar"}, track, {});
  return Frame(builder.bytes().begin(), builder.bytes().end());
}

}  // namespace

TEST_CASE("parse_frame accepts a well-formed header and splits off the body", "[wire]") {
  const Frame body = envelope();
  const Frame frame = frame_of(wire::Command::publish, body, wire::flag::ack_requested);
  wire::FrameView view;
  REQUIRE(wire::parse_frame(frame, view) == Errc::ok);
  CHECK(view.command == wire::Command::publish);
  CHECK(view.flags == wire::flag::ack_requested);
  CHECK(view.body.size() == body.size());
  CHECK(wire::verify_body(view) == Errc::ok);
}

TEST_CASE("parse_frame refuses malformed headers with specific codes", "[wire]") {
  const Frame good = frame_of(wire::Command::publish, envelope());
  wire::FrameView view;
  SECTION("too short") {
    CHECK(wire::parse_frame(wire::Bytes(good).first(7), view) == Errc::malformed_frame);
  }
  SECTION("wrong version") {
    Frame f = good;
    f[0] = 2;
    CHECK(wire::parse_frame(f, view) == Errc::unsupported_version);
  }
  SECTION("unknown command") {
    Frame f = good;
    f[1] = 0;
    CHECK(wire::parse_frame(f, view) == Errc::unknown_command);
    f[1] = 5;
    CHECK(wire::parse_frame(f, view) == Errc::unknown_command);
  }
  SECTION("undefined flag bit") {
    Frame f = good;
    f[2] = 0x80;
    CHECK(wire::parse_frame(f, view) == Errc::malformed_frame);
  }
  SECTION("reserved byte set") {
    Frame f = good;
    f[5] = 1;
    CHECK(wire::parse_frame(f, view) == Errc::malformed_frame);
  }
}

TEST_CASE("verify_body checks the file identifier against the command", "[wire]") {
  const Frame frame = frame_of(wire::Command::control, envelope());  // envelope as control
  wire::FrameView view;
  REQUIRE(wire::parse_frame(frame, view) == Errc::ok);
  CHECK(wire::verify_body(view) == Errc::wrong_identifier);
}

TEST_CASE("verify_body rejects every truncation of a valid envelope", "[wire]") {
  const Frame body = envelope();
  // Cutting the buffer anywhere must never pass verification (nor crash: run under ASan).
  for (std::size_t size = 0; size < body.size(); ++size) {
    Frame cut(body.begin(), body.begin() + static_cast<std::ptrdiff_t>(size));
    const Frame frame = frame_of(wire::Command::publish, cut);
    wire::FrameView view;
    REQUIRE(wire::parse_frame(frame, view) == Errc::ok);
    INFO("size " << size);
    CHECK(wire::verify_body(view) != Errc::ok);
  }
}

TEST_CASE("batch records round-trip and keep each inner frame 8-byte aligned", "[wire]") {
  std::vector<Frame> frames = {frame_of(wire::Command::publish, envelope("a.b")),
                               frame_of(wire::Command::publish, envelope("a.b.c.d.e")),
                               frame_of(wire::Command::control, envelope())};
  std::vector<std::uint64_t> storage(1024);
  auto* body = reinterpret_cast<std::uint8_t*>(storage.data());
  std::size_t size = 0;
  for (const auto& f : frames) size += wire::write_record(body + size, f);
  CHECK(size % wire::kAlignment == 0);

  wire::BatchReader reader({body, size});
  std::size_t i = 0;
  wire::FrameView inner;
  while (!reader.done()) {
    REQUIRE(reader.next(inner) == Errc::ok);
    REQUIRE(i < frames.size());
    CHECK(inner.body.size() == frames[i].size() - wire::kHeaderSize);
    CHECK(wire::is_aligned(inner.body.data()));
    ++i;
  }
  CHECK(i == frames.size());
}

TEST_CASE("batch reader refuses broken framing with bad_batch", "[wire]") {
  const Frame inner = frame_of(wire::Command::publish, envelope());
  Frame body(wire::record_size(inner.size()));
  wire::write_record(body.data(), inner);
  wire::FrameView view;
  SECTION("length past the end") {
    body[0] = static_cast<std::uint8_t>(body.size());
    body[1] = 0x10;
    CHECK(wire::BatchReader(body).next(view) == Errc::bad_batch);
  }
  SECTION("reserved bytes set") {
    body[5] = 1;
    CHECK(wire::BatchReader(body).next(view) == Errc::bad_batch);
  }
  SECTION("nested batch") {
    const Frame nested = frame_of(wire::Command::batch, body);
    Frame outer(wire::record_size(nested.size()));
    wire::write_record(outer.data(), nested);
    CHECK(wire::BatchReader(outer).next(view) == Errc::bad_batch);
  }
  SECTION("truncated record header") {
    CHECK(wire::BatchReader(wire::Bytes(body).first(5)).next(view) == Errc::bad_batch);
  }
}

TEST_CASE("error codes have stable names and retry hints", "[wire][errors]") {
  CHECK(to_string(Errc::publish_denied) == "publish_denied");
  CHECK(static_cast<int>(Errc::publish_denied) == 202);
  CHECK(is_retryable(Errc::rate_limited));
  CHECK_FALSE(is_retryable(Errc::subscribe_denied));
  CHECK(is_wire_code(Errc::revoked));
  CHECK_FALSE(is_wire_code(Errc::timeout));
  const std::error_code ec = Errc::origin_mismatch;
  CHECK(ec.category().name() == std::string("enlace"));
  CHECK(ec.message() == "origin_mismatch");
}
