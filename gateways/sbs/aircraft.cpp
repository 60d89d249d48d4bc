#include "sbs/aircraft.hpp"

namespace enlace::gateway::sbs {

AircraftState* AircraftTable::merge(const SbsMessage& m, std::int64_t observed_ns,
                                    std::int64_t now_steady_ns) {
  auto it = aircraft_.find(m.icao);
  if (it == aircraft_.end()) {
    if (aircraft_.size() >= max_entries_) {
      std::erase_if(aircraft_, [&](const auto& item) {
        return now_steady_ns - item.second.heard_ns > forget_after_ns_;
      });
      if (aircraft_.size() >= max_entries_) return nullptr;
    }
    it = aircraft_.emplace(m.icao, AircraftState{}).first;
    it->second.icao = m.icao;
  }
  AircraftState& a = it->second;
  a.heard_ns = now_steady_ns;
  a.observed_ns = observed_ns;
  // Only what the message carries changes: an empty field is "not in this message".
  if (m.callsign) a.callsign = *m.callsign;
  if (m.altitude_ft) {
    a.altitude_ft = m.altitude_ft;
    a.altitude_geometric = m.altitude_geometric;
  }
  if (m.ground_speed_kt) a.ground_speed_kt = m.ground_speed_kt;
  if (m.track_deg) a.track_deg = m.track_deg;
  if (m.lat_deg && m.lon_deg) {
    a.lat_deg = m.lat_deg;
    a.lon_deg = m.lon_deg;
  }
  if (m.vertical_rate_ftpm) a.vertical_rate_ftpm = m.vertical_rate_ftpm;
  if (m.squawk) a.squawk = *m.squawk;
  if (m.on_ground) a.on_ground = *m.on_ground;
  if (m.emergency) a.emergency_flag = *m.emergency;
  return &a;
}

}  // namespace enlace::gateway::sbs
