// JSON <-> FlatBuffers for the enlace tool: payload tables written by hand as JSON, and
// deliveries shown as one JSON object per line.
//
// The schemas are those of schemas/*.fbs, compiled into the binary at build time (see
// tools/CMakeLists.txt), so the field names are the schema's own: {"track_id": "T1",
// "position": {"point": {"lat_deg": -0.19, "lon_deg": -74.78}}, "identity": "Suspect"}.
// Enum fields take their value names; NaN means "unknown" in these schemas, so a field
// holding NaN is left out of the JSON rather than written as a non-JSON token.
//
// Threads: a JsonCodec is not thread-safe; use one per thread. The free functions are pure.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <flatbuffers/flatbuffers.h>

#include "enlace/delivery.hpp"
#include "enlace/result.hpp"
#include "enlace/wire.hpp"

namespace flatbuffers {
class Parser;
}

namespace enlace::cli {

/// The payload types a user may publish with the tool, in union order. Sealed is left
/// out: its ciphertext cannot be written by hand.
std::span<const wire::Payload> publishable_types() noexcept;

/// "Track" -> Payload::Track (case-insensitive); nullopt for names that are not
/// publishable types.
std::optional<wire::Payload> payload_type_from_name(std::string_view name) noexcept;

/// Payload::Track -> "Track"; empty for NONE and values this build does not know.
std::string_view payload_type_name(wire::Payload type) noexcept;

/// Classification names as policy files spell them: UNMARKED, UNCLASSIFIED, RESTRICTED,
/// CONFIDENTIAL, SECRET, TOP_SECRET.
std::string_view classification_name(wire::Classification level) noexcept;
/// Case-insensitive; "TOP-SECRET" and "TOP SECRET" are read as TOP_SECRET.
std::optional<wire::Classification> classification_from_name(std::string_view name) noexcept;

/// The RFC 4122 text form of a message id, e.g. "1b4e28ba-2fa1-41d2-883f-0016d3cca427".
std::string format_uuid(const wire::Uuid& id);

/// `text` as a JSON string literal, quotes included.
std::string json_quote(std::string_view text);

/// Rewrites JSON as FlatBuffers' text generator prints it into compact JSON, dropping
/// object members whose value is a non-finite number (nan, inf) and turning such array
/// elements into null. Returns nullopt if `text` is not of that shape, or nests objects and
/// arrays more than 64 deep.
std::optional<std::string> compact_json(std::string_view text);

class JsonCodec {
 public:
  /// Loads the embedded schema. Throws std::runtime_error if it does not load, which is a
  /// build defect, not a user error.
  JsonCodec();
  ~JsonCodec();
  JsonCodec(const JsonCodec&) = delete;
  JsonCodec& operator=(const JsonCodec&) = delete;

  /// Parses `json` as a payload table of `type` and returns a FlatBuffer whose root is that
  /// table. Fails with invalid_argument and the parser's message, which names the line and
  /// column, e.g. "payload.json:2: 17: error: unknown field: trak_id". `source_name` is
  /// the name the message uses for the input.
  Result<std::vector<std::uint8_t>> json_to_payload(wire::Payload type, std::string_view json,
                                                    std::string_view source_name = "json") const;

  /// Copies the root table of a json_to_payload() result into `fbb`, for an envelope
  /// built there (EnvelopeEncoder::finish_any).
  flatbuffers::Offset<void> copy_payload(flatbuffers::FlatBufferBuilder& fbb, wire::Payload type,
                                         std::span<const std::uint8_t> payload) const;

  /// The envelope's payload as compact JSON. Fails with invalid_argument for a payload type
  /// this build does not know, or strings that are not valid UTF-8.
  Result<std::string> payload_to_json(const wire::Envelope& envelope) const;

  /// One line of `enlace sub` output (no trailing newline): the broker's delivery header,
  /// the label and the payload, e.g.
  ///   {"sequence":7,"receive_time_ns":...,"topic":"track.COL.radar.T1","id":"...",
  ///    "origin":{"nation":"COL","system":"col-radar","role":"sensor"},"broker_id":"...",
  ///    "releasable_to":[],"classification":"UNCLASSIFIED","publish_time_ns":...,
  ///    "stale_time_ns":...,"snapshot":false,"payload_type":"Track","payload":{...}}
  /// A payload that cannot be shown is null, with "payload_error" saying why.
  std::string delivery_to_json(const Delivery& delivery) const;

 private:
  // Used for text generation only, which does not modify it.
  std::unique_ptr<flatbuffers::Parser> printer_;
};

}  // namespace enlace::cli
