// fuzz_sbs_line: the SBS-1 BaseStation line (gateways/sbs/decode/sbs_line.hpp).
//
// Properties: an accepted MSG has a transmission type 1-8 and a 24-bit address; latitude
// and longitude come together and within range; a squawk is four octal digits; a call
// sign at most 8 bytes without trailing spaces; times below 24 h (61 s leap second).
#include <cmath>
#include <cstdint>
#include <string_view>

#include "fuzz_support.hpp"
#include "sbs/decode/sbs_line.hpp"

using namespace enlace::gateway::sbs;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  const auto decoded = decode_sbs(line);
  if (!decoded || !*decoded) return 0;
  const SbsMessage& m = **decoded;
  FUZZ_CHECK(m.transmission >= 1 && m.transmission <= 8);
  FUZZ_CHECK(m.icao <= 0xFFFFFF);
  FUZZ_CHECK(m.lat_deg.has_value() == m.lon_deg.has_value());
  FUZZ_CHECK(!m.lat_deg || (std::fabs(*m.lat_deg) <= 90 && std::fabs(*m.lon_deg) <= 180));
  if (m.squawk) {
    FUZZ_CHECK(m.squawk->size() == 4);
    for (const char c : *m.squawk) FUZZ_CHECK(c >= '0' && c <= '7');
  }
  if (m.callsign) FUZZ_CHECK(m.callsign->size() <= 8 && m.callsign->back() != ' ');
  FUZZ_CHECK(!m.local_time_ns || *m.local_time_ns < 86'401'000'000'000LL);
  FUZZ_CHECK(!m.ground_speed_kt || *m.ground_speed_kt >= 0);
  return 0;
}
