// fuzz_json: the enlace tool's JSON codec (tools/enlace/json_codec.hpp, library
// enlace_cli_codec): JSON written by hand into payload tables (`enlace pub --json`),
// verified deliveries and envelopes back into JSON (`enlace sub`), compact_json, and the
// name and quoting helpers.
//
// Input: byte 0 picks the mode (modulo 4), byte 1 is the mode's argument, the rest is the
// mode's data:
//   0  JSON text; argument: the payload type (index into publishable_types())
//   1  text for compact_json
//   2  a Delivery (argument even) or an Envelope (argument odd) FlatBuffer
//   3  a name for payload_type_from_name / classification_from_name, and text to quote
//
// Note: the JSON parser and text generator are FlatBuffers' own (libflatbuffers from
// Debian, not instrumented), so coverage guides the fuzzer through the codec's code and
// the generated accessors only; ASan still sees every access made from instrumented code.
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "enlace/delivery.hpp"
#include "enlace/envelope_builder.hpp"
#include "enlace/protocol/frame.hpp"
#include "fuzz_support.hpp"
#include "json_codec.hpp"

namespace {

using namespace enlace;
using cli::JsonCodec;

const JsonCodec& codec() {
  static const JsonCodec instance;
  return instance;
}

template <class Table>
bool verifies_as(std::span<const std::uint8_t> bytes) {
  flatbuffers::Verifier verifier(bytes.data(), bytes.size());
  return verifier.VerifyBuffer<Table>(nullptr);
}

// Whether a json_to_payload() result is a valid FlatBuffer whose root is a `type` table.
bool verifies_as(wire::Payload type, std::span<const std::uint8_t> bytes) {
  switch (type) {
    case wire::Payload::Track:
      return verifies_as<wire::Track>(bytes);
    case wire::Payload::PositionReport:
      return verifies_as<wire::PositionReport>(bytes);
    case wire::Payload::Detection:
      return verifies_as<wire::Detection>(bytes);
    case wire::Payload::Alert:
      return verifies_as<wire::Alert>(bytes);
    case wire::Payload::SpotReport:
      return verifies_as<wire::SpotReport>(bytes);
    case wire::Payload::Tasking:
      return verifies_as<wire::Tasking>(bytes);
    case wire::Payload::Text:
      return verifies_as<wire::Text>(bytes);
    case wire::Payload::Sealed:
      return verifies_as<wire::Sealed>(bytes);
    case wire::Payload::Opaque:
      return verifies_as<wire::Opaque>(bytes);
    default:
      return false;
  }
}

// compact_json's output is compact JSON of the same shape: compacting it again changes
// nothing.
void check_compact_fixed_point(std::string_view json) {
  const auto again = cli::compact_json(json);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(*again == json);
}

// `enlace pub`: JSON -> payload table -> envelope; then `enlace sub` prints it back.
void json_to_envelope(std::uint8_t argument, std::string_view json, fuzz::Sink& sink) {
  const auto types = cli::publishable_types();
  const wire::Payload type = types[argument % types.size()];
  const auto payload = codec().json_to_payload(type, json, "fuzz.json");
  if (!payload) {
    FUZZ_CHECK(payload.code() == Errc::invalid_argument);
    sink.string_view(payload.error().reason);
    return;
  }
  FUZZ_CHECK(verifies_as(type, *payload));

  EnvelopeEncoder builder;
  const auto offset = codec().copy_payload(builder.fbb(), type, *payload);
  builder.finish_any("fuzz.COL.json", {"COL", "col-cp"}, type, offset, {});
  const fuzz::AlignedBuffer envelope(builder.bytes().data(), builder.bytes().size());
  const wire::FrameView frame{wire::Command::publish, 0, envelope.bytes()};
  FUZZ_CHECK(wire::verify_body(frame) == Errc::ok);
  fuzz::read(sink, wire::envelope_of(frame));

  const auto printed = codec().payload_to_json(*wire::envelope_of(frame));
  if (!printed) {
    sink.string_view(printed.error().reason);
    return;
  }
  check_compact_fixed_point(*printed);
  sink.string_view(*printed);
}

void delivery_or_envelope_to_json(std::uint8_t argument, std::span<const std::uint8_t> bytes,
                                  fuzz::Sink& sink) {
  const fuzz::AlignedBuffer buffer(bytes.data(), bytes.size());
  if (argument % 2 == 0) {
    const wire::FrameView frame{wire::Command::deliver, 0, buffer.bytes()};
    if (wire::verify_body(frame) != Errc::ok) return;
    const auto verified = Delivery::from_bytes(nullptr, buffer.bytes());
    if (!verified) __builtin_trap();  // verify_body() accepted it
    const Delivery& delivery = *verified;
    const std::string line = codec().delivery_to_json(delivery);
    FUZZ_CHECK(line.find('\n') == std::string::npos);  // one delivery, one line
    check_compact_fixed_point(line);
    sink.string_view(line);
    return;
  }
  const wire::FrameView frame{wire::Command::publish, 0, buffer.bytes()};
  if (wire::verify_body(frame) != Errc::ok) return;
  const auto printed = codec().payload_to_json(*wire::envelope_of(frame));
  if (printed) {
    check_compact_fixed_point(*printed);
    sink.string_view(*printed);
  } else {
    sink.string_view(printed.error().reason);
  }
}

void names(std::string_view text, fuzz::Sink& sink) {
  if (const auto type = cli::payload_type_from_name(text)) {
    FUZZ_CHECK(cli::payload_type_from_name(cli::payload_type_name(*type)) == type);
  }
  if (const auto level = cli::classification_from_name(text)) {
    FUZZ_CHECK(cli::classification_from_name(cli::classification_name(*level)) == level);
  }
  // A quoted string is one JSON value, which compact_json passes through unchanged.
  const std::string quoted = cli::json_quote(text);
  FUZZ_CHECK(quoted.size() >= text.size() + 2);
  for (const char c : quoted) FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20);
  check_compact_fixed_point(quoted);
  sink.string_view(quoted);
  if (text.size() >= 16) {
    std::uint64_t halves[2];
    std::memcpy(halves, text.data(), sizeof(halves));
    const std::string id = cli::format_uuid(wire::Uuid(halves[0], halves[1]));
    FUZZ_CHECK(id.size() == 36);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  codec();  // loads the embedded schema once
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint8_t mode = data[0] % 4;
  const std::uint8_t argument = data[1];
  const std::span<const std::uint8_t> rest(data + 2, size - 2);
  const std::string_view text(reinterpret_cast<const char*>(rest.data()), rest.size());
  fuzz::Sink sink;
  switch (mode) {
    case 0:
      json_to_envelope(argument, text, sink);
      break;
    case 1:
      if (const auto compact = cli::compact_json(text)) {
        check_compact_fixed_point(*compact);
        sink.string_view(*compact);
      }
      break;
    case 2:
      delivery_or_envelope_to_json(argument, rest, sink);
      break;
    default:
      names(text, sink);
      break;
  }
  return 0;
}
