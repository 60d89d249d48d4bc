#include "sbs/decode/sbs_line.hpp"

#include <charconv>
#include <cmath>

namespace enlace::gateway::sbs {
namespace {

constexpr std::size_t kFields = 22;

bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

std::optional<double> decimal(std::string_view text) noexcept {
  if (text.empty() || text.size() > 24) return std::nullopt;
  for (const char c : text) {
    if (!is_digit(c) && c != '-' && c != '.' && c != '+') return std::nullopt;
  }
  if (text[0] == '+') text.remove_prefix(1);
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

std::optional<std::int32_t> integer(std::string_view text) noexcept {
  if (text.empty() || text.size() > 9) return std::nullopt;
  if (text[0] == '+') text.remove_prefix(1);
  std::int32_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

int digits(std::string_view text, std::size_t at, std::size_t n) noexcept {
  int v = 0;
  for (std::size_t i = at; i < at + n; ++i) {
    if (!is_digit(text[i])) return -1;
    v = v * 10 + (text[i] - '0');
  }
  return v;
}

// "yyyy/mm/dd" -> days since 1970-01-01.
std::optional<std::int64_t> date(std::string_view t) noexcept {
  if (t.size() != 10 || t[4] != '/' || t[7] != '/') return std::nullopt;
  const int y = digits(t, 0, 4), m = digits(t, 5, 2), d = digits(t, 8, 2);
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1970 || y > 2200 || m < 1 || m > 12 || d < 1 || d > kDays[m - 1]) return std::nullopt;
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (m == 2 && d == 29 && !leap) return std::nullopt;
  const int yy = m <= 2 ? y - 1 : y;
  const int era = yy / 400;
  const int yoe = yy - era * 400;
  const int doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
  return static_cast<std::int64_t>(era) * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

// "hh:mm:ss[.fff]" -> nanoseconds since midnight.
std::optional<std::int64_t> time_of_day(std::string_view t) noexcept {
  if (t.size() < 8 || t.size() > 18 || t[2] != ':' || t[5] != ':') return std::nullopt;
  const int h = digits(t, 0, 2), m = digits(t, 3, 2), s = digits(t, 6, 2);
  if (h < 0 || h > 23 || m < 0 || m > 59 || s < 0 || s > 60) return std::nullopt;
  std::int64_t ns = 0;
  if (t.size() > 8) {
    if (t[8] != '.') return std::nullopt;
    std::int64_t scale = 100'000'000;
    for (std::size_t i = 9; i < t.size(); ++i) {
      if (!is_digit(t[i])) return std::nullopt;
      ns += (t[i] - '0') * scale;
      scale /= 10;
    }
  }
  return (static_cast<std::int64_t>(h) * 3600 + m * 60 + s) * 1'000'000'000 + ns;
}

// "-1" (or any non-zero: BaseStation writes 1) true, "0" false, empty unknown.
bool flag(std::string_view text, std::optional<bool>& out) noexcept {
  if (text.empty()) return true;
  if (text == "0") {
    out = false;
  } else if (text == "-1" || text == "1") {
    out = true;
  } else {
    return false;
  }
  return true;
}

}  // namespace

Decoded<std::optional<SbsMessage>> decode_sbs(std::string_view line) noexcept {
  if (line.size() > kMaxSbsLineBytes) return Reject::too_long;
  std::array<std::string_view, kFields + 1> f{};
  std::size_t n = 0;
  while (true) {
    const std::size_t comma = line.find(',');
    if (n == f.size()) return Reject::malformed;
    f[n++] = line.substr(0, comma);
    if (comma == std::string_view::npos) break;
    line.remove_prefix(comma + 1);
  }
  const std::string_view kind = f[0];
  if (kind == "SEL" || kind == "ID" || kind == "AIR" || kind == "STA" || kind == "CLK") {
    return std::optional<SbsMessage>{};
  }
  if (kind != "MSG") return Reject::malformed;
  if (n != kFields) return Reject::malformed;
  for (std::size_t i = 0; i < kFields; ++i) {
    for (const char c : f[i]) {
      if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) {
        return Reject::bad_field;
      }
    }
  }

  SbsMessage m;
  const auto type = integer(f[1]);
  if (!type || *type < 1 || *type > 8) return Reject::bad_field;
  m.transmission = static_cast<std::uint8_t>(*type);
  const std::string_view hex = f[4];
  if (hex.size() != 6) return Reject::bad_field;
  for (const char c : hex) {
    int v = -1;
    if (is_digit(c)) v = c - '0';
    if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    if (v < 0) return Reject::bad_field;
    m.icao = (m.icao << 4) | static_cast<std::uint32_t>(v);
  }
  if (!f[6].empty() && !f[7].empty()) {
    m.local_date_days = date(f[6]);
    m.local_time_ns = time_of_day(f[7]);
    if (!m.local_date_days || !m.local_time_ns) return Reject::bad_field;
  }
  std::string_view callsign = f[10];
  while (!callsign.empty() && callsign.back() == ' ') callsign.remove_suffix(1);
  if (callsign.size() > 8) return Reject::bad_field;
  if (!callsign.empty()) m.callsign = callsign;

  std::string_view altitude = f[11];
  if (!altitude.empty() && altitude.back() == 'H') {
    m.altitude_geometric = true;
    altitude.remove_suffix(1);
  }
  if (!altitude.empty()) {
    m.altitude_ft = integer(altitude);
    if (!m.altitude_ft || *m.altitude_ft < -2000 || *m.altitude_ft > 130000) {
      return Reject::bad_field;
    }
  }
  if (!f[12].empty()) {
    m.ground_speed_kt = decimal(f[12]);
    if (!m.ground_speed_kt || *m.ground_speed_kt < 0 || *m.ground_speed_kt > 4000) {
      return Reject::bad_field;
    }
  }
  if (!f[13].empty()) {
    m.track_deg = decimal(f[13]);
    if (!m.track_deg || *m.track_deg < 0 || *m.track_deg > 360) return Reject::bad_field;
  }
  if (f[14].empty() != f[15].empty()) return Reject::bad_field;
  if (!f[14].empty()) {
    m.lat_deg = decimal(f[14]);
    m.lon_deg = decimal(f[15]);
    if (!m.lat_deg || !m.lon_deg || std::fabs(*m.lat_deg) > 90 || std::fabs(*m.lon_deg) > 180) {
      return Reject::bad_field;
    }
  }
  std::string_view rate = f[16];
  if (!rate.empty() && rate.back() == 'H') rate.remove_suffix(1);
  if (!rate.empty()) {
    m.vertical_rate_ftpm = integer(rate);
    if (!m.vertical_rate_ftpm) return Reject::bad_field;
  }
  if (!f[17].empty()) {
    if (f[17].size() != 4) return Reject::bad_field;
    for (const char c : f[17]) {
      if (c < '0' || c > '7') return Reject::bad_field;
    }
    m.squawk = f[17];
  }
  if (!flag(f[18], m.squawk_changed) || !flag(f[19], m.emergency) || !flag(f[20], m.spi) ||
      !flag(f[21], m.on_ground)) {
    return Reject::bad_field;
  }
  return std::optional<SbsMessage>(m);
}

}  // namespace enlace::gateway::sbs
