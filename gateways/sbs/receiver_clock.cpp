#include "sbs/receiver_clock.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <ctime>
#include <fstream>

namespace enlace::gateway::sbs {
namespace {

constexpr std::int64_t kSecond = 1'000'000'000;
constexpr std::int64_t kDay = 86'400;

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
}

// Whether `name` names a TZif file under the database directory.
bool is_zone(std::string_view name) {
  if (name.empty() || name.front() == '/' || name.find("..") != std::string_view::npos) {
    return false;
  }
  std::ifstream file(tz_database_dir() + "/" + std::string(name), std::ios::binary);
  char magic[4] = {};
  return file.read(magic, sizeof(magic)) && std::string_view(magic, 4) == "TZif";
}

}  // namespace

std::string tz_database_dir() {
  const char* dir = std::getenv("TZDIR");
  return dir != nullptr && *dir != '\0' ? dir : "/usr/share/zoneinfo";
}

std::optional<ReceiverClock> ReceiverClock::zone(std::string_view name) {
  if (!is_zone(name)) return std::nullopt;
  ReceiverClock clock;
  clock.zone_ = std::string(name);
  // The leading ':' makes the C library read the zone file rather than a POSIX TZ rule.
  ::setenv("TZ", (":" + clock.zone_).c_str(), 1);
  ::tzset();
  return clock;
}

std::int64_t ReceiverClock::to_utc_ns(std::int64_t local_days, std::int64_t local_time_ns) const {
  const std::int64_t local_ns = local_days * kDay * kSecond + local_time_ns;
  if (zone_.empty()) return local_ns - offset_.count();
  const std::int64_t local_s = floor_div(local_ns, kSecond);
  const std::int64_t minute = floor_div(local_s, 60);
  if (cached_minute_ != minute) {
    // The local minute's fields, as if it were UTC, then read as local time.
    const std::time_t as_utc = static_cast<std::time_t>(minute * 60);
    std::tm fields{};
    ::gmtime_r(&as_utc, &fields);
    fields.tm_isdst = -1;  // the zone's rules decide
    const std::time_t utc = ::mktime(&fields);
    cached_offset_s_ = minute * 60 - static_cast<std::int64_t>(utc);
    cached_minute_ = minute;
  }
  return local_ns - cached_offset_s_ * kSecond;
}

std::string ReceiverClock::describe() const {
  if (!zone_.empty()) return zone_;
  const auto minutes = std::chrono::duration_cast<std::chrono::minutes>(offset_).count();
  if (minutes == 0) return "UTC";
  const auto magnitude = minutes < 0 ? -minutes : minutes;
  return fmt::format("UTC{}{:02}:{:02}", minutes < 0 ? '-' : '+', magnitude / 60, magnitude % 60);
}

}  // namespace enlace::gateway::sbs
