// A test of the demo's simulators, not part of enlace-demo: the sentences they transmit
// (nmea_encode.hpp) decoded by two independent npm decoders, through the gateway tests'
// tests/gateways/crosscheck/decode.js (ais-stream-decoder, nmea-simple), must give back
// the values that were encoded. So when the demo's self-check passes, the gateway's
// decoders agree with an encoder that a third-party decoder vouches for.
//
//   demo-encode-check CROSSCHECK_DIR WORK_FILE    exit status 0: all agree
#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "nmea_encode.hpp"

namespace {

using namespace demo;
using Fields = std::map<std::string, std::string>;

// "ais type=1 mmsi=... lat=..." -> {"kind": "ais", "type": "1", ...}
Fields parse(const std::string& line) {
  Fields out;
  std::istringstream words(line);
  std::string word;
  words >> word;
  out["kind"] = word;
  while (words >> word) {
    const auto eq = word.find('=');
    if (eq != std::string::npos) out[word.substr(0, eq)] = word.substr(eq + 1);
  }
  return out;
}

int failures = 0;

void expect_text(const Fields& f, const std::string& key, const std::string& wanted) {
  const auto it = f.find(key);
  const std::string got = it == f.end() ? "(absent)" : it->second;
  if (got != wanted) {
    fmt::print(stderr, "{}: decoded '{}', encoded '{}'\n", key, got, wanted);
    ++failures;
  }
}

void expect_number(const Fields& f, const std::string& key, double wanted, double tolerance) {
  const auto it = f.find(key);
  if (it == f.end() || std::abs(std::stod(it->second) - wanted) > tolerance) {
    fmt::print(stderr, "{}: decoded {}, encoded {}\n", key, it == f.end() ? "(absent)" : it->second,
               wanted);
    ++failures;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fputs("usage: demo-encode-check CROSSCHECK_DIR WORK_FILE\n", stderr);
    return 2;
  }
  constexpr double kKnots = 3600.0 / 1852.0;
  nmea::GpsFix fix;
  fix.talker = "GN";
  fix.time = std::chrono::system_clock::from_time_t(1796196601);  // 2026-12-02T07:30:01Z
  fix.point = {-0.19123, -74.78456};
  fix.speed_mps = 6.0;
  fix.course_deg = 123.4;
  fix.altitude_msl_m = 180;
  nmea::AisPosition position;
  position.mmsi = 730012345;
  position.point = {0.0612, -75.7034};
  position.speed_mps = 4.0;
  position.course_deg = 95.5;
  position.heading_deg = 96;
  position.utc_second = 17;
  nmea::AisStatic data;
  data.mmsi = 735019884;
  data.callsign = "HC3307";
  data.name = "RIO SAN MIGUEL";
  data.ship_type = 70;
  data.to_bow_m = 28;
  data.to_stern_m = 8;
  data.to_port_m = 4;
  data.to_starboard_m = 4;
  data.draught_m = 1.8;
  data.destination = "PTO LEGUIZAMO";
  {
    std::vector<std::string> sentences = {nmea::rmc(fix), nmea::gga(fix),
                                          nmea::ais_position(position, 'A')};
    for (std::string& s : nmea::ais_static(data, 3, 'B')) sentences.push_back(std::move(s));
    // decode.js splits at LF and hands the rest to the decoders, one of which counts a CR
    // as part of the checksum: the file gets LF line ends.
    std::ofstream out(argv[2], std::ios::trunc);
    for (std::string& s : sentences) {
      if (!s.ends_with("\r\n")) {
        fmt::print(stderr, "not ended by CR LF: {}\n", s);
        ++failures;
      }
      s.erase(s.size() - 2);
      out << s << "\n";
    }
  }

  const std::string command =
      fmt::format("node '{}/decode.js' '{}' 2>&1", std::string(argv[1]), std::string(argv[2]));
  std::FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return 1;
  std::vector<Fields> decoded;
  char buffer[1024];
  while (std::fgets(buffer, sizeof(buffer), pipe) != nullptr) {
    std::string line(buffer);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    std::printf("%s\n", line.c_str());
    decoded.push_back(parse(line));
  }
  if (::pclose(pipe) != 0 || decoded.size() != 4) {
    fmt::print(stderr, "decode.js failed or decoded {} messages, not 4\n", decoded.size());
    return 1;
  }
  const Fields &rmc = decoded[0], &gga = decoded[1], &type1 = decoded[2], &type5 = decoded[3];
  expect_text(rmc, "id", "RMC");
  expect_number(rmc, "lat", fix.point.lat, 1e-5);
  expect_number(rmc, "lon", fix.point.lon, 1e-5);
  expect_number(rmc, "sog_kn", fix.speed_mps * kKnots, 0.05);
  expect_number(rmc, "cog", fix.course_deg, 0.05);
  expect_text(gga, "id", "GGA");
  expect_number(gga, "lat", fix.point.lat, 1e-5);
  expect_number(gga, "alt", fix.altitude_msl_m, 0.05);
  expect_text(type1, "type", "1");
  expect_text(type1, "mmsi", "730012345");
  expect_number(type1, "lat", position.point.lat, 1e-5);
  expect_number(type1, "lon", position.point.lon, 1e-5);
  expect_number(type1, "sog_kn", position.speed_mps * kKnots, 0.05);
  expect_number(type1, "cog", position.course_deg, 0.05);
  expect_number(type1, "heading", position.heading_deg, 0);
  expect_text(type1, "status", "0");
  expect_text(type5, "type", "5");
  expect_text(type5, "mmsi", "735019884");
  expect_text(type5, "name", "RIO_SAN_MIGUEL");
  expect_text(type5, "callsign", "HC3307");
  expect_text(type5, "shiptype", "70");
  expect_text(type5, "bow", "28");
  expect_text(type5, "stern", "8");
  expect_text(type5, "port", "4");
  expect_text(type5, "starboard", "4");
  expect_number(type5, "draught", 1.8, 0.05);
  expect_text(type5, "destination", "PTO_LEGUIZAMO");
  if (failures == 0) std::puts("the simulators' encoding agrees with the independent decoders");
  return failures == 0 ? 0 : 1;
}
