// Golden files of enlace-web's bus -> browser mapping (tests/gateways/web/golden/): for
// each case, an envelope described in <case>.in.toml (topic, origin, times, label, and the
// payload as JSON with the schema's field names) -> the item's JSON in <case>.out.json.
// A difference fails the test; ENLACE_UPDATE_GOLDENS=1 rewrites the expected files
// instead (then review the diff).
#include <catch2/catch.hpp>

#include <toml++/toml.h>

#include <filesystem>

#include "golden_file.hpp"
#include "json_codec.hpp"
#include "json_text.hpp"
#include "mapping.hpp"

namespace web = enlace::web;
namespace wire = enlace::wire;

namespace {

const std::filesystem::path kGoldens = ENLACE_WEB_GOLDEN_DIR;
constexpr std::int64_t kNowMs = 1'796'198'400'000;  // 2026-12-02T08:00:00Z
constexpr std::int64_t kDefaultStaleMs = 300'000;

// The envelope <case>.in.toml describes, as a publisher would have built it.
std::vector<std::uint8_t> envelope_of(const toml::table& in) {
  enlace::cli::JsonCodec codec;
  const auto type = enlace::cli::payload_type_from_name(in["payload_type"].value_or(""));
  REQUIRE(type.has_value());
  auto payload = codec.json_to_payload(*type, in["payload"].value_or(""));
  INFO((payload.ok() ? std::string() : payload.error().reason));
  REQUIRE(payload.ok());
  flatbuffers::FlatBufferBuilder fbb;
  const auto payload_offset = codec.copy_payload(fbb, *type, *payload);
  std::vector<std::string> nations;
  if (const auto* list = in["releasable_to"].as_array()) {
    for (const auto& n : *list) nations.push_back(n.value_or(""));
  }
  const auto level = enlace::cli::classification_from_name(in["classification"].value_or("UNMARKED"));
  REQUIRE(level.has_value());
  const auto label = wire::CreateConfidentialityLabel(fbb, 0, *level, fbb.CreateVectorOfStrings(nations));
  const auto origin = wire::CreateOriginDirect(fbb, in["nation"].value_or(""), in["system"].value_or(""));
  const wire::Uuid id(0x0123456789abcdefULL, 0x0fedcba987654321ULL);
  const auto envelope = wire::CreateEnvelopeDirect(
      fbb, &id, origin, in["topic"].value_or(""), in["publish_time_ns"].value_or(std::int64_t{0}),
      in["stale_time_ns"].value_or(std::int64_t{0}), label, *type, payload_offset);
  fbb.Finish(envelope, "ENV1");
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

void run_case(const std::string& name) {
  const auto in = toml::parse_file((kGoldens / (name + ".in.toml")).string());
  const auto bytes = envelope_of(in);
  flatbuffers::Verifier verifier(bytes.data(), bytes.size());
  REQUIRE(wire::VerifyEnvelopeBuffer(verifier));
  const std::string nation = in["nation"].value_or("");
  const std::string system = in["system"].value_or("");
  const auto item = web::to_item(*wire::GetEnvelope(bytes.data()), {nation, system}, kNowMs,
                                 kDefaultStaleMs);
  REQUIRE(item.has_value());
  enlace::gateway::test::check_golden(kGoldens / (name + ".out.json"), item->json + "\n");
}

}  // namespace

TEST_CASE("golden: a hostile vessel keeps its own SIDC and its label", "[web][golden]") {
  run_case("hostile_vessel");
}
TEST_CASE("golden: a track without a valid SIDC gets one from identity and kind", "[web][golden]") {
  run_case("derived_sidc");
}
TEST_CASE("golden: a patrol's fix is a friendly unit, stale after the default", "[web][golden]") {
  run_case("friendly_unit");
}
TEST_CASE("golden: a drone detection released to ECU only says REL TO ECU", "[web][golden]") {
  run_case("drone_detection");
}
TEST_CASE("golden: an alert with its location and related tracks", "[web][golden]") {
  run_case("river_alert");
}
TEST_CASE("golden: a SALUTE spot report", "[web][golden]") {
  run_case("spot_report");
}
TEST_CASE("golden: chat markup stays text", "[web][golden]") {
  run_case("chat_markup");
}

TEST_CASE("payloads the page does not show map to nothing", "[web]") {
  flatbuffers::FlatBufferBuilder fbb;
  const auto opaque = wire::CreateOpaqueDirect(fbb, "application/octet-stream");
  const auto origin = wire::CreateOriginDirect(fbb, "COL", "col-x");
  const wire::Uuid id(1, 2);
  fbb.Finish(wire::CreateEnvelopeDirect(fbb, &id, origin, "x.COL.y", 0, 0, 0,
                                        wire::Payload::Opaque, opaque.Union()),
             "ENV1");
  CHECK_FALSE(web::to_item(*wire::GetEnvelope(fbb.GetBufferPointer()), {"COL", "col-x"}, kNowMs,
                           kDefaultStaleMs));
}

TEST_CASE("JSON strings stay valid UTF-8 and inert in a page", "[web]") {
  CHECK(web::quote("Leguízamo") == "\"Leguízamo\"");
  CHECK(web::quote("a\xff" "b") == "\"a\\ufffdb\"");
  CHECK(web::quote("\xed\xa0\x80") == "\"\\ufffd\\ufffd\\ufffd\"");  // a UTF-16 surrogate
  CHECK(web::quote("</script>") == "\"\\u003c/script\\u003e\"");
  CHECK(web::quote(std::string_view("\x00\x1b", 2)) == "\"\\u0000\\u001b\"");
}

TEST_CASE("a derived SIDC has the 20 digits of 2525D", "[web]") {
  const auto sidc = web::derived_sidc(wire::StandardIdentity::Hostile, wire::BattleDimension::SeaSurface,
                                      wire::ContactKind::Vessel);
  CHECK(sidc == "10063000000000000000");
  CHECK(sidc.size() == 20);
}
