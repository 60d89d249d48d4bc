// fuzz_gpsd_json: gpsd's JSON reports (gateways/nmea/decode/gpsd_json.hpp).
//
// Properties: a fix has mode 2 or 3, a position within range, a speed that is not
// negative and a course in [0, 360]; the scanner never reads past the input (ASan) and
// never recurses past its bound however deep the nesting.
#include <cmath>
#include <cstdint>
#include <string_view>

#include "fuzz_support.hpp"
#include "nmea/decode/gpsd_json.hpp"

using namespace enlace::gateway::nmea;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  const auto decoded = decode_gpsd(line);
  if (!decoded || !*decoded) return 0;
  const GpsdFix& fix = **decoded;
  FUZZ_CHECK(fix.mode == 2 || fix.mode == 3);
  FUZZ_CHECK(std::fabs(fix.lat_deg) <= 90 && std::fabs(fix.lon_deg) <= 180);
  FUZZ_CHECK(!fix.speed_mps || *fix.speed_mps >= 0);
  FUZZ_CHECK(!fix.course_deg || (*fix.course_deg >= 0 && *fix.course_deg <= 360));
  FUZZ_CHECK(fix.device.size() <= 256);
  return 0;
}
