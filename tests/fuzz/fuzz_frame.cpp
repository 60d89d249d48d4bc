// fuzz_frame: one ZeroMQ frame through the receive path that broker and SDK share
// (docs/protocol.md section 4): parse_frame, for a batch the BatchReader over every record,
// then verify_body on each frame and, where it succeeds, every field of the body. The SDK's
// view of a delivery (enlace::Delivery, the topic match of Client::Impl::dispatch) is
// exercised too.
//
// Input: the frame, header included.
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "enlace/delivery.hpp"
#include "enlace/protocol/frame.hpp"
#include "enlace/topic.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace enlace;

// Subscriptions a delivery is matched against, as the SDK matches its own.
constexpr std::string_view kPatterns[] = {">", "track.>", "track.COL.*.*", "alert.*.>"};

// A frame written into a batch record and read back is the same frame: write_record and
// BatchReader agree on the record layout.
void check_record_round_trip(const wire::FrameView& frame) {
  const std::size_t frame_size = wire::kHeaderSize + frame.body.size();
  std::vector<std::uint64_t> storage(wire::record_size(frame_size) / sizeof(std::uint64_t));
  auto* record = reinterpret_cast<std::uint8_t*>(storage.data());
  const wire::Bytes bytes(frame.body.data() - wire::kHeaderSize, frame_size);
  FUZZ_CHECK(wire::write_record(record, bytes) == wire::record_size(frame_size));
  FUZZ_CHECK(wire::record_frame_size(record) == frame_size);

  wire::BatchReader reader({record, wire::record_size(frame_size)});
  wire::FrameView again;
  FUZZ_CHECK(reader.next(again) == Errc::ok);
  FUZZ_CHECK(reader.done());
  FUZZ_CHECK(again.command == frame.command);
  FUZZ_CHECK(again.flags == frame.flags);
  FUZZ_CHECK(again.body.size() == frame.body.size());
  FUZZ_CHECK(again.body.empty() ||
             std::memcmp(again.body.data(), frame.body.data(), frame.body.size()) == 0);
  FUZZ_CHECK(wire::is_aligned(again.body.data()));
}

void handle_frame(const wire::FrameView& frame, fuzz::Sink& sink) {
  check_record_round_trip(frame);
  const Errc verified = wire::verify_body(frame);
  sink.scalar(verified);
  if (verified != Errc::ok) return;
  FUZZ_CHECK(frame.command != wire::Command::batch);  // verify_body must refuse a batch
  switch (frame.command) {
    case wire::Command::control:
      fuzz::read(sink, wire::control_of(frame));
      break;
    case wire::Command::publish: {
      const wire::Envelope* envelope = wire::envelope_of(frame);
      fuzz::read(sink, envelope);
      topic::Tokens tokens;
      sink.scalar(tokens.split(envelope->topic()->string_view()));
      break;
    }
    case wire::Command::deliver: {
      fuzz::read(sink, wire::delivery_of(frame));
      // Through the public, verifying door: it must accept what verify_body() accepted.
      const auto accepted = Delivery::from_bytes(nullptr, frame.body);
      if (!accepted) __builtin_trap();
      const Delivery& delivery = *accepted;
      sink.string_view(delivery.topic());
      sink.string_view(delivery.origin_nation());
      sink.string_view(delivery.origin_system());
      sink.string_view(delivery.releasable_to());
      sink.scalar(delivery.sequence());
      sink.scalar(delivery.receive_time_ns());
      sink.scalar(delivery.from_snapshot());
      sink.scalar(delivery.payload_type());
      const wire::Bytes nested = delivery.envelope_bytes();
      sink.bytes(nested.data(), nested.size());
      topic::Tokens tokens;
      if (tokens.split(delivery.topic())) {
        for (const std::string_view pattern : kPatterns) {
          topic::Tokens p;
          FUZZ_CHECK(p.split(pattern));
          sink.scalar(topic::matches(p, tokens));
        }
      }
      break;
    }
    case wire::Command::batch:
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fuzz::AlignedBuffer buffer(data, size);
  wire::FrameView frame;
  if (wire::parse_frame(buffer.bytes(), frame) != Errc::ok) return 0;
  FUZZ_CHECK(frame.body.size() + wire::kHeaderSize == size);
  fuzz::Sink sink;
  if (frame.command != wire::Command::batch) {
    handle_frame(frame, sink);
    return 0;
  }
  // As both receivers do: records before a broken one are processed, the rest dropped.
  wire::BatchReader reader(frame.body);
  wire::FrameView inner;
  while (!reader.done()) {
    const Errc code = reader.next(inner);
    sink.scalar(code);
    if (code != Errc::ok) break;
    FUZZ_CHECK(inner.command != wire::Command::batch);
    // Records are padded to 8 bytes so that every inner body starts aligned.
    FUZZ_CHECK(wire::is_aligned(inner.body.data()));
    FUZZ_CHECK(inner.body.data() >= frame.body.data() &&
               inner.body.data() + inner.body.size() <= frame.body.data() + frame.body.size());
    handle_frame(inner, sink);
  }
  return 0;
}
