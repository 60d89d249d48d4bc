// gpsd's JSON reports (the ?WATCH={"json":true} stream on TCP 2947): TPV objects, the
// time-position-velocity fix of one GPS device. Other classes (VERSION, DEVICES, WATCH,
// SKY, ...) are recognised and ignored.
//
// gpsd reports in the bus's units already: degrees, metres, m/s, degrees true, UTC
// ISO 8601. A member that is absent stays absent. No I/O; the reader is a small scanner
// for one JSON object per line, bounded in nesting depth.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/decoded.hpp"

namespace enlace::gateway::nmea {

inline constexpr std::size_t kMaxGpsdLineBytes = 4096;

struct GpsdFix {
  std::string device;  // "device": the GPS's path, e.g. "/dev/ttyACM0"
  int mode = 0;        // 0 unknown, 1 no fix, 2 2D, 3 3D
  std::optional<std::int64_t> time_ns;
  double lat_deg = 0;
  double lon_deg = 0;
  std::optional<double> altitude_hae_m;  // "altHAE"
  std::optional<double> altitude_msl_m;  // "altMSL", or "alt" from gpsd before 3.20
  std::optional<double> speed_mps;
  std::optional<double> course_deg;          // "track"
  std::optional<double> horizontal_error_m;  // "eph"
  std::optional<double> vertical_error_m;    // "epv"
};

/// What a gpsd line held: a fix, or another class to ignore (nullopt).
/// Rejects: malformed (not one JSON object, nesting deeper than 16, longer than
/// kMaxGpsdLineBytes), no_fix (TPV with mode below 2 or no lat/lon), bad_field (a
/// member of the wrong type, a time or coordinate out of range).
Decoded<std::optional<GpsdFix>> decode_gpsd(std::string_view line);

/// "2026-12-02T07:30:00.125Z" -> UTC nanoseconds since the epoch.
std::optional<std::int64_t> parse_iso8601_utc(std::string_view text) noexcept;

}  // namespace enlace::gateway::nmea
