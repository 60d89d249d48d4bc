// Cursor-on-Target <-> bus payloads: which CoT event becomes which payload, and which
// payload goes out to TAK clients as which CoT event. The tables are in
// docs/gateways/tak.md ("Field mapping"); this file is their implementation.
//
// What a payload has no field for travels in its ForeignDetail (the CoT uid, type, how and
// the remaining <detail> XML), so an event that crosses the bus and comes back out of a
// gateway is equivalent to the one that went in: same uid, type, how, point, times (to the
// millisecond) and detail elements, plus the gateway's origin marking.
//
// Pure functions; safe to call from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <flatbuffers/flatbuffers.h>

#include "cot_event.hpp"
#include "enlace/wire.hpp"
#include "refusal.hpp"

namespace enlace::tak {

/// The detail element every event the gateway sends out carries: which nation and system
/// published it and to whom it is releasable. An inbound event that carries it came out of
/// an Enlace gateway and is refused (loop), so no gateway re-publishes the bus's own events.
inline constexpr std::string_view kMarkingElement = "__enlace";

/// What the gateway knows about an event a TAK client sent.
struct InboundContext {
  std::string_view nation;          // the gateway's own nation, as the broker welcomed it
  std::string_view source = "tak";  // the topic token after the nation
  std::string_view unit;            // the sender's unit (certificate mapping), for its own SA
  std::string_view callsign;        // the mapping's callsign, used when <contact> has none
  std::int64_t now_ms = 0;
};

/// A payload built in the caller's builder, with where and until when to publish it.
struct BusMessage {
  std::string topic;
  wire::Payload type = wire::Payload::NONE;
  flatbuffers::Offset<void> payload;
  std::int64_t stale_ms = 0;
};

/// Maps a TAK client's event to a bus payload, built in `fbb` (not finished).
/// Refusals: unknown_type (a type with no mapping, or a stream control event),
/// expired (stale before now), loop (it carries the marking element), bad_event (e.g. a
/// shape without vertices).
Expected<BusMessage> to_bus(const CotEvent& event, const InboundContext& context,
                            flatbuffers::FlatBufferBuilder& fbb);

/// Who published a delivery, as the broker authenticated it.
struct OutboundContext {
  std::string_view origin_nation;
  std::string_view origin_system;
  std::int64_t now_ms = 0;
  /// stale = now + this when the envelope has no stale time ("never stale" on the bus).
  std::int64_t default_stale_ms = 5 * 60'000;
};

/// The CoT event of a bus envelope; nullopt for payload types TAK has no event for
/// (Detection, Sealed, Opaque) and for payloads without a position to draw.
std::optional<CotEvent> to_cot(const wire::Envelope& envelope, const OutboundContext& context);

/// "REL TO COL, ECU" for a label releasable to COL and ECU; "REL BY AGREEMENT" when the
/// label names no nation (the coalition's agreements decide).
std::string releasability_text(const wire::Envelope& envelope);

/// `text` as one topic token: characters a token may not hold (`.`, space, `*`, `>`,
/// control and non-ASCII bytes) become `_`, at most 64 bytes.
std::string topic_token(std::string_view text);

}  // namespace enlace::tak
