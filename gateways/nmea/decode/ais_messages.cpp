#include "nmea/decode/ais_messages.hpp"

#include "nmea/decode/nmea_position.hpp"
#include "nmea/decode/nmea_sentence.hpp"

namespace enlace::gateway::nmea {
namespace {

constexpr std::int32_t kLonNotAvailable = 181 * 600000;
constexpr std::int32_t kLatNotAvailable = 91 * 600000;

// Longitude and latitude in 1/10000 minute at [lon_at, lon_at+28) and [lat_at, lat_at+27).
bool read_position(const AisBits& b, std::size_t lon_at, std::size_t lat_at,
                   std::optional<double>& lat, std::optional<double>& lon) noexcept {
  const std::int32_t lon_raw = b.i(lon_at, 28);
  const std::int32_t lat_raw = b.i(lat_at, 27);
  if (lon_raw != kLonNotAvailable && lat_raw != kLatNotAvailable) {
    if (lon_raw < -180 * 600000 || lon_raw > 180 * 600000) return false;
    if (lat_raw < -90 * 600000 || lat_raw > 90 * 600000) return false;
    lon = lon_raw / 600000.0;
    lat = lat_raw / 600000.0;
  }
  return true;
}

std::optional<double> speed(const AisBits& b, std::size_t at) noexcept {
  const std::uint32_t raw = b.u(at, 10);
  if (raw == 1023) return std::nullopt;
  return raw / 10.0 * kKnotToMps;  // 1022 means 102.2 knots or more
}

bool course(const AisBits& b, std::size_t at, std::optional<double>& out) noexcept {
  const std::uint32_t raw = b.u(at, 12);
  if (raw == 3600) return true;
  if (raw > 3600) return false;
  out = raw / 10.0;
  return true;
}

bool heading(const AisBits& b, std::size_t at, std::optional<std::uint16_t>& out) noexcept {
  const std::uint32_t raw = b.u(at, 9);
  if (raw == 511) return true;
  if (raw > 359) return false;
  out = static_cast<std::uint16_t>(raw);
  return true;
}

std::optional<std::uint8_t> second(const AisBits& b, std::size_t at) noexcept {
  const std::uint32_t raw = b.u(at, 6);
  if (raw > 59) return std::nullopt;  // 60 n/a, 61 manual, 62 dead reckoning, 63 inoperative
  return static_cast<std::uint8_t>(raw);
}

std::optional<std::uint16_t> nonzero16(std::uint32_t raw) noexcept {
  if (raw == 0) return std::nullopt;
  return static_cast<std::uint16_t>(raw);
}

AisDimensions dimensions(const AisBits& b, std::size_t at) noexcept {
  return {nonzero16(b.u(at, 9)), nonzero16(b.u(at + 9, 9)), nonzero16(b.u(at + 18, 6)),
          nonzero16(b.u(at + 24, 6))};
}

std::optional<std::uint8_t> ship_type(std::uint32_t raw) noexcept {
  if (raw == 0) return std::nullopt;
  return static_cast<std::uint8_t>(raw);
}

std::optional<std::string> text(const AisBits& b, std::size_t at, std::size_t chars) {
  std::string t = b.text(at, chars);
  if (t.empty()) return std::nullopt;
  return t;
}

Decoded<AisMessage> class_a(const AisBits& b) {
  if (b.size() != 168) return Reject::bad_length;
  AisPosition p;
  p.type = static_cast<std::uint8_t>(b.u(0, 6));
  p.mmsi = b.u(8, 30);
  const std::uint32_t status = b.u(38, 4);
  if (status != 15) p.nav_status = static_cast<std::uint8_t>(status);
  p.speed_mps = speed(b, 50);
  p.high_accuracy = b.u(60, 1) == 1;
  if (!read_position(b, 61, 89, p.lat_deg, p.lon_deg)) return Reject::bad_field;
  if (!course(b, 116, p.course_deg) || !heading(b, 128, p.heading_deg)) return Reject::bad_field;
  p.utc_second = second(b, 137);
  return p;
}

Decoded<AisMessage> base_station(const AisBits& b) {
  if (b.size() != 168) return Reject::bad_length;
  AisBaseStation s;
  s.mmsi = b.u(8, 30);
  const auto days = days_from_civil(static_cast<int>(b.u(38, 14)), static_cast<int>(b.u(52, 4)),
                                    static_cast<int>(b.u(56, 5)));
  const std::uint32_t h = b.u(61, 5), m = b.u(66, 6), sec = b.u(72, 6);
  if (days && h < 24 && m < 60 && sec < 60) {
    s.time_ns = ((*days * 86400) + h * 3600 + m * 60 + sec) * 1'000'000'000LL;
  }
  if (!read_position(b, 79, 107, s.lat_deg, s.lon_deg)) return Reject::bad_field;
  return s;
}

Decoded<AisMessage> static_voyage(const AisBits& b) {
  // 424 bits by the standard; 420 and 422 occur in the wild (a short destination).
  if (b.size() < 420 || b.size() > 426) return Reject::bad_length;
  AisStatic s;
  s.type = 5;
  s.mmsi = b.u(8, 30);
  if (const std::uint32_t imo = b.u(40, 30); imo != 0) s.imo = imo;
  s.callsign = text(b, 70, 7);
  s.name = text(b, 112, 20);
  s.ship_type = ship_type(b.u(232, 8));
  s.dimensions = dimensions(b, 240);
  if (const std::uint32_t d = b.u(294, 8); d != 0) s.draught_m = d / 10.0;
  s.destination = text(b, 302, 20);
  return s;
}

AisPosition class_b_position(const AisBits& b, bool& ok) {
  AisPosition p;
  p.type = static_cast<std::uint8_t>(b.u(0, 6));
  p.mmsi = b.u(8, 30);
  p.speed_mps = speed(b, 46);
  p.high_accuracy = b.u(56, 1) == 1;
  ok = read_position(b, 57, 85, p.lat_deg, p.lon_deg) && course(b, 112, p.course_deg) &&
       heading(b, 124, p.heading_deg);
  p.utc_second = second(b, 133);
  return p;
}

Decoded<AisMessage> class_b(const AisBits& b) {
  if (b.size() != 168) return Reject::bad_length;
  bool ok = false;
  AisPosition p = class_b_position(b, ok);
  if (!ok) return Reject::bad_field;
  return p;
}

Decoded<AisMessage> extended_class_b(const AisBits& b) {
  if (b.size() != 312) return Reject::bad_length;
  bool ok = false;
  AisExtendedClassB x;
  x.position = class_b_position(b, ok);
  if (!ok) return Reject::bad_field;
  x.static_data.type = 19;
  x.static_data.mmsi = x.position.mmsi;
  x.static_data.name = text(b, 143, 20);
  x.static_data.ship_type = ship_type(b.u(263, 8));
  x.static_data.dimensions = dimensions(b, 271);
  return x;
}

Decoded<AisMessage> aid_to_navigation(const AisBits& b) {
  if (b.size() < 272 || b.size() > 360) return Reject::bad_length;
  AisAidToNavigation a;
  a.mmsi = b.u(8, 30);
  a.aid_type = static_cast<std::uint8_t>(b.u(38, 5));
  a.name = b.text(43, 20);
  // The name extension: up to 14 more characters after bit 272.
  if (a.name.size() == 20 && b.size() > 272) a.name += b.text(272, (b.size() - 272) / 6);
  if (!read_position(b, 164, 192, a.lat_deg, a.lon_deg)) return Reject::bad_field;
  a.dimensions = dimensions(b, 219);
  a.virtual_aid = b.u(269, 1) == 1;
  return a;
}

Decoded<AisMessage> static_class_b(const AisBits& b) {
  const std::uint32_t part = b.u(38, 2);
  AisStatic s;
  s.type = 24;
  s.mmsi = b.u(8, 30);
  if (part == 0) {
    if (b.size() != 160 && b.size() != 168) return Reject::bad_length;
    s.part = 0;
    s.name = text(b, 40, 20);
    return s;
  }
  if (part != 1) return Reject::bad_field;
  if (b.size() != 168) return Reject::bad_length;
  s.part = 1;
  s.ship_type = ship_type(b.u(40, 8));
  s.callsign = text(b, 90, 7);
  // An auxiliary craft (98MIDxxxx) sends its mothership's MMSI where others send dimensions.
  if (s.mmsi / 10'000'000 != 98) s.dimensions = dimensions(b, 132);
  return s;
}

}  // namespace

Decoded<AisMessage> decode_ais(const AisBits& bits) {
  if (bits.size() < 38) return Reject::bad_length;
  switch (ais_type(bits)) {
    case 1:
    case 2:
    case 3:
      return class_a(bits);
    case 4:
      return base_station(bits);
    case 5:
      return static_voyage(bits);
    case 18:
      return class_b(bits);
    case 19:
      return extended_class_b(bits);
    case 21:
      return aid_to_navigation(bits);
    case 24:
      return static_class_b(bits);
    default:
      return Reject::unknown_sentence;
  }
}

}  // namespace enlace::gateway::nmea
