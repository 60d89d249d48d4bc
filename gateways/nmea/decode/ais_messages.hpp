// AIS messages (ITU-R M.1371) decoded from their bits: types 1, 2, 3 (Class A position),
// 4 (base station), 5 (static and voyage data), 18 (Class B position), 19 (extended
// Class B), 21 (aid to navigation) and 24 (Class B static data, parts A and B).
//
// Units are the bus's: degrees WGS 84, m/s, degrees true, metres. Every "not available"
// value (latitude 91, longitude 181, speed 1023, course 3600, heading 511, ship type 0,
// dimension 0, ...) is absent here, never a number. No I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "common/decoded.hpp"
#include "nmea/decode/ais_bits.hpp"

namespace enlace::gateway::nmea {

struct AisPosition {
  std::uint8_t type = 0;  // 1, 2, 3, 18 or 19
  std::uint32_t mmsi = 0;
  std::optional<std::uint8_t> nav_status;  // types 1-3; 15 ("undefined") is absent
  std::optional<double> speed_mps;
  bool high_accuracy = false;  // position accuracy flag: DGPS quality, < 10 m
  std::optional<double> lat_deg;
  std::optional<double> lon_deg;
  std::optional<double> course_deg;
  std::optional<std::uint16_t> heading_deg;
  std::optional<std::uint8_t> utc_second;  // 0-59

  bool class_b() const noexcept { return type >= 18; }
};

struct AisDimensions {
  std::optional<std::uint16_t> to_bow_m, to_stern_m, to_port_m, to_starboard_m;
};

/// Static data of a vessel: all of type 5, part A or B of type 24, the static half of 19.
/// A field the message does not carry is absent, so merging keeps what an earlier one said.
struct AisStatic {
  std::uint8_t type = 0;  // 5, 19 or 24
  std::uint32_t mmsi = 0;
  std::optional<std::uint8_t> part;  // type 24: 0 = A, 1 = B
  std::optional<std::uint32_t> imo;
  std::optional<std::string> callsign;
  std::optional<std::string> name;
  std::optional<std::uint8_t> ship_type;
  AisDimensions dimensions;
  std::optional<double> draught_m;
  std::optional<std::string> destination;
  bool class_b() const noexcept { return type != 5; }
};

struct AisBaseStation {
  std::uint32_t mmsi = 0;
  std::optional<std::int64_t> time_ns;  // the station's UTC time, when complete
  std::optional<double> lat_deg;
  std::optional<double> lon_deg;
};

struct AisAidToNavigation {
  std::uint32_t mmsi = 0;
  std::uint8_t aid_type = 0;
  std::string name;
  std::optional<double> lat_deg;
  std::optional<double> lon_deg;
  AisDimensions dimensions;
  bool virtual_aid = false;
};

/// Type 19 carries a position and static data at once.
struct AisExtendedClassB {
  AisPosition position;
  AisStatic static_data;
};

using AisMessage =
    std::variant<AisPosition, AisStatic, AisBaseStation, AisAidToNavigation, AisExtendedClassB>;

/// Decodes one reassembled message. Rejects: unknown_sentence for a type not listed above,
/// bad_length for a length its type does not allow, bad_field for a value out of range
/// (a latitude beyond 90 that is not the "not available" 91, ...).
Decoded<AisMessage> decode_ais(const AisBits& bits);

/// The message type of `bits` (its first six bits).
inline unsigned ais_type(const AisBits& bits) noexcept {
  return bits.u(0, 6);
}

}  // namespace enlace::gateway::nmea
