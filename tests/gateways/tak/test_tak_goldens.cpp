// Golden files of the TAK gateway's translations (tests/gateways/tak/golden/): for each
// case, CoT XML in (<case>.cot.xml) -> bus payload as JSON (<case>.bus.json) -> CoT XML
// out (<case>.out.xml), and the same through TAK Protocol v1 (<case>.in.takp.hex: the
// input's stream frame; <case>.out.takp.hex: the output's). A difference fails the test;
// ENLACE_UPDATE_GOLDENS=1 rewrites the expected files instead (then review the diff).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <fmt/format.h>

#include "cot_xml.hpp"
#include "golden_file.hpp"
#include "json_codec.hpp"
#include "mapping.hpp"
#include "negotiation.hpp"
#include "stream_decoder.hpp"
#include "tak_proto.hpp"

namespace tak = enlace::tak;
namespace wire = enlace::wire;

namespace {

const std::filesystem::path kGoldens = ENLACE_TAK_GOLDEN_DIR;
// 2026-12-02T08:00:00Z, the time of every golden input.
constexpr std::int64_t kNowMs = 1'796'198'400'000;

using enlace::gateway::test::read_file;

std::string hex(std::string_view bytes) {
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    out += fmt::format("{:02x}{}", static_cast<unsigned char>(bytes[i]),
                       (i + 1) % 32 == 0 ? "\n" : "");
  }
  if (!out.empty() && out.back() != '\n') out += '\n';
  return out;
}

// Compares with the golden file, or rewrites it under ENLACE_UPDATE_GOLDENS=1.
void check_golden(const std::string& name, const std::string& actual) {
  enlace::gateway::test::check_golden(kGoldens / name, actual);
}

// The envelope a COL gateway would publish for `event`, built without the SDK's clock so
// the goldens are stable: publish time = the event's time, stale = its stale.
std::vector<std::uint8_t> envelope_of(const tak::CotEvent& event, std::string& topic) {
  flatbuffers::FlatBufferBuilder fbb;
  tak::InboundContext context;
  context.nation = "COL";
  context.now_ms = kNowMs;
  auto message = tak::to_bus(event, context, fbb);
  REQUIRE(message.ok());
  topic = message->topic;
  const wire::Uuid id(0x0123456789abcdefULL, 0x0fedcba987654321ULL);
  const auto origin = wire::CreateOriginDirect(fbb, "COL", "col-tak");
  const std::vector<std::string> rel = {"COL", "ECU"};
  const auto label = wire::CreateConfidentialityLabel(fbb, 0, wire::Classification::Unclassified,
                                                      fbb.CreateVectorOfStrings(rel));
  const auto envelope = wire::CreateEnvelopeDirect(
      fbb, &id, origin, topic.c_str(), event.time_ms * 1'000'000, message->stale_ms * 1'000'000,
      label, message->type, message->payload);
  fbb.Finish(envelope, "ENV1");
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

void run_case(const std::string& name) {
  const std::string input = read_file(kGoldens / (name + ".cot.xml"));
  auto event = tak::decode_xml(input);
  REQUIRE(event.ok());

  std::string topic;
  const auto bytes = envelope_of(*event, topic);
  const auto* envelope = wire::GetEnvelope(bytes.data());
  enlace::cli::JsonCodec codec;
  const auto json = codec.payload_to_json(*envelope);
  REQUIRE(json.ok());
  check_golden(
      name + ".bus.json",
      fmt::format("{{\"topic\":{},\"payload_type\":\"{}\",\"stale_time_ns\":{},\"payload\":{}}}\n",
                  enlace::cli::json_quote(topic), wire::EnumNamePayload(envelope->payload_type()),
                  envelope->stale_time_ns(), *json));

  tak::OutboundContext outbound{"COL", "col-tak", kNowMs};
  const auto out = tak::to_cot(*envelope, outbound);
  REQUIRE(out.has_value());
  check_golden(name + ".out.xml", tak::encode_xml(*out, true));

  // The same event as a TAK v1 client sends it decodes to the same event, so it maps to
  // the same payload; the output goes back as a v1 frame.
  const std::string in_frame = tak::stream_frame(tak::encode_proto(*event));
  check_golden(name + ".in.takp.hex", hex(in_frame));
  tak::StreamDecoder decoder(64 * 1024);
  decoder.set_mode(tak::StreamMode::protobuf);
  decoder.feed(in_frame);
  auto payload = decoder.next();
  REQUIRE(payload.ok());
  REQUIRE(payload->has_value());
  auto from_proto = tak::decode_proto(**payload);
  REQUIRE(from_proto.ok());
  CHECK(*from_proto == *event);
  check_golden(name + ".out.takp.hex", hex(tak::stream_frame(tak::encode_proto(*out))));

  // Equivalence after the round trip: same uid, type, how, point and times, the input's
  // detail elements all present, plus the gateway's marking.
  CHECK(out->uid == event->uid);
  CHECK(out->type == event->type);
  CHECK(out->how == event->how);
  CHECK(out->lat == Approx(event->lat));
  CHECK(out->lon == Approx(event->lon));
  CHECK(out->time_ms == event->time_ms);
  CHECK(out->stale_ms == event->stale_ms);
  CHECK(out->xml_detail.find("<__enlace origin=\"COL\" system=\"col-tak\"") != std::string::npos);
}

}  // namespace

TEST_CASE("golden: friendly patrol becomes a PositionReport and comes back", "[tak][golden]") {
  run_case("friendly_patrol");
}
TEST_CASE("golden: hostile vessel becomes a Track with a sea-surface SIDC", "[tak][golden]") {
  run_case("hostile_vessel");
}
TEST_CASE("golden: unknown aircraft becomes a Track of an aircraft", "[tak][golden]") {
  run_case("unknown_aircraft");
}
TEST_CASE("golden: GeoChat becomes Text to its room", "[tak][golden]") {
  run_case("geochat");
}
TEST_CASE("golden: 911 emergency becomes a critical Alert", "[tak][golden]") {
  run_case("emergency_alert");
}
TEST_CASE("golden: drawn polygon becomes a Tasking area", "[tak][golden]") {
  run_case("tasking_polygon");
}

TEST_CASE("xml: hostile input is refused with a specific reason", "[tak][xml]") {
  CHECK(tak::decode_xml("<event").refusal().reason == tak::Reason::bad_xml);
  CHECK(tak::decode_xml("<!DOCTYPE x [<!ENTITY a 'b'>]><event/>").refusal().reason ==
        tak::Reason::bad_xml);
  CHECK(tak::decode_xml("<evt uid='a' type='a-f'/>").refusal().reason == tak::Reason::bad_event);
  CHECK(tak::decode_xml(
            "<event type='a-f-G' time='2026-12-02T08:00:00Z' stale='2026-12-02T08:00:00Z'>"
            "<point lat='0' lon='0'/></event>")
            .refusal()
            .reason == tak::Reason::bad_event);
  CHECK(tak::decode_xml(std::string(70'000, ' ')).refusal().reason == tak::Reason::oversize);
  std::string deep =
      "<event uid='u' type='a-f-G' time='2026-12-02T08:00:00Z' stale='2026-12-02T08:01:00Z'>"
      "<point lat='0' lon='0'/><detail>";
  for (int i = 0; i < 40; ++i) deep += "<x>";
  for (int i = 0; i < 40; ++i) deep += "</x>";
  deep += "</detail></event>";
  CHECK(tak::decode_xml(deep).refusal().reason == tak::Reason::bad_xml);
}

TEST_CASE("xml: CoT times with any number of fraction digits", "[tak][xml]") {
  CHECK(tak::parse_cot_time("2026-12-02T08:00:00Z") == kNowMs);
  CHECK(tak::parse_cot_time("2026-12-02T08:00:00.5Z") == kNowMs + 500);
  CHECK(tak::parse_cot_time("2026-12-02T08:00:00.123456Z") == kNowMs + 123);
  CHECK_FALSE(tak::parse_cot_time("2026-13-02T08:00:00Z"));
  // From fuzz_cot_xml (regressions/fuzz_cot_xml/time-before-1970): TAK v1 times are
  // unsigned ms since 1970, so the event did not survive the way to protocol 1 clients.
  CHECK_FALSE(tak::parse_cot_time("1013-12-02T08:00:00Z"));
  CHECK_FALSE(tak::parse_cot_time("1969-12-31T23:59:59.999Z"));
  CHECK(tak::parse_cot_time("1970-01-01T00:00:00Z") == 0);
  // From fuzz_cot_xml (regressions/fuzz_cot_xml/time-after-2262): the mapping's ns times
  // overflowed int64 (UBSan: signed integer overflow in mapping.cpp).
  CHECK(tak::parse_cot_time("2262-04-11T00:00:00Z"));
  CHECK_FALSE(tak::parse_cot_time("2262-04-12T00:00:00Z"));
  CHECK_FALSE(tak::parse_cot_time("4052-12-02T08:00:00Z"));
  tak::CotEvent late;
  late.uid = "u";
  late.type = "a-f-G";
  late.time_ms = late.start_ms = tak::kMaxTimeMs + 1;
  late.stale_ms = tak::kMaxTimeMs + 2;
  CHECK(tak::decode_proto(tak::encode_proto(late)).refusal().reason == tak::Reason::bad_event);
  CHECK(tak::format_cot_time(kNowMs + 7) == "2026-12-02T08:00:00.007Z");
}

TEST_CASE("mapping: unknown types, expired events and the gateway's own output are refused",
          "[tak][mapping]") {
  flatbuffers::FlatBufferBuilder fbb;
  tak::InboundContext context;
  context.nation = "COL";
  context.now_ms = kNowMs;
  auto event = tak::decode_xml(read_file(kGoldens / "hostile_vessel.cot.xml"));
  REQUIRE(event.ok());
  auto unknown = *event;
  unknown.type = "y-a-r";
  CHECK(tak::to_bus(unknown, context, fbb).refusal().reason == tak::Reason::unknown_type);
  auto expired = *event;
  expired.stale_ms = kNowMs - 1;
  CHECK(tak::to_bus(expired, context, fbb).refusal().reason == tak::Reason::expired);
  auto looped = *event;
  looped.xml_detail += "<__enlace origin=\"ECU\" system=\"ecu-tak\" releasability=\"REL TO COL\"/>";
  CHECK(tak::to_bus(looped, context, fbb).refusal().reason == tak::Reason::loop);
}

TEST_CASE("stream: XML events split after </event>, then TAK v1 frames after negotiation",
          "[tak][stream]") {
  tak::StreamDecoder decoder(64 * 1024);
  auto request = tak::protocol_offer(kNowMs);
  request.type = std::string(tak::kTypeProtocolRequest);
  request.xml_detail = "<TakControl><TakRequest version=\"1\"/></TakControl>";
  const std::string xml = tak::encode_xml(request);
  auto ping = tak::protocol_offer(kNowMs);
  ping.type = std::string(tak::kTypePing);
  const std::string frame = tak::stream_frame(tak::encode_proto(ping));
  // Request and the first binary frame in one read, split in the middle of the frame.
  const std::string all = "\n" + xml + frame;
  decoder.feed(std::string_view(all).substr(0, all.size() - 3));
  auto first = decoder.next();
  REQUIRE(first.ok());
  REQUIRE(first->has_value());
  auto decoded = tak::decode_xml(**first);
  REQUIRE(decoded.ok());
  CHECK(tak::requested_version(*decoded) == 1u);
  decoder.set_mode(tak::StreamMode::protobuf);
  auto partial = decoder.next();
  REQUIRE(partial.ok());
  CHECK_FALSE(partial->has_value());
  decoder.feed(std::string_view(all).substr(all.size() - 3));
  auto second = decoder.next();
  REQUIRE(second.ok());
  REQUIRE(second->has_value());
  auto pong = tak::decode_proto(**second);
  REQUIRE(pong.ok());
  CHECK(pong->type == tak::kTypePing);
}

TEST_CASE("stream: bad framing and oversize frames are fatal", "[tak][stream]") {
  tak::StreamDecoder wrong_magic(1024);
  wrong_magic.set_mode(tak::StreamMode::protobuf);
  wrong_magic.feed("\x01\x02");
  CHECK(wrong_magic.next().refusal().reason == tak::Reason::bad_framing);

  tak::StreamDecoder too_long(1024);
  too_long.set_mode(tak::StreamMode::protobuf);
  too_long.feed("\xbf\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01");
  CHECK(too_long.next().refusal().reason == tak::Reason::bad_framing);

  tak::StreamDecoder big(1024);
  big.set_mode(tak::StreamMode::protobuf);
  big.feed("\xbf\x80\x10");  // 2048 bytes announced
  CHECK(big.next().refusal().reason == tak::Reason::oversize);

  tak::StreamDecoder endless_xml(1024);
  endless_xml.feed("<event>" + std::string(2000, 'x'));
  CHECK(endless_xml.next().refusal().reason == tak::Reason::oversize);
}

TEST_CASE("a TakMessage with a string that is not UTF-8 is refused without a line on stderr",
          "[tak][proto]") {
  // TakMessage { cotEvent = 2 { uid = 5: "\xff\xfe" } }
  const std::string hostile("\x12\x04\x2a\x02\xff\xfe", 6);
  std::FILE* captured = std::tmpfile();
  REQUIRE(captured);
  std::fflush(stderr);
  const int saved = ::dup(2);
  ::dup2(::fileno(captured), 2);
  const auto decoded = tak::decode_proto(hostile);
  std::fflush(stderr);
  ::dup2(saved, 2);
  ::close(saved);
  std::fseek(captured, 0, SEEK_END);
  const long written = std::ftell(captured);
  std::fclose(captured);
  REQUIRE_FALSE(decoded.ok());
  CHECK(decoded.refusal().reason == tak::Reason::bad_protobuf);
  CHECK(written == 0);
}

TEST_CASE("CoT XML that is not UTF-8 is refused, so that no TAK v1 client is sent it",
          "[tak][xml]") {
  // From fuzz_cot_xml (regressions/fuzz_cot_xml/attribute-name-not-utf8): pugixml accepted
  // the bytes, and the event's xmlDetail then did not parse as a TakMessage.
  const std::string head =
      "<event version=\"2.0\" uid=\"u\" type=\"a-f-G\" time=\"2026-12-02T08:00:00Z\" "
      "start=\"2026-12-02T08:00:00Z\" stale=\"2026-12-02T09:00:00Z\"><point lat=\"1\" "
      "lon=\"2\"/><detail><contact call";
  const std::string tail = "sign=\"A\"/></detail></event>";
  for (const std::string& bad :
       {std::string("\xff"), std::string("\xc0\xaf"), std::string("\xed\xa0\x80"),
        std::string("\xf4\x90\x80\x80"), std::string("\xe2\x82")}) {
    const auto decoded = tak::decode_xml(head + bad + tail);
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.refusal().reason == tak::Reason::bad_xml);
  }
  CHECK(tak::decode_xml(head + tail).ok());
  // UTF-8 beyond ASCII is fine: a callsign with accents and a euro sign.
  const auto accented = tak::decode_xml(head + tail.substr(0, 6) +
                                        "\xc3\x91"
                                        "and\xc3\xba \xe2\x82\xac" +
                                        tail.substr(7));
  REQUIRE(accented.ok());
  CHECK(accented->contact->callsign ==
        "\xc3\x91"
        "and\xc3\xba \xe2\x82\xac");
}
