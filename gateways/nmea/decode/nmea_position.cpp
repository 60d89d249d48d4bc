#include "nmea/decode/nmea_position.hpp"

#include <tuple>

namespace enlace::gateway::nmea {
namespace {

// An optional field: absent when empty, bad_field when present but unreadable.
struct Field {
  std::optional<double> value;
  bool bad = false;
};

Field number_field(std::string_view text) noexcept {
  if (text.empty()) return {};
  const auto value = parse_number(text);
  return {value, !value};
}

// The position of fields lat, N/S, lon, E/W starting at `at`. no_fix when empty.
Decoded<std::pair<double, double>> position(const Sentence& s, std::size_t at) noexcept {
  const std::string_view lat = s.field(at);
  const std::string_view lon = s.field(at + 2);
  if (lat.empty() || lon.empty()) return Reject::no_fix;
  const auto lat_deg = parse_latitude(lat, s.field(at + 1));
  const auto lon_deg = parse_longitude(lon, s.field(at + 3));
  if (!lat_deg || !lon_deg) return Reject::bad_field;
  return std::pair{*lat_deg, *lon_deg};
}

// The FAA mode indicator of NMEA 2.3 and later dominates the status field.
bool mode_says_invalid(std::string_view mode) noexcept {
  return mode == "N";
}

Decoded<std::optional<std::int64_t>> time_field(std::string_view text) noexcept {
  if (text.empty()) return std::optional<std::int64_t>{};
  const auto t = parse_time_of_day(text);
  if (!t) return Reject::bad_field;
  return std::optional<std::int64_t>{t};
}

Decoded<RadioSentence> gga(const Sentence& s) noexcept {
  // 0 time, 1-4 position, 5 quality, 6 satellites, 7 HDOP, 8-9 altitude, 10-11 separation
  const std::string_view quality = s.field(5);
  if (quality.empty() || quality == "0") return Reject::no_fix;
  if (!parse_uint(quality)) return Reject::bad_field;
  auto where = position(s, 1);
  if (!where) return where.reject();
  auto time = time_field(s.field(0));
  if (!time) return time.reject();
  Fix fix;
  fix.type = "GGA";
  std::tie(fix.lat_deg, fix.lon_deg) = *where;
  fix.time_of_day_ns = *time;
  const Field hdop = number_field(s.field(7));
  const Field altitude = number_field(s.field(8));
  const Field separation = number_field(s.field(10));
  if (hdop.bad || altitude.bad || separation.bad) return Reject::bad_field;
  if (!s.field(6).empty()) {
    fix.satellites = parse_uint(s.field(6));
    if (!fix.satellites) return Reject::bad_field;
  }
  fix.hdop = hdop.value;
  fix.altitude_msl_m = altitude.value;
  fix.geoid_separation_m = separation.value;
  return fix;
}

Decoded<RadioSentence> rmc(const Sentence& s) noexcept {
  // 0 time, 1 status, 2-5 position, 6 speed (kn), 7 course, 8 date, 9-10 variation, 11 mode
  if (s.field(1) != "A" || mode_says_invalid(s.field(11))) return Reject::no_fix;
  auto where = position(s, 2);
  if (!where) return where.reject();
  auto time = time_field(s.field(0));
  if (!time) return time.reject();
  Fix fix;
  fix.type = "RMC";
  std::tie(fix.lat_deg, fix.lon_deg) = *where;
  fix.time_of_day_ns = *time;
  const Field speed = number_field(s.field(6));
  const Field course = number_field(s.field(7));
  if (speed.bad || course.bad) return Reject::bad_field;
  if (speed.value && *speed.value < 0) return Reject::bad_field;
  if (course.value && (*course.value < 0 || *course.value > 360)) return Reject::bad_field;
  if (speed.value) fix.speed_mps = *speed.value * kKnotToMps;
  fix.course_deg = course.value;
  if (!s.field(8).empty()) {
    fix.date_days = parse_ddmmyy(s.field(8));
    if (!fix.date_days) return Reject::bad_field;
  }
  return fix;
}

Decoded<RadioSentence> gll(const Sentence& s) noexcept {
  // 0-3 position, 4 time, 5 status (NMEA 2.0 and later), 6 mode (2.3 and later)
  const std::string_view status = s.field(5);
  if ((s.field_count > 5 && status != "A") || mode_says_invalid(s.field(6))) {
    return Reject::no_fix;
  }
  auto where = position(s, 0);
  if (!where) return where.reject();
  auto time = time_field(s.field(4));
  if (!time) return time.reject();
  Fix fix;
  fix.type = "GLL";
  std::tie(fix.lat_deg, fix.lon_deg) = *where;
  fix.time_of_day_ns = *time;
  return fix;
}

Decoded<RadioSentence> vtg(const Sentence& s) noexcept {
  // 0 course true, 1 "T", 2 course magnetic, 3 "M", 4 speed kn, 5 "N", 6 speed km/h,
  // 7 "K", 8 mode
  if (mode_says_invalid(s.field(8))) return Reject::no_fix;
  const Field course = number_field(s.field(0));
  const Field knots = number_field(s.field(4));
  const Field kmh = number_field(s.field(6));
  if (course.bad || knots.bad || kmh.bad) return Reject::bad_field;
  if (course.value && (*course.value < 0 || *course.value > 360)) return Reject::bad_field;
  Velocity v;
  v.course_deg = course.value;
  if (knots.value) {
    v.speed_mps = *knots.value * kKnotToMps;
  } else if (kmh.value) {
    v.speed_mps = *kmh.value / 3.6;
  }
  if (v.speed_mps && *v.speed_mps < 0) return Reject::bad_field;
  if (!v.speed_mps && !v.course_deg) return Reject::no_fix;
  return v;
}

Decoded<RadioSentence> zda(const Sentence& s) noexcept {
  // 0 time, 1 day, 2 month, 3 year, 4-5 local zone (ignored: the time is UTC)
  if (s.field(0).empty() || s.field(1).empty() || s.field(2).empty() || s.field(3).empty()) {
    return Reject::no_fix;
  }
  const auto time = parse_time_of_day(s.field(0));
  const auto day = parse_uint(s.field(1));
  const auto month = parse_uint(s.field(2));
  const auto year = parse_uint(s.field(3));
  if (!time || !day || !month || !year || s.field(3).size() != 4) return Reject::bad_field;
  const auto days =
      days_from_civil(static_cast<int>(*year), static_cast<int>(*month), static_cast<int>(*day));
  if (!days) return Reject::bad_field;
  return Clock{*days, *time};
}

}  // namespace

Decoded<RadioSentence> decode_radio(const Sentence& s) noexcept {
  if (s.start != '$' || s.talker == "P") return Reject::unknown_sentence;
  if (s.type == "GGA") return gga(s);
  if (s.type == "RMC") return rmc(s);
  if (s.type == "GLL") return gll(s);
  if (s.type == "VTG") return vtg(s);
  if (s.type == "ZDA") return zda(s);
  return Reject::unknown_sentence;
}

}  // namespace enlace::gateway::nmea
