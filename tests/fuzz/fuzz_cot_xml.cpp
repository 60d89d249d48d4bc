// fuzz_cot_xml: a CoT XML event as a TAK client sends it (gateways/tak/src/cot_xml.hpp),
// through everything the gateway does with one: decode_xml, the mapping to a bus payload
// (to_bus, finished and verified as an Envelope), and the encoders back to XML and to
// TAK Protocol v1.
//
// Properties: an accepted event has a uid, a type and a point inside WGS 84; what
// encode_xml writes decodes again to the same uid, type, how (h-g-i-g-o for a missing
// one), times and point; what
// encode_proto writes decodes as TAK v1 to the same; the envelope of a payload to_bus
// builds passes verify_body, and to_cot of it (the way back to TAK clients) encodes to
// XML that decodes again.
//
// pugixml is Debian's shared library, not instrumented: coverage guides the fuzzer through
// the codec and the mapping, and ASan sees what instrumented code touches.
#include <cstdint>
#include <string_view>

#include "cot_xml.hpp"
#include "enlace/envelope_builder.hpp"
#include "enlace/wire.hpp"
#include "fuzz_support.hpp"
#include "mapping.hpp"
#include "tak_proto.hpp"

using namespace enlace::tak;

namespace {

bool same_point(double a, double b) {
  return a == b || (is_unknown(a) && is_unknown(b));
}

void check_same(const CotEvent& a, const CotEvent& b) {
  FUZZ_CHECK(a.uid == b.uid);
  FUZZ_CHECK(a.type == b.type);
  // A missing `how` (tolerated on input) is written as h-g-i-g-o, as the XSD requires one.
  FUZZ_CHECK(a.how == b.how || (a.how.empty() && b.how == "h-g-i-g-o"));
  FUZZ_CHECK(a.time_ms == b.time_ms);
  FUZZ_CHECK(a.stale_ms == b.stale_ms);
  FUZZ_CHECK(a.lat == b.lat);
  FUZZ_CHECK(a.lon == b.lon);
  FUZZ_CHECK(same_point(a.hae, b.hae));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view xml(reinterpret_cast<const char*>(data), size);
  const XmlLimits limits{};
  const auto decoded = decode_xml(xml, limits);
  if (!decoded) return 0;
  const CotEvent& event = *decoded;
  FUZZ_CHECK(!event.uid.empty() && !event.type.empty());
  FUZZ_CHECK(event.lat >= -90 && event.lat <= 90 && event.lon >= -180 && event.lon <= 180);

  const std::string again = encode_xml(event);
  const auto redecoded = decode_xml(again, XmlLimits{again.size() + 1});
  FUZZ_CHECK(redecoded.ok());
  check_same(event, *redecoded);

  const std::string proto = encode_proto(event);
  const auto from_proto = decode_proto(proto, XmlLimits{proto.size() + again.size() + 1});
  FUZZ_CHECK(from_proto.ok());
  check_same(event, *from_proto);

  enlace::EnvelopeEncoder encoder;
  InboundContext context;
  context.nation = "ECU";
  context.unit = "E21";
  context.callsign = "JAGUAR 21";
  context.now_ms = event.time_ms;  // not yet stale, so that most events map
  const auto message = to_bus(event, context, encoder.fbb());
  if (!message) return 0;
  FUZZ_CHECK(!message->topic.empty());
  enlace::PublishOptions options;
  options.label.releasable_to = {"COL"};
  encoder.finish_any(message->topic, {"ECU", "ecu-tak"}, message->type, message->payload, options);
  const enlace::fuzz::AlignedBuffer buffer(encoder.bytes().data(), encoder.bytes().size());
  const enlace::wire::FrameView frame{enlace::wire::Command::publish, 0, buffer.bytes()};
  FUZZ_CHECK(enlace::wire::verify_body(frame) == enlace::Errc::ok);

  OutboundContext outbound{"ECU", "ecu-tak", event.time_ms, 300'000};
  const auto back = to_cot(*enlace::wire::envelope_of(frame), outbound);
  if (!back) return 0;
  const std::string out = encode_xml(*back);
  FUZZ_CHECK(decode_xml(out, XmlLimits{out.size() + 1}).ok());
  return 0;
}
