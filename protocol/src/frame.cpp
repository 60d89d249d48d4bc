#include "enlace/protocol/frame.hpp"

namespace enlace::wire {
namespace {

// Nesting depth and table count limits for the verifier: far above what any valid
// Enlace message uses, low enough that a hostile buffer cannot make verification slow.
constexpr flatbuffers::uoffset_t kMaxDepth = 32;
constexpr flatbuffers::uoffset_t kMaxTables = 100000;

// A body too short to hold a root offset and a file identifier does not carry the
// identifier its command requires: wrong_identifier, like any other body that lacks it.
// The identifier check comes first (docs/protocol.md, section 4), and this keeps one code
// per step: nothing about such a body was verified.
bool has_identifier(Bytes body, const char* identifier) noexcept {
  return body.size() >= sizeof(flatbuffers::uoffset_t) + flatbuffers::kFileIdentifierLength &&
         flatbuffers::BufferHasIdentifier(body.data(), identifier);
}

template <class Fn>
Errc verify(Bytes body, const char* identifier, Fn&& verify_buffer) noexcept {
  if (!has_identifier(body, identifier)) return Errc::wrong_identifier;
  flatbuffers::Verifier verifier(body.data(), body.size(), kMaxDepth, kMaxTables);
  return verify_buffer(verifier) ? Errc::ok : Errc::verification_failed;
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
      return verify(frame.body, ControlFrameIdentifier(),
                    [](flatbuffers::Verifier& v) { return VerifyControlFrameBuffer(v); });
    case Command::publish:
      return verify(frame.body, EnvelopeIdentifier(),
                    [](flatbuffers::Verifier& v) { return VerifyEnvelopeBuffer(v); });
    case Command::deliver: {
      const Errc outer = verify(frame.body, DeliveryIdentifier(),
                                [](flatbuffers::Verifier& v) { return VerifyDeliveryBuffer(v); });
      if (outer != Errc::ok) return outer;
      // The verifier checked the nested envelope's structure; check its identifier too.
      const auto* nested = GetDelivery(frame.body.data())->envelope();
      return has_identifier({nested->data(), nested->size()}, EnvelopeIdentifier())
                 ? Errc::ok
                 : Errc::wrong_identifier;
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
