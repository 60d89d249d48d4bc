#include "nmea/radio_units.hpp"

namespace enlace::gateway::nmea {
namespace {

constexpr std::int64_t kDay = 86'400'000'000'000;

bool address_matches(std::string_view wanted, std::string_view peer) {
  if (wanted.empty()) return true;
  if (wanted == peer) return true;
  // "ip" matches "ip:port" from any port.
  return peer.size() > wanted.size() && peer.substr(0, wanted.size()) == wanted &&
         peer[wanted.size()] == ':';
}

}  // namespace

RadioUnits::RadioUnits(std::vector<RadioSpec> radios) : specs_(std::move(radios)) {
  units_.resize(specs_.size());
  for (std::size_t i = 0; i < specs_.size(); ++i) units_[i].spec = &specs_[i];
}

UnitState* RadioUnits::find(std::string_view source, std::string_view peer,
                            std::string_view station) {
  for (UnitState& unit : units_) {
    const RadioSpec& spec = *unit.spec;
    if (spec.source != source) continue;
    if (!address_matches(spec.address, peer)) continue;
    if (!spec.station.empty() && spec.station != station) continue;
    return &unit;
  }
  return nullptr;
}

std::int64_t RadioUnits::fix_time(std::optional<std::int64_t> date_days,
                                  std::int64_t time_of_day_ns, std::int64_t now_utc_ns) {
  if (date_days) return *date_days * kDay + time_of_day_ns;
  const std::int64_t today = now_utc_ns >= 0 ? now_utc_ns / kDay : (now_utc_ns - kDay + 1) / kDay;
  std::int64_t t = today * kDay + time_of_day_ns;
  if (t - now_utc_ns > kDay / 2) t -= kDay;
  if (now_utc_ns - t > kDay / 2) t += kDay;
  return t;
}

bool RadioUnits::merge(UnitState& unit, const RadioSentence& sentence, std::int64_t now_utc_ns,
                       std::int64_t now_steady_ns) {
  if (const auto* clock = std::get_if<Clock>(&sentence)) {
    unit.date_days = clock->date_days;
    return false;
  }
  if (const auto* v = std::get_if<Velocity>(&sentence)) {
    unit.speed_mps = v->speed_mps;
    unit.course_deg = v->course_deg;
    unit.motion_at_ns = now_steady_ns;
    return false;
  }
  const Fix& fix = std::get<Fix>(sentence);
  if (fix.date_days) unit.date_days = fix.date_days;
  unit.has_fix = true;
  unit.lat_deg = fix.lat_deg;
  unit.lon_deg = fix.lon_deg;
  unit.fix_at_ns = now_steady_ns;
  unit.observed_ns =
      fix.time_of_day_ns ? fix_time(unit.date_days, *fix.time_of_day_ns, now_utc_ns) : now_utc_ns;
  if (fix.type == "RMC") {
    unit.speed_mps = fix.speed_mps;
    unit.course_deg = fix.course_deg;
    unit.motion_at_ns = now_steady_ns;
  }
  if (fix.type == "GGA") {
    // GGA is the sentence that carries the altitude: an empty field there means the
    // altitude is unknown now, not that the last one still holds.
    // HAE = height above mean sea level + geoid separation, when the receiver gives both.
    unit.altitude_m.reset();
    if (fix.altitude_msl_m) {
      unit.altitude_above_ellipsoid = fix.geoid_separation_m.has_value();
      unit.altitude_m = *fix.altitude_msl_m + fix.geoid_separation_m.value_or(0.0);
    }
    unit.altitude_at_ns = now_steady_ns;
  }
  if (now_steady_ns - unit.motion_at_ns > kMergeWindow) {
    unit.speed_mps.reset();
    unit.course_deg.reset();
  }
  if (now_steady_ns - unit.altitude_at_ns > kMergeWindow) unit.altitude_m.reset();
  return true;
}

void RadioUnits::merge(UnitState& unit, const GpsdFix& fix, std::int64_t now_utc_ns,
                       std::int64_t now_steady_ns) {
  unit.has_fix = true;
  unit.lat_deg = fix.lat_deg;
  unit.lon_deg = fix.lon_deg;
  unit.fix_at_ns = unit.motion_at_ns = unit.altitude_at_ns = now_steady_ns;
  unit.observed_ns = fix.time_ns.value_or(now_utc_ns);
  unit.speed_mps = fix.speed_mps;
  unit.course_deg = fix.course_deg;
  unit.altitude_above_ellipsoid = fix.altitude_hae_m.has_value();
  unit.altitude_m = fix.altitude_hae_m ? fix.altitude_hae_m : fix.altitude_msl_m;
}

}  // namespace enlace::gateway::nmea
