// The demo coalition: who is on the bus, where they are, and the topic layout they use.
//
// Operation Putumayo Shield is fictional; the places are real and their coordinates
// approximate (WGS 84 decimal degrees). Everything that the policy file, the simulated
// systems and the self-check must agree on is declared here once: nation codes, system
// ids and roles, agreement names and the topic layout.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "geo.hpp"

namespace demo {

inline constexpr std::string_view kCoalitionName = "Operation Putumayo Shield";
inline constexpr std::string_view kPolicyIdentifier = "urn:enlace:coalition:putumayo";
/// Written into policy.toml's header, so that a reader knows what generated the file.
inline constexpr std::string_view kScenarioVersion = "enlace-demo scenario 3";

struct NationInfo {
  std::string_view code;  // ISO 3166-1 alpha-3
  std::string_view name;
};

/// The four nations, in the order the views show them.
inline constexpr std::array<NationInfo, 4> kNations = {{
    {"COL", "Colombia"},
    {"ECU", "Ecuador"},
    {"PER", "Peru"},
    {"BRA", "Brazil"},
}};

/// Brazil's command post may join late (--late-joiner-seconds). Peru sends an update of its
/// tri-border alert this many seconds after that: alerts are not in the COP cache, so the
/// update is what shows a late joiner receiving the tri-border alerts live.
inline constexpr double kTriBorderUpdateAfterJoin_s = 2.5;

/// Agreement names as they appear in policy.toml and in the explanations.
inline constexpr std::string_view kJointPatrol = "putumayo-joint-patrol";
inline constexpr std::string_view kTriBorder = "amazon-triborder";

enum class Role { command_post, radio_gateway, sensor, biometric_station, observer, tak_gateway };

/// The role's name in policy.toml, e.g. "radio_gateway".
std::string_view role_name(Role role) noexcept;

/// A system registered in the policy. The demo runs one enlace::Client per system.
struct SystemSpec {
  std::string_view id;
  std::string_view nation;
  Role role;
  std::string_view description;  // becomes a comment in policy.toml
  double rate = 0;               // publish rate (messages/s); 0: the policy's default
  double burst = 0;
  /// Registered but revoked: its key must fail the handshake (the demo tries it once).
  bool revoked = false;
};

/// Every system of the coalition, in policy order.
const std::vector<SystemSpec>& systems();
/// The command post (or observer post) of `nation`.
const SystemSpec& command_post_of(std::string_view nation);

// System ids the simulation refers to by name.
namespace id {
inline constexpr std::string_view col_cp = "col-cp-leguizamo";
inline constexpr std::string_view ecu_cp = "ecu-cp-lago-agrio";
inline constexpr std::string_view per_cp = "per-cp-el-estrecho";
inline constexpr std::string_view bra_cp = "bra-cp-tabatinga";
inline constexpr std::string_view col_radio = "col-radio-leguizamo";
inline constexpr std::string_view ecu_radio = "ecu-radio-lago-agrio";
inline constexpr std::string_view per_radio = "per-radio-putumayo";
inline constexpr std::string_view col_radar = "col-radar-leguizamo";
inline constexpr std::string_view col_radar_leticia = "col-radar-leticia";
inline constexpr std::string_view ecu_ais = "ecu-ais-el-carmen";
inline constexpr std::string_view per_drone = "per-drone-pd3";
inline constexpr std::string_view col_biometric = "col-biometric-puerto-asis";
inline constexpr std::string_view col_tak = "col-tak-leguizamo";
inline constexpr std::string_view ecu_tak = "ecu-tak-lago-agrio";
inline constexpr std::string_view per_tak = "per-tak-el-estrecho";
inline constexpr std::string_view bra_tak = "bra-tak-tabatinga";
inline constexpr std::string_view col_radar_revoked = "col-radar-tres-esquinas";
}  // namespace id

// Places (approximate).
namespace place {
inline constexpr geo::Point puerto_leguizamo{-0.19, -74.78};  // COL, on the Putumayo
inline constexpr geo::Point puerto_asis{0.51, -76.50};        // COL, upper Putumayo
inline constexpr geo::Point nueva_loja{0.08, -76.88};         // ECU, Lago Agrio
inline constexpr geo::Point puerto_el_carmen{0.11, -75.84};   // ECU, on the Putumayo
inline constexpr geo::Point leticia{-4.22, -69.94};           // COL, Amazon tri-border
inline constexpr geo::Point tabatinga{-4.25, -69.94};         // BRA
inline constexpr geo::Point santa_rosa{-4.24, -69.96};        // PER, island in the Amazon
}  // namespace place

// The topic layout, `<kind>.<NATION>.<source>...` (docs/demo.md lists it).
namespace topic {
std::string position(std::string_view nation, std::string_view unit);
std::string radar_track(std::string_view nation, std::string_view radar, std::string_view track);
std::string ais_track(std::string_view nation, std::string_view receiver, std::string_view mmsi);
std::string drone_detection(std::string_view nation, std::string_view drone,
                            std::string_view detection);
std::string biometric_alert(std::string_view nation, std::string_view station,
                            std::string_view hit);
/// `area` is "putumayo" or "triborder": the agreements share alerts by area.
std::string alert(std::string_view nation, std::string_view area, std::string_view id);
std::string spot(std::string_view nation, std::string_view area, std::string_view id);
std::string chat(std::string_view nation, std::string_view room);
std::string tasking(std::string_view nation, std::string_view task);
}  // namespace topic

}  // namespace demo
