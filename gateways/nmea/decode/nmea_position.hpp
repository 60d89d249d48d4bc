// Radio and GPS positions from NMEA 0183: GGA, RMC, GLL (a fix), VTG (course and speed),
// ZDA (date and time), from any talker (GP, GN, GL, GA, BD, ...).
//
// Units are the bus's: degrees WGS 84, metres, m/s, degrees true, UTC. Every field that is
// empty in the sentence stays absent (never zero). A sentence that says its position is
// not valid (GGA quality 0, RMC/GLL status V, FAA mode N) is rejected as no_fix, one with
// an unreadable field as bad_field. No I/O, no allocation.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <variant>

#include "common/decoded.hpp"
#include "nmea/decode/nmea_sentence.hpp"

namespace enlace::gateway::nmea {

inline constexpr double kKnotToMps = 1852.0 / 3600.0;

/// A position fix (GGA, RMC or GLL).
struct Fix {
  std::string_view type;  // "GGA", "RMC" or "GLL"
  double lat_deg = 0;
  double lon_deg = 0;
  std::optional<std::int64_t> time_of_day_ns;  // UTC since midnight
  std::optional<std::int64_t> date_days;       // RMC only: days since 1970-01-01
  std::optional<double> altitude_msl_m;        // GGA: above mean sea level (geoid)
  std::optional<double> geoid_separation_m;    // GGA: geoid minus ellipsoid
  std::optional<double> hdop;                  // GGA
  std::optional<std::uint32_t> satellites;     // GGA
  std::optional<double> speed_mps;             // RMC: over ground
  std::optional<double> course_deg;            // RMC: true
};

/// Course and speed over ground without a position (VTG).
struct Velocity {
  std::optional<double> speed_mps;
  std::optional<double> course_deg;
};

/// Date and time (ZDA).
struct Clock {
  std::int64_t date_days = 0;
  std::int64_t time_of_day_ns = 0;
};

using RadioSentence = std::variant<Fix, Velocity, Clock>;

/// Decodes a parsed sentence. Rejects unknown_sentence for any type but the five above,
/// no_fix, bad_field.
Decoded<RadioSentence> decode_radio(const Sentence& sentence) noexcept;

}  // namespace enlace::gateway::nmea
