#include "nmea/decode/gpsd_json.hpp"

#include <cctype>
#include <charconv>
#include <cmath>

#include "nmea/decode/nmea_sentence.hpp"

namespace enlace::gateway::nmea {
namespace {

constexpr int kMaxDepth = 16;

// A scanner over one JSON text. Strings are returned as their raw bytes between the
// quotes (escapes are kept as written: the members read here never need them decoded).
class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  void skip_space() {
    while (at_ < text_.size() &&
           (text_[at_] == ' ' || text_[at_] == '\t' || text_[at_] == '\r' || text_[at_] == '\n')) {
      ++at_;
    }
  }
  bool eat(char c) {
    skip_space();
    if (at_ < text_.size() && text_[at_] == c) {
      ++at_;
      return true;
    }
    return false;
  }
  bool at_end() {
    skip_space();
    return at_ == text_.size();
  }
  char peek() {
    skip_space();
    return at_ < text_.size() ? text_[at_] : '\0';
  }

  std::optional<std::string_view> string() {
    if (!eat('"')) return std::nullopt;
    const std::size_t start = at_;
    while (at_ < text_.size()) {
      const char c = text_[at_];
      if (c == '"') return text_.substr(start, at_++ - start);
      if (static_cast<unsigned char>(c) < 0x20) return std::nullopt;
      at_ += c == '\\' ? 2 : 1;
    }
    return std::nullopt;
  }

  std::optional<double> number() {
    skip_space();
    const std::size_t start = at_;
    while (at_ < text_.size() &&
           (std::isdigit(static_cast<unsigned char>(text_[at_])) || text_[at_] == '-' ||
            text_[at_] == '+' || text_[at_] == '.' || text_[at_] == 'e' || text_[at_] == 'E')) {
      ++at_;
    }
    double value = 0;
    const auto [end, error] = std::from_chars(text_.data() + start, text_.data() + at_, value);
    if (at_ == start || error != std::errc() || end != text_.data() + at_ ||
        !std::isfinite(value)) {
      return std::nullopt;
    }
    return value;
  }

  bool literal(std::string_view word) {
    skip_space();
    if (text_.substr(at_, word.size()) != word) return false;
    at_ += word.size();
    return true;
  }

  // Skips any value; false if it is not well formed.
  bool skip_value(int depth) {
    if (depth > kMaxDepth) return false;
    const char c = peek();
    if (c == '"') return string().has_value();
    if (c == '{' || c == '[') {
      const char close = c == '{' ? '}' : ']';
      ++at_;
      if (eat(close)) return true;
      do {
        if (c == '{' && (!string() || !eat(':'))) return false;
        if (!skip_value(depth + 1)) return false;
      } while (eat(','));
      return eat(close);
    }
    if (c == 't') return literal("true");
    if (c == 'f') return literal("false");
    if (c == 'n') return literal("null");
    return number().has_value();
  }

 private:
  std::string_view text_;
  std::size_t at_ = 0;
};

}  // namespace

std::optional<std::int64_t> parse_iso8601_utc(std::string_view t) noexcept {
  // yyyy-mm-ddThh:mm:ss[.fff]Z
  if (t.size() < 20 || t.size() > 32 || t[4] != '-' || t[7] != '-' || t[10] != 'T' ||
      t[13] != ':' || t[16] != ':' || t.back() != 'Z') {
    return std::nullopt;
  }
  const auto year = parse_uint(t.substr(0, 4));
  const auto month = parse_uint(t.substr(5, 2));
  const auto day = parse_uint(t.substr(8, 2));
  if (!year || !month || !day) return std::nullopt;
  const auto days =
      days_from_civil(static_cast<int>(*year), static_cast<int>(*month), static_cast<int>(*day));
  std::string clock;
  clock.reserve(16);
  clock.append(t.substr(11, 2)).append(t.substr(14, 2)).append(t.substr(17, t.size() - 18));
  const auto time_of_day = parse_time_of_day(clock);
  if (!days || !time_of_day) return std::nullopt;
  return *days * 86'400'000'000'000LL + *time_of_day;
}

Decoded<std::optional<GpsdFix>> decode_gpsd(std::string_view line) {
  if (line.size() > kMaxGpsdLineBytes) return Reject::too_long;
  Scanner in(line);
  if (!in.eat('{')) return Reject::malformed;
  GpsdFix fix;
  bool tpv = false;
  bool bad = false;
  std::optional<double> lat, lon, alt_hae, alt_msl, alt_old;
  std::optional<double> mode;
  if (!in.eat('}')) {
    do {
      const auto key = in.string();
      if (!key || !in.eat(':')) return Reject::malformed;
      auto read_number = [&](std::optional<double>& out) {
        if (in.peek() == '"' || in.peek() == '{' || in.peek() == '[' || in.peek() == 't' ||
            in.peek() == 'f' || in.peek() == 'n') {
          bad = true;
          return in.skip_value(1);
        }
        out = in.number();
        return out.has_value();
      };
      bool ok = true;
      if (*key == "class") {
        const auto value = in.string();
        ok = value.has_value();
        tpv = ok && *value == "TPV";
      } else if (*key == "device") {
        const auto value = in.string();
        ok = value.has_value();
        if (ok) fix.device.assign(value->substr(0, 256));
      } else if (*key == "time") {
        if (in.peek() == '"') {
          const auto value = in.string();
          ok = value.has_value();
          if (ok) {
            fix.time_ns = parse_iso8601_utc(*value);
            bad = bad || !fix.time_ns;
          }
        } else {
          bad = true;
          ok = in.skip_value(1);
        }
      } else if (*key == "mode") {
        ok = read_number(mode);
      } else if (*key == "lat") {
        ok = read_number(lat);
      } else if (*key == "lon") {
        ok = read_number(lon);
      } else if (*key == "altHAE") {
        ok = read_number(alt_hae);
      } else if (*key == "altMSL") {
        ok = read_number(alt_msl);
      } else if (*key == "alt") {
        ok = read_number(alt_old);
      } else if (*key == "speed") {
        ok = read_number(fix.speed_mps);
      } else if (*key == "track") {
        ok = read_number(fix.course_deg);
      } else if (*key == "eph") {
        ok = read_number(fix.horizontal_error_m);
      } else if (*key == "epv") {
        ok = read_number(fix.vertical_error_m);
      } else {
        ok = in.skip_value(1);
      }
      if (!ok) return Reject::malformed;
    } while (in.eat(','));
    if (!in.eat('}')) return Reject::malformed;
  }
  if (!in.at_end()) return Reject::malformed;
  if (!tpv) return std::optional<GpsdFix>{};
  if (bad) return Reject::bad_field;
  if (mode && (*mode < 0 || *mode > 3)) return Reject::bad_field;
  fix.mode = mode ? static_cast<int>(*mode) : 0;
  if (fix.mode < 2 || !lat || !lon) return Reject::no_fix;
  if (std::fabs(*lat) > 90 || std::fabs(*lon) > 180) return Reject::bad_field;
  if (fix.course_deg && (*fix.course_deg < 0 || *fix.course_deg > 360)) return Reject::bad_field;
  if (fix.speed_mps && *fix.speed_mps < 0) return Reject::bad_field;
  fix.lat_deg = *lat;
  fix.lon_deg = *lon;
  fix.altitude_hae_m = alt_hae;
  fix.altitude_msl_m = alt_msl ? alt_msl : alt_old;
  return std::optional<GpsdFix>(std::move(fix));
}

}  // namespace enlace::gateway::nmea
