// The framing of protocol version 1: every ZeroMQ frame starts with an 8-byte header,
// followed by a FlatBuffers body (or, for a batch, by length-prefixed inner frames).
// docs/protocol.md is the normative description; this header is its C++ form, shared by
// both ends of a link (the SDK's client, the broker).
//
//   frame      = version(1) command(1) flags(1) reserved(5, zero) body
//   batch body = 1*( length(4, little-endian) reserved(4, zero) frame padding )
//   padding    = 0-7 zero bytes, so that the next record starts on a multiple of 8
//
// A batch holds at least one record, and each record at least a frame header. Inner
// frames are never batches. Only a publish may set ack_requested. The header is 8 bytes and records
// are padded to 8 so that every FlatBuffers body starts 8-byte aligned, as its 64-bit fields
// require.
//
// All functions are pure and thread-safe. Nothing here allocates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "enlace/error.hpp"
#include "enlace/wire.hpp"

namespace enlace::wire {

inline constexpr std::uint8_t kProtocolVersion = 1;
inline constexpr std::size_t kHeaderSize = 8;
inline constexpr std::size_t kRecordHeaderSize = 8;  // length + reserved, before an inner frame
inline constexpr std::size_t kAlignment = 8;

/// Bytes a record holding a frame of `frame_size` bytes occupies in a batch body.
constexpr std::size_t record_size(std::size_t frame_size) noexcept {
  return kRecordHeaderSize + ((frame_size + kAlignment - 1) & ~(kAlignment - 1));
}

/// Whether `p` is suitably aligned for reading a FlatBuffers body in place. Receivers
/// copy a frame whose data is not (ZeroMQ stores frames of 33 bytes or less inline).
inline bool is_aligned(const void* p) noexcept {
  return reinterpret_cast<std::uintptr_t>(p) % kAlignment == 0;
}

/// Frame commands. Frozen on the wire.
enum class Command : std::uint8_t {
  control = 1,  // body: ControlFrame ("ECT1")
  publish = 2,  // body: Envelope ("ENV1"), client -> broker
  deliver = 3,  // body: Delivery ("EDL1"), broker -> client
  batch = 4,    // body: length-prefixed inner frames
};

/// Header flag bits. Undefined bits must be zero, and so must ack_requested on every
/// command but publish.
namespace flag {
inline constexpr std::uint8_t ack_requested = 0x01;     // publish: answer with Ack or Error
inline constexpr std::uint8_t defined = ack_requested;  // on a publish
}  // namespace flag

struct FrameView {
  Command command{};
  std::uint8_t flags = 0;
  Bytes body;
};

inline void write_header(std::uint8_t* out, Command command, std::uint8_t flags = 0) noexcept {
  std::memset(out, 0, kHeaderSize);
  out[0] = kProtocolVersion;
  out[1] = static_cast<std::uint8_t>(command);
  out[2] = flags;
}

/// Writes a whole frame, header then `body`; `out` holds kHeaderSize + body.size() bytes.
inline void write_frame(std::uint8_t* out, Command command, std::uint8_t flags,
                        Bytes body) noexcept {
  write_header(out, command, flags);
  if (!body.empty()) std::memcpy(out + kHeaderSize, body.data(), body.size());
}

/// Checks the header and splits header from body. Errc::ok on success, else
/// malformed_frame (short, a reserved byte or bit set, ack_requested on anything but a
/// publish), unsupported_version or unknown_command.
Errc parse_frame(Bytes frame, FrameView& out) noexcept;

/// Checks the body's file identifier against the command, then runs the FlatBuffers
/// verifier (which also verifies a Delivery's nested envelope). Returns wrong_identifier
/// (also for a body too short to hold an identifier) or verification_failed on failure.
/// Must not be called for Command::batch.
Errc verify_body(const FrameView& frame) noexcept;

/// Typed access to a verified body. Only valid after verify_body() returned ok.
inline const Envelope* envelope_of(const FrameView& f) noexcept {
  return GetEnvelope(f.body.data());
}
inline const Delivery* delivery_of(const FrameView& f) noexcept {
  return GetDelivery(f.body.data());
}
inline const ControlFrame* control_of(const FrameView& f) noexcept {
  return GetControlFrame(f.body.data());
}

/// Walks the inner frames of a batch body. Each inner frame is parsed (not verified).
class BatchReader {
 public:
  explicit BatchReader(Bytes body) noexcept : rest_(body), empty_(body.empty()) {}

  /// Errc::ok and sets `out` for the next inner frame; Errc::ok with done() true at the
  /// end; bad_batch if the body holds no record at all, a length is shorter than a frame
  /// header or runs past the end (its padding included), a reserved or padding byte is
  /// not zero, or an inner frame is itself a batch; otherwise the error of parse_frame for
  /// the inner frame. After an error the reader is done: the rest is not read.
  Errc next(FrameView& out) noexcept;
  /// False for an empty body until next() has refused it.
  bool done() const noexcept { return rest_.empty() && !empty_; }

 private:
  Errc read(FrameView& out) noexcept;

  Bytes rest_;
  bool empty_;  // the body held nothing, not yet reported
};

/// Writes a record: its 8-byte header, `frame` and zero padding; `out` must have
/// record_size(frame.size()) bytes. Returns the bytes written.
std::size_t write_record(std::uint8_t* out, Bytes frame) noexcept;

/// Writes a record header for a frame of `frame_size` bytes and zeroes the padding; the
/// caller then writes the frame itself at out + kRecordHeaderSize.
void write_record_header(std::uint8_t* out, std::size_t frame_size) noexcept;

/// The frame length stored in a record header.
inline std::uint32_t record_frame_size(const std::uint8_t* record) noexcept {
  return static_cast<std::uint32_t>(record[0]) | static_cast<std::uint32_t>(record[1]) << 8 |
         static_cast<std::uint32_t>(record[2]) << 16 | static_cast<std::uint32_t>(record[3]) << 24;
}

}  // namespace enlace::wire
