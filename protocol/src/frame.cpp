#include "enlace/protocol/frame.hpp"

namespace enlace::wire {
namespace {

// Nesting depth and table count limits for the verifier: far above what any valid
// Enlace message uses, low enough that a hostile buffer cannot make verification slow.
constexpr flatbuffers::uoffset_t kMaxDepth = 32;
constexpr flatbuffers::uoffset_t kMaxTables = 100000;

template <class Fn>
Errc verify(Bytes body, const char* identifier, Fn&& verify_buffer) noexcept {
  if (body.size() < flatbuffers::kFileIdentifierLength + sizeof(flatbuffers::uoffset_t)) {
    return Errc::verification_failed;
  }
  if (!flatbuffers::BufferHasIdentifier(body.data(), identifier)) return Errc::wrong_identifier;
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
  if ((frame[2] & ~flag::defined) != 0) return Errc::malformed_frame;
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
      if (nested->size() < flatbuffers::kFileIdentifierLength + sizeof(flatbuffers::uoffset_t)) {
        return Errc::verification_failed;
      }
      return flatbuffers::BufferHasIdentifier(nested->data(), EnvelopeIdentifier())
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
  if (rest_.empty()) return Errc::ok;
  if (rest_.size() < kRecordHeaderSize) return Errc::bad_batch;
  const std::uint32_t length = record_frame_size(rest_.data());
  for (std::size_t i = 4; i < kRecordHeaderSize; ++i) {
    if (rest_[i] != 0) return Errc::bad_batch;
  }
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
