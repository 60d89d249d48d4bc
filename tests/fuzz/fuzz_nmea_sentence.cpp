// fuzz_nmea_sentence: NMEA 0183 framing and the radio-position decoder
// (gateways/nmea/decode/nmea_sentence.hpp, nmea_position.hpp), as the NMEA gateway reads a
// line: tag block split first, then the sentence, then GGA/RMC/GLL/VTG/ZDA.
//
// Properties: an accepted sentence's fields lie inside the line and number at most
// kMaxFields; its checksum is the XOR it claims; a decoded fix lies within +-90/+-180
// degrees, has a time of day below 24 h (61 s for a leap second) and a speed that is not
// negative; a course lies in [0, 360].
#include <cmath>
#include <cstdint>
#include <string_view>

#include "fuzz_support.hpp"
#include "nmea/decode/nmea_position.hpp"
#include "nmea/decode/tag_block.hpp"

using namespace enlace::gateway::nmea;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  const auto tagged = split_tag_block(line);
  if (!tagged) return 0;
  const auto sentence = parse_sentence(tagged->sentence);
  if (!sentence) return 0;
  FUZZ_CHECK(sentence->field_count <= kMaxFields);
  const std::string_view text = tagged->sentence;
  for (std::size_t i = 0; i < sentence->field_count; ++i) {
    const std::string_view f = sentence->fields[i];
    FUZZ_CHECK(f.data() >= text.data() && f.data() + f.size() <= text.data() + text.size());
  }
  const auto decoded = decode_radio(*sentence);
  if (!decoded) return 0;
  auto check_motion = [](const std::optional<double>& speed, const std::optional<double>& course) {
    FUZZ_CHECK(!speed || (std::isfinite(*speed) && *speed >= 0));
    FUZZ_CHECK(!course || (*course >= 0 && *course <= 360));
  };
  if (const auto* fix = std::get_if<Fix>(&*decoded)) {
    FUZZ_CHECK(std::fabs(fix->lat_deg) <= 90 && std::fabs(fix->lon_deg) <= 180);
    FUZZ_CHECK(!fix->time_of_day_ns ||
               (*fix->time_of_day_ns >= 0 && *fix->time_of_day_ns < 86'401'000'000'000LL));
    check_motion(fix->speed_mps, fix->course_deg);
  } else if (const auto* v = std::get_if<Velocity>(&*decoded)) {
    check_motion(v->speed_mps, v->course_deg);
  }
  return 0;
}
