#include "nmea/decode/nmea_sentence.hpp"

#include <charconv>
#include <cmath>

namespace enlace::gateway::nmea {
namespace {

std::optional<std::uint8_t> hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9') return static_cast<std::uint8_t>(c - '0');
  if (c >= 'A' && c <= 'F') return static_cast<std::uint8_t>(c - 'A' + 10);
  if (c >= 'a' && c <= 'f') return static_cast<std::uint8_t>(c - 'a' + 10);
  return std::nullopt;
}

bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

bool all_digits(std::string_view text) noexcept {
  for (const char c : text) {
    if (!is_digit(c)) return false;
  }
  return !text.empty();
}

int two_digits(std::string_view text, std::size_t at) noexcept {
  return (text[at] - '0') * 10 + (text[at + 1] - '0');
}

// "ddmm.mmmm" or "dddmm.mmmm": everything before the two digits left of the point is
// whole degrees.
std::optional<double> degrees_minutes(std::string_view value, int degree_digits_max,
                                      double limit) noexcept {
  const std::size_t point = value.find('.');
  const std::size_t whole = point == std::string_view::npos ? value.size() : point;
  if (whole < 3 || whole > static_cast<std::size_t>(degree_digits_max) + 2) return std::nullopt;
  if (!all_digits(value.substr(0, whole))) return std::nullopt;
  if (point != std::string_view::npos && point + 1 < value.size() &&
      !all_digits(value.substr(point + 1))) {
    return std::nullopt;
  }
  const auto degrees = parse_uint(value.substr(0, whole - 2));
  const auto minutes = parse_number(value.substr(whole - 2));
  if (!degrees || !minutes || *minutes >= 60.0) return std::nullopt;
  const double result = *degrees + *minutes / 60.0;
  if (result > limit) return std::nullopt;
  return result;
}

}  // namespace

std::uint8_t checksum(std::string_view body) noexcept {
  std::uint8_t sum = 0;
  for (const char c : body) sum ^= static_cast<std::uint8_t>(c);
  return sum;
}

Decoded<Sentence> parse_sentence(std::string_view line) noexcept {
  if (line.size() > kMaxSentenceBytes) return Reject::too_long;
  if (line.size() < 9 || (line[0] != '$' && line[0] != '!')) return Reject::malformed;
  const std::size_t star = line.size() - 3;
  if (line[star] != '*') return Reject::malformed;
  const auto high = hex_digit(line[star + 1]);
  const auto low = hex_digit(line[star + 2]);
  if (!high || !low) return Reject::malformed;
  const std::string_view body = line.substr(1, star - 1);
  for (const char c : body) {
    if (c < ' ' || c > '~' || c == '*' || c == '$' || c == '!') return Reject::malformed;
  }
  if (checksum(body) != ((*high << 4) | *low)) return Reject::checksum;

  Sentence s;
  s.start = line[0];
  const std::size_t comma = body.find(',');
  const std::string_view address = body.substr(0, comma);
  if (address.empty() || address.size() > 16) return Reject::malformed;
  for (const char c : address) {
    if (!((c >= 'A' && c <= 'Z') || is_digit(c))) return Reject::malformed;
  }
  if (address[0] == 'P') {
    s.talker = address.substr(0, 1);
    s.type = address.substr(1);
  } else {
    if (address.size() != 5) return Reject::malformed;
    s.talker = address.substr(0, 2);
    s.type = address.substr(2);
  }
  if (comma == std::string_view::npos) return s;
  std::string_view rest = body.substr(comma + 1);
  while (true) {
    if (s.field_count == kMaxFields) return Reject::malformed;
    const std::size_t next = rest.find(',');
    s.fields[s.field_count++] = rest.substr(0, next);
    if (next == std::string_view::npos) break;
    rest.remove_prefix(next + 1);
  }
  return s;
}

std::optional<double> parse_number(std::string_view text) noexcept {
  if (text.empty() || text.size() > 24) return std::nullopt;
  // from_chars takes no leading '+', and ".5" needs a leading digit in some libraries.
  char buffer[32];
  std::size_t n = 0;
  std::size_t i = 0;
  if (text[0] == '-') buffer[n++] = text[i++];
  if (i < text.size() && text[i] == '.') buffer[n++] = '0';
  bool digits = false;
  bool point = false;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (is_digit(c)) {
      digits = true;
    } else if (c == '.' && !point) {
      point = true;
    } else {
      return std::nullopt;
    }
    buffer[n++] = c;
  }
  if (!digits) return std::nullopt;
  double value = 0;
  const auto [end, error] = std::from_chars(buffer, buffer + n, value);
  if (error != std::errc() || end != buffer + n || !std::isfinite(value)) return std::nullopt;
  return value;
}

std::optional<std::uint32_t> parse_uint(std::string_view text) noexcept {
  if (text.empty() || text.size() > 9 || !all_digits(text)) return std::nullopt;
  std::uint32_t value = 0;
  for (const char c : text) value = value * 10 + static_cast<std::uint32_t>(c - '0');
  return value;
}

std::optional<double> parse_latitude(std::string_view value, std::string_view hemisphere) noexcept {
  const auto degrees = degrees_minutes(value, 2, 90.0);
  if (!degrees) return std::nullopt;
  if (hemisphere == "N") return *degrees;
  if (hemisphere == "S") return -*degrees;
  return std::nullopt;
}

std::optional<double> parse_longitude(std::string_view value,
                                      std::string_view hemisphere) noexcept {
  const auto degrees = degrees_minutes(value, 3, 180.0);
  if (!degrees) return std::nullopt;
  if (hemisphere == "E") return *degrees;
  if (hemisphere == "W") return -*degrees;
  return std::nullopt;
}

std::optional<std::int64_t> parse_time_of_day(std::string_view text) noexcept {
  if (text.size() < 6 || !all_digits(text.substr(0, 6))) return std::nullopt;
  const int h = two_digits(text, 0);
  const int m = two_digits(text, 2);
  const int s = two_digits(text, 4);
  if (h > 23 || m > 59 || s > 60) return std::nullopt;  // 60: a leap second
  std::int64_t ns = 0;
  if (text.size() > 6) {
    if (text[6] != '.' || text.size() > 16) return std::nullopt;
    std::int64_t scale = 100'000'000;
    for (std::size_t i = 7; i < text.size(); ++i) {
      if (!is_digit(text[i])) return std::nullopt;
      ns += (text[i] - '0') * scale;
      scale /= 10;
    }
  }
  return (static_cast<std::int64_t>(h) * 3600 + m * 60 + s) * 1'000'000'000 + ns;
}

std::optional<std::int64_t> days_from_civil(int year, int month, int day) noexcept {
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (year < 1970 || year > 2200 || month < 1 || month > 12 || day < 1 || day > kDays[month - 1]) {
    return std::nullopt;
  }
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (month == 2 && day == 29 && !leap) return std::nullopt;
  // Howard Hinnant's days_from_civil.
  const int y = month <= 2 ? year - 1 : year;
  const int era = y / 400;
  const int yoe = y - era * 400;
  const int mp = (month + 9) % 12;
  const int doy = (153 * mp + 2) / 5 + day - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<std::int64_t>(era) * 146097 + doe - 719468;
}

std::optional<std::int64_t> parse_ddmmyy(std::string_view text) noexcept {
  if (text.size() != 6 || !all_digits(text)) return std::nullopt;
  const int yy = two_digits(text, 4);
  return days_from_civil(yy >= 80 ? 1900 + yy : 2000 + yy, two_digits(text, 2),
                         two_digits(text, 0));
}

}  // namespace enlace::gateway::nmea
