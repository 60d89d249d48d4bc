// fuzz_ais: AIS armour, bit fields, message decoding and multi-sentence reassembly
// (gateways/nmea/decode/ais_bits.hpp, ais_messages.hpp, ais_reassembly.hpp).
//
// Input: lines separated by '\n', each an !AIVDM/!AIVDO sentence or not; a line's first
// byte also moves the clock (0-255 ms), so timeouts are reached.
// Properties: every reassembled message has at most kMaxAisBits bits; the reassembly table
// never holds more than its bound; decoded positions are within +-90/+-180 degrees or
// absent; speeds are not negative, courses in [0, 360), headings below 360, text fields of
// six-bit ASCII without '@' and without trailing spaces.
#include <cmath>
#include <cstdint>
#include <string_view>

#include "fuzz_support.hpp"
#include "nmea/decode/ais_messages.hpp"
#include "nmea/decode/ais_reassembly.hpp"

using namespace enlace::gateway::nmea;

namespace {

void check_text(const std::string& text) {
  FUZZ_CHECK(text.find('@') == std::string::npos);
  FUZZ_CHECK(text.empty() || text.back() != ' ');
  for (const char c : text) FUZZ_CHECK(c >= 32 && c <= 95);
}

void check_position(const std::optional<double>& lat, const std::optional<double>& lon) {
  FUZZ_CHECK(lat.has_value() == lon.has_value());
  FUZZ_CHECK(!lat || (std::fabs(*lat) <= 90 && std::fabs(*lon) <= 180));
}

void check(const AisMessage& message) {
  if (const auto* p = std::get_if<AisPosition>(&message)) {
    check_position(p->lat_deg, p->lon_deg);
    FUZZ_CHECK(!p->speed_mps || *p->speed_mps >= 0);
    FUZZ_CHECK(!p->course_deg || (*p->course_deg >= 0 && *p->course_deg < 360));
    FUZZ_CHECK(!p->heading_deg || *p->heading_deg < 360);
  } else if (const auto* s = std::get_if<AisStatic>(&message)) {
    if (s->name) check_text(*s->name);
    if (s->callsign) check_text(*s->callsign);
    if (s->destination) check_text(*s->destination);
  } else if (const auto* b = std::get_if<AisBaseStation>(&message)) {
    check_position(b->lat_deg, b->lon_deg);
  } else if (const auto* a = std::get_if<AisAidToNavigation>(&message)) {
    check_position(a->lat_deg, a->lon_deg);
  } else if (const auto* x = std::get_if<AisExtendedClassB>(&message)) {
    check(x->position);
    check(x->static_data);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  AisReassembler reassembler({4, 1'000'000'000});
  std::int64_t now = 0;
  while (!input.empty()) {
    const std::size_t end = input.find('\n');
    const std::string_view line = input.substr(0, end);
    input = end == std::string_view::npos ? std::string_view{} : input.substr(end + 1);
    if (line.empty()) continue;
    now += static_cast<unsigned char>(line[0]) * 1'000'000LL;
    const auto sentence = parse_sentence(line);
    if (!sentence) continue;
    auto fragment = parse_ais_fragment(*sentence);
    if (!fragment) continue;
    fragment->address = line.substr(1, 5);
    const auto bits = reassembler.feed(*fragment, now);
    FUZZ_CHECK(reassembler.pending() <= 4);
    if (!bits || !*bits) continue;
    FUZZ_CHECK((*bits)->size() <= kMaxAisBits);
    const auto message = decode_ais(**bits);
    if (message) check(*message);
  }
  // The armour alone, on the raw input as one payload.
  const auto raw = AisBits::from_armored(
      std::string_view(reinterpret_cast<const char*>(data), size), size > 0 ? data[0] % 6 : 0);
  if (raw) {
    const auto message = decode_ais(*raw);
    if (message) check(*message);
  }
  return 0;
}
