// What the demo's simulated radios and AIS transponders transmit: NMEA 0183 sentences and
// AIS messages, encoded from the standards (docs/gateways/nmea.md lists them) without any
// of the gateway's code, so that the demo tests the real decoders end to end instead of
// agreeing with them by construction.
//
// Pure functions, no I/O; every sentence ends with CR LF.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "geo.hpp"

namespace demo::nmea {

/// `start` ('$' or '!') + `body` + '*' + the XOR of the body's bytes in two hex digits +
/// CR LF.
std::string sentence(char start, std::string_view body);

/// One GPS fix as a radio reports it. `talker` is "GP", "GN", ...
struct GpsFix {
  std::string_view talker = "GP";
  std::chrono::system_clock::time_point time;
  geo::Point point;
  double speed_mps = 0;
  double course_deg = 0;
  double altitude_msl_m = 0;
  std::optional<double> geoid_separation_m;  // ellipsoid above mean sea level; empty: unknown
  int satellites = 8;
  double hdop = 1.0;
};

/// $--RMC: time, status A, position, speed over ground in knots, course true, date.
std::string rmc(const GpsFix& fix);
/// $--GGA: time, position, quality 1 (GPS fix), satellites, HDOP, altitude and geoid
/// separation in metres.
std::string gga(const GpsFix& fix);

/// A Class A position report (AIS message 1).
struct AisPosition {
  std::uint32_t mmsi = 0;
  int nav_status = 0;  // 0 under way using engine
  geo::Point point;
  double speed_mps = 0;
  double course_deg = 0;
  int heading_deg = 511;  // 511: not available
  int utc_second = 60;    // 60: not available
};

/// Static and voyage data (AIS message 5).
struct AisStatic {
  std::uint32_t mmsi = 0;
  std::uint32_t imo = 0;
  std::string_view callsign;  // up to 7 characters
  std::string_view name;      // up to 20
  int ship_type = 0;          // e.g. 60 passenger, 70 cargo
  int to_bow_m = 0, to_stern_m = 0, to_port_m = 0, to_starboard_m = 0;
  double draught_m = 0;
  std::string_view destination;  // up to 20
};

/// The 168 payload bits of message 1, armoured: one !AIVDM sentence on `channel`.
std::string ais_position(const AisPosition& report, char channel);
/// The 424 payload bits of message 5: two !AIVDM sentences (60 characters, then the
/// remaining 11 with 2 fill bits) under sequential message id `sequence_id` (0-9).
std::vector<std::string> ais_static(const AisStatic& data, int sequence_id, char channel);

}  // namespace demo::nmea
