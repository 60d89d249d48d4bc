// TAK Protocol version 1 payloads: a CotEvent to a TakMessage (libprotobuf lite, from
// proto/tak_v1.proto) and back, and the two framings around it: the stream frame
// (0xbf, varint length, TakMessage) and the mesh header (0xbf, varint version, 0xbf).
//
// Pure functions; safe to call from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cot_event.hpp"
#include "cot_xml.hpp"
#include "refusal.hpp"

namespace enlace::tak {

inline constexpr std::uint8_t kTakMagic = 0xbf;
/// The protocol version this gateway speaks besides XML (version 0).
inline constexpr std::uint32_t kTakProtocolVersion = 1;

/// The TakMessage bytes (protobuf) of `event`.
std::string encode_proto(const CotEvent& event);

/// A TakMessage's CotEvent. A TakMessage that holds only a TakControl (a mesh
/// announcement) is refused with bad_protobuf as well: it carries no event.
/// Refusals: bad_protobuf, bad_event, bad_xml (its xmlDetail), oversize.
Expected<CotEvent> decode_proto(std::string_view bytes, const XmlLimits& limits = {});

/// Appends a protobuf unsigned varint.
void append_varint(std::string& out, std::uint64_t value);

/// `payload` framed for a negotiated stream: 0xbf, varint length, payload.
std::string stream_frame(std::string_view payload);

/// `payload` with the mesh header for a UDP datagram: 0xbf, 0x01, 0xbf, payload.
std::string mesh_frame(std::string_view payload);

/// Decodes one UDP datagram: TAK v1 (mesh header) or, without the header, CoT XML.
/// Refusals: those of decode_xml and decode_proto, and bad_framing for a mesh header
/// naming another protocol version.
Expected<CotEvent> decode_datagram(std::string_view datagram, const XmlLimits& limits = {});

}  // namespace enlace::tak
