// The enlace tool's JSON codec (tools/enlace/json_codec.hpp): JSON written by hand becomes
// the schema's payload tables, and deliveries become one line of JSON each. The schema is
// the one embedded in the tool at build time, so these tests also check that embedding.
#include <catch2/catch.hpp>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "enlace/envelope_builder.hpp"
#include "enlace/protocol/frame.hpp"
#include "json_codec.hpp"

using namespace enlace;
using enlace::cli::JsonCodec;

namespace {

constexpr const char* kTrackJson =
    R"({"track_id": "T1", "position": {"point": {"lat_deg": -0.19, "lon_deg": -74.78}},
        "identity": "Suspect"})";

// An envelope around `payload` (a json_to_payload result), as `enlace pub` builds it.
std::vector<std::uint8_t> envelope_of(const JsonCodec& codec, wire::Payload type,
                                      const std::vector<std::uint8_t>& payload,
                                      const PublishOptions& options = {}) {
  EnvelopeEncoder builder;
  const auto offset = codec.copy_payload(builder.fbb(), type, payload);
  builder.finish_any("track.COL.radar.T1", {"COL", "col-radar"}, type, offset, options);
  const auto bytes = builder.bytes();
  return {bytes.begin(), bytes.end()};
}

const wire::Envelope& verified_envelope(const std::vector<std::uint8_t>& bytes) {
  flatbuffers::Verifier verifier(bytes.data(), bytes.size());
  REQUIRE(wire::VerifyEnvelopeBuffer(verifier));
  return *wire::GetEnvelope(bytes.data());
}

// A delivery wrapping `envelope`, laid out as the broker lays it out.
Delivery make_delivery(const std::vector<std::uint8_t>& envelope) {
  flatbuffers::FlatBufferBuilder fbb;
  const auto origin = wire::CreateAuthenticatedOriginDirect(fbb, "COL", "col-radar", "sensor");
  const auto broker_id = fbb.CreateString("test-broker");
  fbb.ForceVectorAlignment(envelope.size(), sizeof(std::uint8_t), wire::kAlignment);
  const auto nested = fbb.CreateVector(envelope.data(), envelope.size());
  wire::DeliveryBuilder header(fbb);
  header.add_sequence(42);
  header.add_receive_time_ns(1700000000000000000);
  header.add_origin(origin);
  header.add_broker_id(broker_id);
  header.add_envelope(nested);
  fbb.Finish(header.Finish(), wire::DeliveryIdentifier());
  auto buffer = std::make_shared<flatbuffers::DetachedBuffer>(fbb.Release());
  return *Delivery::from_bytes(buffer, wire::Bytes(buffer->data(), buffer->size()));
}

}  // namespace

TEST_CASE("payload type names are the schema's, matched without regard to case", "[cli][codec]") {
  CHECK(cli::payload_type_from_name("Track") == wire::Payload::Track);
  CHECK(cli::payload_type_from_name("positionreport") == wire::Payload::PositionReport);
  CHECK(cli::payload_type_from_name("Opaque") == wire::Payload::Opaque);
  CHECK_FALSE(cli::payload_type_from_name("Sealed").has_value());  // not writable by hand
  CHECK_FALSE(cli::payload_type_from_name("NONE").has_value());
  CHECK_FALSE(cli::payload_type_from_name("").has_value());
  CHECK(cli::payload_type_name(wire::Payload::SpotReport) == "SpotReport");
}

TEST_CASE("classification names are those of policy files", "[cli][codec]") {
  CHECK(cli::classification_from_name("UNCLASSIFIED") == wire::Classification::Unclassified);
  CHECK(cli::classification_from_name("secret") == wire::Classification::Secret);
  CHECK(cli::classification_from_name("Top Secret") == wire::Classification::TopSecret);
  CHECK(cli::classification_from_name("TOP-SECRET") == wire::Classification::TopSecret);
  CHECK_FALSE(cli::classification_from_name("COSMIC").has_value());
  CHECK(cli::classification_name(wire::Classification::Restricted) == "RESTRICTED");
}

TEST_CASE("message ids print in the RFC 4122 layout", "[cli][codec]") {
  const wire::Uuid id(0x1b4e28ba2fa141d2ULL, 0x883f0016d3cca427ULL);
  CHECK(cli::format_uuid(id) == "1b4e28ba-2fa1-41d2-883f-0016d3cca427");
  CHECK(cli::format_uuid(wire::Uuid(0, 0)) == "00000000-0000-0000-0000-000000000000");
}

TEST_CASE("JSON with the schema's field names becomes the payload table", "[cli][codec]") {
  const JsonCodec codec;
  const auto payload = codec.json_to_payload(wire::Payload::Track, kTrackJson);
  REQUIRE(payload.ok());
  flatbuffers::Verifier verifier(payload->data(), payload->size());
  REQUIRE(verifier.VerifyBuffer<wire::Track>(nullptr));
  const auto* track = flatbuffers::GetRoot<wire::Track>(payload->data());
  CHECK(track->track_id()->str() == "T1");
  CHECK(track->identity() == wire::StandardIdentity::Suspect);
  REQUIRE(track->position()->point() != nullptr);
  CHECK(track->position()->point()->lat_deg() == Approx(-0.19));
  CHECK(track->position()->point()->lon_deg() == Approx(-74.78));
}

TEST_CASE("a JSON mistake is refused with the parser's message and line", "[cli][codec]") {
  const JsonCodec codec;
  SECTION("a misspelt field") {
    const auto payload = codec.json_to_payload(wire::Payload::Track,
                                               "{\"track_id\": \"T1\",\n \"trak\": 1}", "in.json");
    REQUIRE_FALSE(payload.ok());
    CHECK(payload.code() == Errc::invalid_argument);
    CHECK_THAT(payload.error().reason,
               Catch::Contains("in.json:2") && Catch::Contains("unknown field: trak"));
  }
  SECTION("an unknown enum value") {
    const auto payload = codec.json_to_payload(
        wire::Payload::Track, R"({"track_id": "T1", "position": {}, "identity": "Suspekt"})");
    REQUIRE_FALSE(payload.ok());
    CHECK_THAT(payload.error().reason, Catch::Contains("Suspekt"));
  }
  SECTION("a missing required field") {
    const auto payload = codec.json_to_payload(wire::Payload::Text, R"({"to": "col-cp"})");
    REQUIRE_FALSE(payload.ok());
    CHECK_THAT(payload.error().reason, Catch::Contains("required field is missing: body"));
  }
  SECTION("text that is not JSON") {
    CHECK_FALSE(codec.json_to_payload(wire::Payload::Text, "body: hola").ok());
    CHECK_FALSE(codec.json_to_payload(wire::Payload::Text, "").ok());
  }
  // A refusal leaves nothing behind: the next parse succeeds.
  CHECK(codec.json_to_payload(wire::Payload::Text, R"({"body": "hola"})").ok());
}

TEST_CASE("a parsed payload travels in an envelope and prints back as the same JSON",
          "[cli][codec]") {
  const JsonCodec codec;
  SECTION("Track") {
    const auto payload = codec.json_to_payload(wire::Payload::Track, kTrackJson);
    REQUIRE(payload.ok());
    const auto bytes = envelope_of(codec, wire::Payload::Track, *payload);
    const auto json = codec.payload_to_json(verified_envelope(bytes));
    REQUIRE(json.ok());
    CHECK(
        *json ==
        R"({"track_id":"T1","position":{"point":{"lat_deg":-0.19,"lon_deg":-74.78}},"identity":"Suspect"})");
  }
  SECTION("Alert, with a vector of strings and a nested table") {
    const auto payload = codec.json_to_payload(wire::Payload::Alert, R"({
        "alert_id": "A7", "severity": "High", "category": "Smuggling", "title": "canoe",
        "area": {"name": "box", "vertices": [{"lat_deg": 1, "lon_deg": 2}, {"lat_deg": 3, "lon_deg": 4}]},
        "related_tracks": ["T1", "T2"]})");
    REQUIRE(payload.ok());
    const auto bytes = envelope_of(codec, wire::Payload::Alert, *payload);
    const auto json = codec.payload_to_json(verified_envelope(bytes));
    REQUIRE(json.ok());
    CHECK(
        *json ==
        R"({"alert_id":"A7","severity":"High","category":"Smuggling","title":"canoe",)"
        R"("area":{"name":"box","vertices":[{"lat_deg":1.0,"lon_deg":2.0},{"lat_deg":3.0,"lon_deg":4.0}]},)"
        R"("related_tracks":["T1","T2"]})");
  }
  SECTION("Opaque bytes") {
    const auto payload = codec.json_to_payload(
        wire::Payload::Opaque, R"({"content_type": "application/x", "data": [0, 255]})");
    REQUIRE(payload.ok());
    const auto bytes = envelope_of(codec, wire::Payload::Opaque, *payload);
    const auto& envelope = verified_envelope(bytes);
    REQUIRE(envelope.payload_as_Opaque() != nullptr);
    CHECK(envelope.payload_as_Opaque()->data()->size() == 2);
    CHECK(codec.payload_to_json(envelope).value() ==
          R"({"content_type":"application/x","data":[0,255]})");
  }
}

TEST_CASE("fields holding NaN (unknown) are left out of the JSON", "[cli][codec]") {
  // FlatBuffers builders store NaN explicitly (NaN never equals the NaN default), and its
  // text generator would print the token nan, which is not JSON.
  const JsonCodec codec;
  EnvelopeEncoder builder;
  const wire::GeoPoint point(4.5, -73.25);
  const auto position = wire::CreatePosition(
      builder.fbb(), &point, std::nan(""), wire::AltitudeReference::Unknown, 12.5f, std::nanf(""));
  const auto track = wire::CreateTrackDirect(builder.fbb(), "T9", position);
  builder.finish("track.COL.radar.T9", {"COL", "col-radar"}, track, {});
  const auto bytes = builder.bytes();
  const std::vector<std::uint8_t> copy(bytes.begin(), bytes.end());
  const auto& envelope = verified_envelope(copy);
  REQUIRE(std::isnan(envelope.payload_as_Track()->position()->altitude_m()));

  const auto json = codec.payload_to_json(envelope);
  REQUIRE(json.ok());
  CHECK(
      *json ==
      R"({"track_id":"T9","position":{"point":{"lat_deg":4.5,"lon_deg":-73.25},"horizontal_error_m":12.5}})");
}

TEST_CASE("compact_json drops non-finite members and nulls non-finite array elements",
          "[cli][codec]") {
  CHECK(cli::compact_json(R"({"a": nan,"b": 1})") == R"({"b":1})");
  CHECK(cli::compact_json(R"({"a": 1,"b": -nan})") == R"({"a":1})");
  CHECK(cli::compact_json(R"({"a": inf})") == "{}");
  CHECK(cli::compact_json(R"({"v": [1.0,nan,-inf], "s": "nan, inf"})") ==
        R"({"v":[1.0,null,null],"s":"nan, inf"})");
  CHECK(cli::compact_json(R"({"o": {"x": nan}, "e": {}, "q": "a\"b"})") ==
        R"({"o":{},"e":{},"q":"a\"b"})");
  CHECK_FALSE(cli::compact_json(R"({"a": 1)").has_value());
  CHECK_FALSE(cli::compact_json(R"({"a" 1})").has_value());
}

TEST_CASE("compact_json refuses nesting deeper than 64 instead of overflowing the stack",
          "[cli][codec]") {
  // The input of tests/fuzz/regressions/fuzz_json/compact-json-deep-nesting, shortened.
  const auto nested = [](std::size_t depth) {
    return std::string(depth, '[') + std::string(depth, ']');
  };
  CHECK(cli::compact_json(nested(64)) == nested(64));
  CHECK_FALSE(cli::compact_json(nested(65)).has_value());
  CHECK_FALSE(cli::compact_json(nested(1'000'000)).has_value());  // no bound: a crash
  CHECK_FALSE(cli::compact_json(std::string(1'000'000, '{')).has_value());
}

TEST_CASE("a delivery prints as one line of JSON with the broker's header", "[cli][codec]") {
  const JsonCodec codec;
  const auto payload = codec.json_to_payload(wire::Payload::Track, kTrackJson);
  REQUIRE(payload.ok());
  PublishOptions options;
  options.label.releasable_to = {"ECU", "PER"};
  options.label.classification = wire::Classification::Restricted;
  const auto envelope = envelope_of(codec, wire::Payload::Track, *payload, options);
  const Delivery delivery = make_delivery(envelope);

  const std::string line = codec.delivery_to_json(delivery);
  CHECK(line.find('\n') == std::string::npos);
  CHECK_THAT(line, Catch::StartsWith(R"({"sequence":42,"receive_time_ns":1700000000000000000,)"
                                     R"("topic":"track.COL.radar.T1","id":")"));
  CHECK_THAT(line,
             Catch::Contains(R"("origin":{"nation":"COL","system":"col-radar","role":"sensor"})"));
  CHECK_THAT(line, Catch::Contains(R"("broker_id":"test-broker")"));
  CHECK_THAT(line,
             Catch::Contains(R"("releasable_to":["ECU","PER"],"classification":"RESTRICTED")"));
  CHECK_THAT(line, Catch::Contains(R"("snapshot":false)"));
  CHECK_THAT(
      line,
      Catch::EndsWith(
          R"("payload_type":"Track","payload":{"track_id":"T1","position":{"point":{"lat_deg":-0.19,)"
          R"("lon_deg":-74.78}},"identity":"Suspect"}})"));
  CHECK_THAT(line, Catch::Contains(cli::format_uuid(*delivery.envelope().id())));
}

TEST_CASE("a payload string that is not UTF-8 is reported instead of printed", "[cli][codec]") {
  const JsonCodec codec;
  EnvelopeEncoder builder;
  const auto text = wire::CreateTextDirect(builder.fbb(), "caf\xe9");
  builder.finish("text.COL.chat", {"COL", "col-cp"}, text, {});
  const auto bytes = builder.bytes();
  const std::vector<std::uint8_t> copy(bytes.begin(), bytes.end());
  const Delivery delivery = make_delivery(copy);

  CHECK_FALSE(codec.payload_to_json(delivery.envelope()).ok());
  const std::string line = codec.delivery_to_json(delivery);
  CHECK_THAT(line, Catch::EndsWith(
                       R"("payload_type":"Text","payload":null,)"
                       R"("payload_error":"the payload holds a string that is not valid UTF-8"})"));
}
