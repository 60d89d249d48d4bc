#include "nmea_encode.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <ctime>

namespace demo::nmea {
namespace {

constexpr double kKnotsPerMps = 3600.0 / 1852.0;

std::tm utc(std::chrono::system_clock::time_point t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return tm;
}

// hhmmss.ss
std::string time_of_day(std::chrono::system_clock::time_point t) {
  const std::tm tm = utc(t);
  const auto since_second = t.time_since_epoch() % std::chrono::seconds(1);
  const auto hundredths =
      std::chrono::duration_cast<std::chrono::milliseconds>(since_second).count() / 10;
  return fmt::format("{:02}{:02}{:02}.{:02}", tm.tm_hour, tm.tm_min, tm.tm_sec, hundredths);
}

// Degrees as NMEA writes them: (d)ddmm.mmmm and a hemisphere letter.
std::string angle(double degrees, int degree_digits, char positive, char negative) {
  const char hemisphere = degrees < 0 ? negative : positive;
  const double magnitude = std::abs(degrees);
  int whole = static_cast<int>(magnitude);
  double minutes = (magnitude - whole) * 60.0;
  if (std::round(minutes * 10000) >= 600000) {  // 59.99996' prints as 60.0000'
    ++whole;
    minutes = 0;
  }
  return fmt::format("{:0{}}{:07.4f},{}", whole, degree_digits, minutes, hemisphere);
}

std::string latitude(double lat) {
  return angle(lat, 2, 'N', 'S');
}
std::string longitude(double lon) {
  return angle(lon, 3, 'E', 'W');
}

// An AIS payload being written, most significant bit first.
class Bits {
 public:
  void put(std::uint64_t value, int width) {
    for (int i = width - 1; i >= 0; --i) bits_.push_back(((value >> i) & 1U) != 0);
  }
  void put_signed(std::int64_t value, int width) {
    put(static_cast<std::uint64_t>(value) & ((std::uint64_t{1} << width) - 1), width);
  }
  // Six-bit ASCII: '@' (0) to '_' (31), then ' ' (32) to '?' (63); padded with '@'.
  void put_text(std::string_view text, int characters) {
    for (int i = 0; i < characters; ++i) {
      char c = i < static_cast<int>(text.size()) ? text[static_cast<std::size_t>(i)] : '@';
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
      unsigned value = 0;
      if (c >= '@' && c <= '_') {
        value = static_cast<unsigned>(c - '@');
      } else if (c >= ' ' && c <= '?') {
        value = static_cast<unsigned>(c);
      } else {
        value = static_cast<unsigned>('?');  // not representable
      }
      put(value, 6);
    }
  }
  std::size_t size() const { return bits_.size(); }

  // Armour: each 6 bits v become the character v + 48, skipping the eight characters
  // between 'W' and '`'. The last group is padded with zeros: those are the fill bits.
  std::string armoured(int& fill) const {
    std::string out;
    fill = static_cast<int>((6 - bits_.size() % 6) % 6);
    for (std::size_t i = 0; i < bits_.size(); i += 6) {
      unsigned v = 0;
      for (std::size_t j = i; j < i + 6; ++j) v = (v << 1) | (j < bits_.size() && bits_[j] ? 1 : 0);
      unsigned c = v + 48;
      if (c > 87) c += 8;
      out.push_back(static_cast<char>(c));
    }
    return out;
  }

 private:
  std::vector<bool> bits_;
};

// AIS positions: 1/10000 minute, i.e. degrees x 600000.
std::int64_t ais_angle(double degrees) {
  return std::llround(degrees * 600000.0);
}

unsigned tenths_of_knots(double speed_mps) {
  return static_cast<unsigned>(std::min(1022L, std::lround(speed_mps * kKnotsPerMps * 10)));
}

unsigned tenths_of_degrees(double course_deg) {
  const long tenths = std::lround(course_deg * 10);
  return static_cast<unsigned>(((tenths % 3600) + 3600) % 3600);
}

std::string vdm(int count, int number, std::string_view sequence_id, char channel,
                std::string_view payload, int fill) {
  return sentence('!', fmt::format("AIVDM,{},{},{},{},{},{}", count, number, sequence_id, channel,
                                   payload, fill));
}

}  // namespace

std::string sentence(char start, std::string_view body) {
  unsigned checksum = 0;
  for (const char c : body) checksum ^= static_cast<unsigned char>(c);
  return fmt::format("{}{}*{:02X}\r\n", start, body, checksum);
}

std::string rmc(const GpsFix& fix) {
  const std::tm tm = utc(fix.time);
  return sentence('$', fmt::format("{}RMC,{},A,{},{},{:.1f},{:.1f},{:02}{:02}{:02},,,A", fix.talker,
                                   time_of_day(fix.time), latitude(fix.point.lat),
                                   longitude(fix.point.lon), fix.speed_mps * kKnotsPerMps,
                                   fix.course_deg, tm.tm_mday, tm.tm_mon + 1, tm.tm_year % 100));
}

std::string gga(const GpsFix& fix) {
  const std::string separation =
      fix.geoid_separation_m ? fmt::format("{:.1f}", *fix.geoid_separation_m) : std::string();
  return sentence(
      '$', fmt::format("{}GGA,{},{},{},1,{:02},{:.1f},{:.1f},M,{},M,,", fix.talker,
                       time_of_day(fix.time), latitude(fix.point.lat), longitude(fix.point.lon),
                       fix.satellites, fix.hdop, fix.altitude_msl_m, separation));
}

std::string ais_position(const AisPosition& r, char channel) {
  Bits bits;
  bits.put(1, 6);  // message type
  bits.put(0, 2);  // repeat indicator
  bits.put(r.mmsi, 30);
  bits.put(static_cast<unsigned>(r.nav_status), 4);
  bits.put_signed(-128, 8);  // rate of turn: not available
  bits.put(tenths_of_knots(r.speed_mps), 10);
  bits.put(0, 1);  // position accuracy: GNSS, over 10 m
  bits.put_signed(ais_angle(r.point.lon), 28);
  bits.put_signed(ais_angle(r.point.lat), 27);
  bits.put(tenths_of_degrees(r.course_deg), 12);
  bits.put(static_cast<unsigned>(r.heading_deg), 9);
  bits.put(static_cast<unsigned>(r.utc_second), 6);
  bits.put(0, 2);   // manoeuvre indicator: not available
  bits.put(0, 3);   // spare
  bits.put(0, 1);   // RAIM
  bits.put(0, 19);  // radio status
  int fill = 0;
  const std::string payload = bits.armoured(fill);
  return vdm(1, 1, "", channel, payload, fill);
}

std::vector<std::string> ais_static(const AisStatic& d, int sequence_id, char channel) {
  Bits bits;
  bits.put(5, 6);
  bits.put(0, 2);
  bits.put(d.mmsi, 30);
  bits.put(0, 2);  // AIS version: ITU-R M.1371-1
  bits.put(d.imo, 30);
  bits.put_text(d.callsign, 7);
  bits.put_text(d.name, 20);
  bits.put(static_cast<unsigned>(d.ship_type), 8);
  bits.put(static_cast<unsigned>(d.to_bow_m), 9);
  bits.put(static_cast<unsigned>(d.to_stern_m), 9);
  bits.put(static_cast<unsigned>(d.to_port_m), 6);
  bits.put(static_cast<unsigned>(d.to_starboard_m), 6);
  bits.put(1, 4);   // position fixing device: GPS
  bits.put(0, 4);   // ETA month: not available
  bits.put(0, 5);   // day
  bits.put(24, 5);  // hour
  bits.put(60, 6);  // minute
  bits.put(static_cast<unsigned>(std::lround(d.draught_m * 10)), 8);
  bits.put_text(d.destination, 20);
  bits.put(0, 1);  // DTE ready
  bits.put(0, 1);  // spare
  int fill = 0;
  const std::string payload = bits.armoured(fill);  // 71 characters, 2 fill bits
  const std::string id = fmt::format("{}", sequence_id % 10);
  constexpr std::size_t kFirst = 60;
  return {vdm(2, 1, id, channel, payload.substr(0, kFirst), 0),
          vdm(2, 2, id, channel, payload.substr(kFirst), fill)};
}

}  // namespace demo::nmea
