// Decoder and configuration behaviours that the golden files do not show one by one:
// bounds, clocks, reassembly limits, configuration errors.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "common/config.hpp"
#include "common/line_buffer.hpp"
#include "nmea/config.hpp"
#include "nmea/decode/ais_bits.hpp"
#include "nmea/decode/ais_reassembly.hpp"
#include "nmea/decode/gpsd_json.hpp"
#include "nmea/decode/nmea_sentence.hpp"
#include "nmea/decode/tag_block.hpp"
#include "nmea/radio_units.hpp"
#include "sbs/config.hpp"
#include "sbs/decode/sbs_line.hpp"

using namespace enlace::gateway;

TEST_CASE("a line buffer holds at most its bound and skips a longer line whole", "[gateways]") {
  LineBuffer buffer(100);
  std::vector<std::string> lines;
  int too_long = 0;
  auto on_line = [&](std::string_view l) { lines.emplace_back(l); };
  auto on_too_long = [&] { ++too_long; };
  buffer.feed("$GPGLL,1*00\r\n$GP", on_line, on_too_long);
  CHECK(buffer.pending() == 3);
  for (int i = 0; i < 100; ++i) buffer.feed(std::string(1000, 'x'), on_line, on_too_long);
  CHECK(buffer.pending() == 0);
  CHECK(too_long == 1);
  buffer.feed("still the long line\n\r\n$GPZDA\n", on_line, on_too_long);
  REQUIRE(lines == std::vector<std::string>{"$GPGLL,1*00", "$GPZDA"});
}

TEST_CASE("NMEA framing: checksum, length, hex case, field count", "[gateways][nmea]") {
  using nmea::parse_sentence;
  CHECK(parse_sentence("$GPGLL,0011.46,S,07446.74,W,073009.00,A,D*6E"));
  CHECK(parse_sentence("$GPGLL,0011.46,S,07446.74,W,073009.00,A,D*6e"));
  CHECK(parse_sentence("$GPGLL,0011.46,S,07446.74,W,073009.00,A,D*6F").reject() ==
        Reject::checksum);
  CHECK(parse_sentence("$GPGLL,0011.46,S,07446.74,W,073009.00,A,D").reject() == Reject::malformed);
  CHECK(parse_sentence("$" + std::string(200, 'A') + "*00").reject() == Reject::too_long);
  std::string many = "GPXXX" + std::string(30, ',');
  CHECK(parse_sentence("$" + many + "*" + fmt::format("{:02X}", nmea::checksum(many))).reject() ==
        Reject::malformed);
  const auto s = parse_sentence("$GPGGA,1,,3*78");
  REQUIRE(s);
  CHECK(s->field(1).empty());
  CHECK(s->field(9).empty());  // a trailing field that is missing altogether
}

TEST_CASE("latitude and longitude: degrees and minutes, hemispheres, bounds", "[gateways][nmea]") {
  using namespace nmea;
  CHECK(parse_latitude("0011.4000", "S").value() == Approx(-0.19));
  CHECK(parse_longitude("07446.8000", "W").value() == Approx(-74.78));
  CHECK(parse_latitude("4807.038", "N").value() == Approx(48.1173));
  CHECK_FALSE(parse_latitude("9100.000", "N"));
  CHECK_FALSE(parse_latitude("0060.000", "N"));
  CHECK_FALSE(parse_latitude("0011.4000", "E"));
  CHECK_FALSE(parse_longitude("18100.000", "E"));
  CHECK_FALSE(parse_latitude("", "N"));
  CHECK(parse_ddmmyy("180320").value() == *days_from_civil(2020, 3, 18));
  CHECK(parse_ddmmyy("010199").value() == *days_from_civil(1999, 1, 1));
  CHECK_FALSE(parse_ddmmyy("300221"));
}

TEST_CASE("a fix without a date takes the day nearest the receive time", "[gateways][nmea]") {
  using nmea::RadioUnits;
  const std::int64_t day = 86'400'000'000'000;
  const std::int64_t now = 20'000 * day + 30 * 1'000'000'000LL;  // 00:00:30
  // 23:59:59 is yesterday's, 00:00:10 today's.
  CHECK(RadioUnits::fix_time(std::nullopt, day - 1'000'000'000, now) ==
        20'000 * day - 1'000'000'000);
  CHECK(RadioUnits::fix_time(std::nullopt, 10'000'000'000, now) == 20'000 * day + 10'000'000'000);
  CHECK(RadioUnits::fix_time(19'000, 0, now) == 19'000 * day);
}

TEST_CASE("AIS bits: signed fields and six-bit text", "[gateways][ais]") {
  const auto bits = nmea::AisBits::from_armored("1:p;bP@00oJack1wq2d4lkpt0000", 0);
  REQUIRE(bits);
  CHECK(bits->size() == 168);
  CHECK(bits->u(8, 30) == 730000001u);
  CHECK(bits->i(61, 28) == -74.78 * 600000);
  CHECK(nmea::AisBits::from_armored("1|", 0).reject() == Reject::bad_field);
  CHECK(nmea::AisBits::from_armored("1", 6).reject() == Reject::bad_field);
  CHECK(nmea::AisBits::from_armored(std::string(nmea::kMaxAisPayloadChars + 1, '0'), 0).reject() ==
        Reject::bad_field);
}

TEST_CASE("AIS reassembly is bounded in entries and time", "[gateways][ais]") {
  nmea::AisReassembler reassembler({2, 1'000'000'000});
  nmea::AisFragment f;
  f.address = "AIVDM";
  f.count = 2;
  f.number = 1;
  f.payload = "5:p;bP@2Fe3tPd4";
  for (std::uint8_t seq = 0; seq < 3; ++seq) {
    f.sequence_id = seq;
    const auto r = reassembler.feed(f, 0);
    REQUIRE(r);
    CHECK_FALSE(*r);
  }
  CHECK(reassembler.pending() == 2);
  CHECK(reassembler.take_dropped() == 1);  // the oldest gave way to the third
  f.number = 2;
  f.sequence_id = 2;
  const auto late = reassembler.feed(f, 2'000'000'000);  // after the timeout
  CHECK(late.reject() == Reject::incomplete_multipart);
  CHECK(reassembler.take_dropped() == 2);
  CHECK(reassembler.pending() == 0);
}

TEST_CASE("tag blocks: UNIX time in seconds or milliseconds, checksum", "[gateways][nmea]") {
  const auto s = nmea::split_tag_block("\\c:1796196600*58\\$GPZDA");
  REQUIRE(s);
  CHECK(s->tags->time_ns == 1796196600LL * 1'000'000'000);
  CHECK(s->sentence == "$GPZDA");
  const std::string ms_body = "c:1796196600123";
  const auto ms = nmea::split_tag_block("\\" + ms_body + "*" +
                                        fmt::format("{:02X}", nmea::checksum(ms_body)) + "\\x");
  REQUIRE(ms);
  CHECK(ms->tags->time_ns == 1796196600123LL * 1'000'000);
  CHECK(nmea::split_tag_block("\\c:1796196600*59\\$GPZDA").reject() == Reject::checksum);
  CHECK(nmea::split_tag_block("\\c:1796196600*58").reject() == Reject::bad_tag_block);
}

TEST_CASE("gpsd JSON: nesting is bounded, other classes are ignored", "[gateways][gpsd]") {
  CHECK(nmea::decode_gpsd(std::string(100, '[')).reject() == Reject::malformed);
  const auto deep = "{\"class\":\"SKY\",\"x\":" + std::string(40, '[') + std::string(40, ']') + "}";
  CHECK(nmea::decode_gpsd(deep).reject() == Reject::malformed);
  const auto sky = nmea::decode_gpsd("{\"class\":\"SKY\",\"satellites\":[{\"PRN\":1}]}");
  REQUIRE(sky);
  CHECK_FALSE(*sky);
  CHECK(nmea::parse_iso8601_utc("2026-12-02T07:30:00.125Z") == 1796196600125LL * 1'000'000);
}

TEST_CASE("SBS: a MSG line needs 22 fields, other kinds are ignored", "[gateways][sbs]") {
  CHECK(sbs::decode_sbs("MSG,3,1,1,4CA2D6,1").reject() == Reject::malformed);
  const auto clk = sbs::decode_sbs("CLK,,,,,,2026/12/02,02:30:10.000,2026/12/02,02:30:10.000");
  REQUIRE(clk);
  CHECK_FALSE(*clk);
  CHECK(sbs::parse_utc_offset("-05:00") == -std::chrono::hours(5));
  CHECK(sbs::parse_utc_offset("+05:30") == std::chrono::hours(5) + std::chrono::minutes(30));
  CHECK_FALSE(sbs::parse_utc_offset("-5"));
}

TEST_CASE("SBS: the receiver's local time, by fixed offset or by named zone", "[gateways][sbs]") {
  // 2026-07-01 and 2026-12-02, as days since 1970-01-01, and 02:30 local.
  constexpr std::int64_t kJuly = 20635, kDecember = 20789;
  constexpr std::int64_t kHalfPastTwo = (2 * 3600 + 30 * 60) * 1'000'000'000LL;
  constexpr std::int64_t kHour = 3600 * 1'000'000'000LL;
  const auto local = [](std::int64_t days, std::int64_t time) { return days * 24 * kHour + time; };

  const sbs::ReceiverClock bogota(-std::chrono::hours(5));
  CHECK(bogota.to_utc_ns(kDecember, kHalfPastTwo) == local(kDecember, kHalfPastTwo) + 5 * kHour);
  CHECK(bogota.describe() == "UTC-05:00");
  CHECK(sbs::ReceiverClock().describe() == "UTC");

  // A zone with daylight saving: New York is UTC-4 in July and UTC-5 in December.
  const auto new_york = sbs::ReceiverClock::zone("America/New_York");
  REQUIRE(new_york);
  CHECK(new_york->describe() == "America/New_York");
  CHECK(new_york->to_utc_ns(kJuly, kHalfPastTwo) == local(kJuly, kHalfPastTwo) + 4 * kHour);
  CHECK(new_york->to_utc_ns(kDecember, kHalfPastTwo) == local(kDecember, kHalfPastTwo) + 5 * kHour);
  // Sub-second parts survive, and the next call in the same minute agrees.
  CHECK(new_york->to_utc_ns(kDecember, kHalfPastTwo + 250'000'000) ==
        local(kDecember, kHalfPastTwo) + 5 * kHour + 250'000'000);

  CHECK_FALSE(sbs::ReceiverClock::zone("America/Bogta"));
  CHECK_FALSE(sbs::ReceiverClock::zone("../../etc/passwd"));
  CHECK_FALSE(sbs::ReceiverClock::zone("/etc/localtime"));
  CHECK_FALSE(sbs::ReceiverClock::zone(""));
}

namespace {

std::string config_error(const std::string& text, bool sbs_config = false) {
  const auto path = std::filesystem::temp_directory_path() / "enlace-gateway-test.toml";
  std::ofstream(path) << text;
  try {
    if (sbs_config) {
      sbs::load_sbs_config(path.string());
    } else {
      nmea::load_nmea_config(path.string());
    }
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

// The [bus] table then `rest` (appended, not concatenated with operator+, which GCC 12
// warns about falsely under -O2).
std::string with_bus(std::string_view rest) {
  std::string text =
      "[bus]\nbroker = \"tcp://127.0.0.1:7450\"\nbroker_key = \"broker.pub\"\nkeys = \"gw\"\n";
  text.append(rest);
  return text;
}

}  // namespace

TEST_CASE("a bad configuration names the key and its line", "[gateways][config]") {
  const std::string sources =
      "[[sources]]\nname = \"radios\"\nkind = \"udp\"\nlisten = \"0.0.0.0:10110\"\n";
  CHECK(config_error(with_bus(sources)).empty());
  CHECK_THAT(config_error(with_bus("[[sources]]\nname = \"r\"\nkind = \"udpp\"\n")),
             Catch::Contains(":7: sources[0].kind: 'udpp' is not one of udp, tcp-client"));
  CHECK_THAT(config_error(with_bus(sources + "[radio]\nstale_sec = 5\n")),
             Catch::Contains(":10: radio.stale_sec: unknown key"));
  CHECK_THAT(config_error(with_bus(sources + "[[radios]]\nunit = \"P21\"\nsource = \"radioz\"\n")),
             Catch::Contains(":11: radios[0].source: no [[sources]] entry has this name"));
  CHECK_THAT(config_error(
                 with_bus(sources + "[[ais.watch]]\nmmsi = 730000666\nidentity = \"friendly\"\n")),
             Catch::Contains(":11: ais.watch[0].identity: expected \"suspect\" or \"hostile\""));
  CHECK_THAT(config_error(with_bus(sources + "[radio]\nmin_interval_s = -1\n")),
             Catch::Contains(":10: radio.min_interval_s: -1 s is out of range"));
  CHECK_THAT(config_error("[bus]\nbroker = \"tcp://x:1\"\n"),
             Catch::Contains("bus.broker_key: missing (required)"));
  CHECK_THAT(config_error("[bus\n"), Catch::Contains(":1:"));
  CHECK_THAT(config_error(with_bus("[[sources]]\nname = \"d\"\nkind = \"tcp-client\"\n"
                                   "connect = \"127.0.0.1:30003\"\n[adsb]\nutc_offset = \"-5\"\n"),
                          true),
             Catch::Contains(":10: adsb.utc_offset: expected \"UTC\" or"));
  const std::string dump1090 =
      "[[sources]]\nname = \"d\"\nkind = \"tcp-client\"\nconnect = \"127.0.0.1:30003\"\n";
  CHECK(
      config_error(with_bus(dump1090 + "[adsb]\ntime_zone = \"America/Bogota\"\n"), true).empty());
  CHECK_THAT(config_error(with_bus(dump1090 + "[adsb]\ntime_zone = \"America/Bogta\"\n"), true),
             Catch::Contains(":10: adsb.time_zone: 'America/Bogta' is not a zone of the system's"));
  CHECK_THAT(config_error(with_bus(dump1090 + "[adsb]\nutc_offset = \"-05:00\"\n"
                                              "time_zone = \"America/Bogota\"\n"),
                          true),
             Catch::Contains("adsb.time_zone: give utc_offset or time_zone, not both"));
}
