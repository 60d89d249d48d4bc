// SBS-1 BaseStation CSV lines, as dump1090 and readsb send them on TCP 30003:
// "MSG,3,1,1,4CA2D6,1,2026/12/02,07:30:00.123,2026/12/02,07:30:00.125,,35000,,,-0.19,-74.78,,,0,0,0,0"
//
// Only MSG lines carry aircraft data; SEL, ID, AIR, STA and CLK are recognised and
// ignored. A MSG line has 22 fields; an empty field means "not in this message". Values
// keep the units of the format (feet, knots, ft/min): the mapping converts them. No I/O.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "common/decoded.hpp"

namespace enlace::gateway::sbs {

inline constexpr std::size_t kMaxSbsLineBytes = 256;

struct SbsMessage {
  std::uint8_t transmission = 0;  // 1..8
  std::uint32_t icao = 0;         // 24-bit address
  // Date and time the message was generated, as the receiver's local wall clock: days
  // since 1970-01-01 and nanoseconds since its midnight. Absent when either is empty.
  std::optional<std::int64_t> local_date_days;
  std::optional<std::int64_t> local_time_ns;
  std::optional<std::string_view> callsign;  // trailing spaces dropped
  std::optional<std::int32_t> altitude_ft;
  bool altitude_geometric = false;  // dump1090 --gnss: "H" suffix, GNSS height
  std::optional<double> ground_speed_kt;
  std::optional<double> track_deg;
  std::optional<double> lat_deg;
  std::optional<double> lon_deg;
  std::optional<std::int32_t> vertical_rate_ftpm;
  std::optional<std::string_view> squawk;  // four octal digits
  std::optional<bool> squawk_changed, emergency, spi, on_ground;
};

/// What a line held: an MSG (a message), another kind to ignore (nullopt).
/// Rejects: too_long, malformed (not a CSV line with a known kind, or a MSG line without
/// 22 fields), bad_field (hex ident not 6 hex digits, a transmission type outside 1..8, a
/// number, date, time, squawk or flag that does not read, a latitude/longitude out of
/// range).
Decoded<std::optional<SbsMessage>> decode_sbs(std::string_view line) noexcept;

}  // namespace enlace::gateway::sbs
