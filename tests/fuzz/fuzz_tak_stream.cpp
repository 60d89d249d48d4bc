// fuzz_tak_stream: a TAK client's byte stream (gateways/tak/src/stream_decoder.hpp), as
// the gateway reads it: fed in pieces to a StreamDecoder, every event it returns decoded
// (decode_xml before the switch, decode_proto after), and the whole input also as one UDP
// datagram (decode_datagram: mesh header or XML).
//
// Input: byte 0 picks the mode the stream starts in (bit 0: TAK v1 from the start, else
// XML switching to v1 after the first event, as after a negotiation) and the piece size
// (bits 1-7: 1 to 128 bytes, so that events and varints are split across reads); the rest
// is the stream.
//
// Properties: an event is never larger than max_event_bytes; the decoder never holds more
// than max_event_bytes plus one piece; in v1 mode the frames returned, framed again, are
// exactly the bytes consumed; after a refusal (fatal) the session stops reading, as the
// gateway closes the connection.
#include <cstdint>
#include <string>
#include <string_view>

#include "cot_xml.hpp"
#include "fuzz_support.hpp"
#include "stream_decoder.hpp"
#include "tak_proto.hpp"

using namespace enlace::tak;

namespace {
constexpr std::size_t kMaxEventBytes = 4096;  // small, so that the bound is reached often
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const bool protobuf_first = (data[0] & 1) != 0;
  const std::size_t piece = static_cast<std::size_t>(data[0] >> 1) + 1;
  const std::string_view stream(reinterpret_cast<const char*>(data) + 1, size - 1);
  const XmlLimits limits{kMaxEventBytes};

  (void)decode_datagram(stream, limits);

  StreamDecoder decoder(kMaxEventBytes);
  if (protobuf_first) decoder.set_mode(StreamMode::protobuf);
  std::string reframed;  // v1 frames returned, framed again
  std::size_t v1_from = protobuf_first ? 0 : std::string::npos;
  std::size_t consumed = 0;
  for (std::size_t at = 0; at < stream.size(); at += piece) {
    const auto part = stream.substr(at, piece);
    decoder.feed(part);
    FUZZ_CHECK(decoder.buffered() <= kMaxEventBytes + piece + 16);  // + a frame header
    for (;;) {
      const StreamMode mode = decoder.mode();
      const std::size_t before = decoder.buffered();
      auto next = decoder.next();
      if (!next) return 0;  // fatal: the gateway closes the connection here
      if (!next->has_value()) break;
      const std::string& event = **next;
      FUZZ_CHECK(event.size() <= kMaxEventBytes);
      FUZZ_CHECK(decoder.buffered() < before);
      consumed += before - decoder.buffered();
      if (mode == StreamMode::xml) {
        FUZZ_CHECK(event.ends_with("</event>"));
        (void)decode_xml(event, limits);
        if (v1_from == std::string::npos) {
          decoder.set_mode(StreamMode::protobuf);
          v1_from = consumed;
        }
      } else {
        reframed += stream_frame(event);
        (void)decode_proto(event, limits);
      }
    }
  }
  if (v1_from != std::string::npos && v1_from <= consumed) {
    // Leading whitespace is skipped only in XML mode, so v1 bytes map one to one, except
    // for a varint written longer than needed (non-minimal), which re-framing shortens.
    FUZZ_CHECK(reframed.size() <= consumed - v1_from);
  }
  return 0;
}
