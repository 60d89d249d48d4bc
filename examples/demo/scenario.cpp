#include "scenario.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace demo {

std::string_view role_name(Role role) noexcept {
  switch (role) {
    case Role::command_post:
      return "command_post";
    case Role::radio_gateway:
      return "radio_gateway";
    case Role::sensor:
      return "sensor";
    case Role::biometric_station:
      return "biometric_station";
    case Role::observer:
      return "observer";
    case Role::tak_gateway:
      return "tak_gateway";
  }
  return "?";
}

const std::vector<SystemSpec>& systems() {
  // Rates are what each system needs with room to spare: a radar reporting three tracks at
  // 1 Hz gets 20/s, so a runaway sensor is cut off long before it floods the bus.
  static const std::vector<SystemSpec> all = {
      // Command posts: one per nation. Brazil's is an observer post.
      {id::col_cp, "COL", Role::command_post,
       "Colombian Navy river command post, Puerto Leguízamo"},
      {id::ecu_cp, "ECU", Role::command_post,
       "Ecuadorian Army brigade command post, Nueva Loja (Lago Agrio)"},
      {id::per_cp, "PER", Role::command_post, "Peruvian Navy command post, El Estrecho"},
      {id::bra_cp, "BRA", Role::observer, "Brazilian observer post, Tabatinga"},
      // Radio gateways: GPS fixes of patrol radios become PositionReports. These and the AIS
      // receiver run as real enlace-nmea-gateway processes (feed_gateways.hpp).
      {id::col_radio, "COL", Role::radio_gateway,
       "Colombian patrol radio gateway, enlace-nmea-gateway (boats on the Putumayo, foot "
       "patrol at Puerto Asís)"},
      {id::ecu_radio, "ECU", Role::radio_gateway,
       "Ecuadorian patrol radio gateway, enlace-nmea-gateway (Nueva Loja, Puerto El Carmen)"},
      {id::per_radio, "PER", Role::radio_gateway,
       "Peruvian patrol radio gateway, enlace-nmea-gateway (south bank of the Putumayo)"},
      // Sensors.
      {id::col_radar, "COL", Role::sensor, "Colombian river surveillance radar, Puerto Leguízamo",
       20, 40},
      {id::col_radar_leticia, "COL", Role::sensor,
       "Colombian river surveillance radar, Leticia (Amazon tri-border)", 20, 40},
      {id::ecu_ais, "ECU", Role::sensor,
       "Ecuadorian AIS receiver, Puerto El Carmen de Putumayo, through enlace-nmea-gateway", 20,
       40},
      {id::per_drone, "PER", Role::sensor, "Peruvian Navy surveillance drone PD-3", 10, 20},
      {id::col_biometric, "COL", Role::biometric_station,
       "Colombian biometric checkpoint, Puerto Asís river port", 2, 5},
      // TAK gateways: one per nation's site, run with --tak (tak_sites.hpp). Each makes the
      // bus look like a TAK Server to its nation's ATAK and WinTAK clients.
      {id::col_tak, "COL", Role::tak_gateway,
       "Colombian TAK site, enlace-tak-gateway (ATAK phones of the river patrols)"},
      {id::ecu_tak, "ECU", Role::tak_gateway,
       "Ecuadorian TAK site, enlace-tak-gateway (ATAK phones of the brigade)"},
      {id::per_tak, "PER", Role::tak_gateway,
       "Peruvian TAK site, enlace-tak-gateway (ATAK phones of the naval patrols)"},
      {id::bra_tak, "BRA", Role::tak_gateway,
       "Brazilian TAK site, enlace-tak-gateway (WinTAK at the observer post)"},
      // Decommissioned: kept for the record, its key opens nothing.
      {id::col_radar_revoked, "COL", Role::sensor,
       "Colombian radar, Tres Esquinas (decommissioned, key revoked)", 0, 0, true},
  };
  return all;
}

const SystemSpec& command_post_of(std::string_view nation) {
  for (const SystemSpec& s : systems()) {
    if (s.nation == nation && (s.role == Role::command_post || s.role == Role::observer)) return s;
  }
  throw std::invalid_argument(fmt::format("no command post for nation {}", nation));
}

namespace topic {

std::string position(std::string_view nation, std::string_view unit) {
  return fmt::format("position.{}.unit.{}", nation, unit);
}
std::string radar_track(std::string_view nation, std::string_view radar, std::string_view track) {
  return fmt::format("track.{}.radar.{}.{}", nation, radar, track);
}
std::string ais_track(std::string_view nation, std::string_view receiver, std::string_view mmsi) {
  return fmt::format("track.{}.ais.{}.{}", nation, receiver, mmsi);
}
std::string drone_detection(std::string_view nation, std::string_view drone,
                            std::string_view detection) {
  return fmt::format("detection.{}.drone.{}.{}", nation, drone, detection);
}
std::string biometric_alert(std::string_view nation, std::string_view station,
                            std::string_view hit) {
  return fmt::format("alert.{}.biometric.{}.{}", nation, station, hit);
}
std::string alert(std::string_view nation, std::string_view area, std::string_view id) {
  return fmt::format("alert.{}.{}.{}", nation, area, id);
}
std::string spot(std::string_view nation, std::string_view area, std::string_view id) {
  return fmt::format("spot.{}.{}.{}", nation, area, id);
}
std::string chat(std::string_view nation, std::string_view room) {
  return fmt::format("text.{}.chat.{}", nation, room);
}
std::string tasking(std::string_view nation, std::string_view task) {
  return fmt::format("tasking.{}.patrol.{}", nation, task);
}

}  // namespace topic
}  // namespace demo
