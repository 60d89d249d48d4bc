#include "enlace/protocol/frame.hpp"

#include <cstring>

namespace enlace::wire {
namespace {

// Nesting depth and table limits for the verifier: far above what any valid Enlace
// message uses (an envelope holds a few tables; the largest lists, label categories and a
// sealed payload's wrapped keys, have a few dozen), low enough that a hostile buffer
// cannot make verification slow. The verifier counts a table each time it visits one, so
// a table referenced from many places counts many times: 1,024 visits bound the work a
// buffer of shared references could otherwise multiply (quadratic in the frame size).
constexpr flatbuffers::uoffset_t kMaxDepth = 32;
constexpr flatbuffers::uoffset_t kMaxTables = 1024;

// A body too short to hold a root offset and a file identifier does not carry the
// identifier its command requires: wrong_identifier, like any other body that lacks it.
// The identifier check comes first (docs/protocol.md, section 4), and this keeps one code
// per step: nothing about such a body was verified.
bool has_identifier(Bytes body, const char* identifier) noexcept {
  // The four bytes after the root offset (FlatBuffers' BufferHasIdentifier, without strncmp).
  return body.size() >= sizeof(flatbuffers::uoffset_t) + flatbuffers::kFileIdentifierLength &&
         std::memcmp(body.data() + sizeof(flatbuffers::uoffset_t), identifier,
                     flatbuffers::kFileIdentifierLength) == 0;
}

// The identifier first, then the verifier, which is not given it again (it would compare
// it a second time, with strncmp).
template <class Root>
Errc verify(Bytes body, const char* identifier) noexcept {
  if (!has_identifier(body, identifier)) return Errc::wrong_identifier;
  flatbuffers::Verifier verifier(body.data(), body.size(), kMaxDepth, kMaxTables);
  return verifier.VerifyBuffer<Root>(nullptr) ? Errc::ok : Errc::verification_failed;
}

// FlatBuffers 2.0.8's verifier checks a vector's length for alignment, not its elements
// (google/flatbuffers#8397): a vector of 8-byte structs may sit 4 bytes off. Area.vertices
// is the only such vector in the schemas; a verified envelope never hands its reader a
// misaligned GeoPoint.
bool area_aligned(const Area* area) noexcept {
  const auto* vertices = area != nullptr ? area->vertices() : nullptr;
  return vertices == nullptr || vertices->size() == 0 || is_aligned(vertices->data());
}

bool structs_aligned(const Envelope& envelope) noexcept {
  switch (envelope.payload_type()) {
    case Payload::Alert:
      return area_aligned(envelope.payload_as_Alert()->area());
    case Payload::Tasking:
      return area_aligned(envelope.payload_as_Tasking()->area());
    default:
      return true;
  }
}

// An envelope body on its own (a publish) or nested in a Delivery: identifier, verifier
// with Enlace's limits, aligned structs.
Errc verify_envelope(Bytes body) noexcept {
  // Its fields are read in place: it must start 8-byte aligned, wherever it is nested (the
  // identifier still decides first, as section 4 orders the steps).
  if (!is_aligned(body.data())) {
    return has_identifier(body, EnvelopeIdentifier()) ? Errc::verification_failed
                                                      : Errc::wrong_identifier;
  }
  const Errc verified = verify<Envelope>(body, EnvelopeIdentifier());
  if (verified != Errc::ok) return verified;
  return structs_aligned(*GetEnvelope(body.data())) ? Errc::ok : Errc::verification_failed;
}

}  // namespace

Errc parse_frame(Bytes frame, FrameView& out) noexcept {
  if (frame.size() < kHeaderSize) return Errc::malformed_frame;
  if (frame[0] != kProtocolVersion) return Errc::unsupported_version;
  const std::uint8_t command = frame[1];
  if (command < static_cast<std::uint8_t>(Command::control) ||
      command > static_cast<std::uint8_t>(Command::batch)) {
    return Errc::unknown_command;
  }
  // ack_requested means something on a publish only; on any other command it is as
  // reserved as the undefined bits.
  const std::uint8_t defined =
      command == static_cast<std::uint8_t>(Command::publish) ? flag::defined : 0;
  if ((frame[2] & ~defined) != 0) return Errc::malformed_frame;
  for (std::size_t i = 3; i < kHeaderSize; ++i) {
    if (frame[i] != 0) return Errc::malformed_frame;
  }
  out.command = static_cast<Command>(command);
  out.flags = frame[2];
  out.body = frame.subspan(kHeaderSize);
  return Errc::ok;
}

Errc verify_body(const FrameView& frame) noexcept {
  switch (frame.command) {
    case Command::control:
      return verify<ControlFrame>(frame.body, ControlFrameIdentifier());
    case Command::publish:
      return verify_envelope(frame.body);
    case Command::deliver: {
      const Errc outer = verify<Delivery>(frame.body, DeliveryIdentifier());
      if (outer != Errc::ok) return outer;
      // The generated verifier checked that the envelope's bytes lie inside the frame (the
      // schema does not declare them a nested FlatBuffer): verify them as a publish is.
      const auto* nested = GetDelivery(frame.body.data())->envelope();
      return verify_envelope({nested->data(), nested->size()});
    }
    case Command::batch:
      break;
  }
  return Errc::malformed_frame;
}

void write_record_header(std::uint8_t* out, std::size_t frame_size) noexcept {
  const auto length = static_cast<std::uint32_t>(frame_size);
  out[0] = static_cast<std::uint8_t>(length);
  out[1] = static_cast<std::uint8_t>(length >> 8);
  out[2] = static_cast<std::uint8_t>(length >> 16);
  out[3] = static_cast<std::uint8_t>(length >> 24);
  std::memset(out + 4, 0, kRecordHeaderSize - 4);
  const std::size_t padded = record_size(frame_size);
  std::memset(out + kRecordHeaderSize + frame_size, 0, padded - kRecordHeaderSize - frame_size);
}

std::size_t write_record(std::uint8_t* out, Bytes frame) noexcept {
  write_record_header(out, frame.size());
  std::memcpy(out + kRecordHeaderSize, frame.data(), frame.size());
  return record_size(frame.size());
}

Errc BatchReader::next(FrameView& out) noexcept {
  const Errc code = read(out);
  if (code != Errc::ok) rest_ = {};  // the rest of a broken batch is not read: done()
  empty_ = false;
  return code;
}

Errc BatchReader::read(FrameView& out) noexcept {
  if (rest_.empty()) return empty_ ? Errc::bad_batch : Errc::ok;  // batch-body = 1*record
  if (rest_.size() < kRecordHeaderSize) return Errc::bad_batch;
  const std::uint32_t length = record_frame_size(rest_.data());
  for (std::size_t i = 4; i < kRecordHeaderSize; ++i) {
    if (rest_[i] != 0) return Errc::bad_batch;
  }
  // A length that cannot describe a frame (not even its header) is the batch framing's
  // fault, not the inner frame's.
  if (length < kHeaderSize) return Errc::bad_batch;
  if (length > rest_.size() - kRecordHeaderSize) return Errc::bad_batch;
  const std::size_t padded = record_size(length);
  if (padded > rest_.size()) return Errc::bad_batch;
  const Bytes inner = rest_.subspan(kRecordHeaderSize, length);
  for (std::size_t i = kRecordHeaderSize + length; i < padded; ++i) {
    if (rest_[i] != 0) return Errc::bad_batch;
  }
  rest_ = rest_.subspan(padded);
  const Errc parsed = parse_frame(inner, out);
  if (parsed != Errc::ok) return parsed;
  return out.command == Command::batch ? Errc::bad_batch : Errc::ok;
}

}  // namespace enlace::wire
