// The vessels on the Ecuadorian reach of the Putumayo and the AIS receiver at Puerto El
// Carmen that hears them. The receiver forwards what it hears, as !AIVDM sentences over
// UDP, to a real enlace-nmea-gateway process (feed_gateways.hpp): a position report
// (message 1) from each vessel every 6 s, and its static and voyage data (message 5, two
// sentences) every 30 s. The gateway reassembles and decodes them, marks the vessels on
// its watch list, and publishes one Track per MMSI on track.<NATION>.ais.<receiver>.<MMSI>,
// unlabelled: the agreements decide who sees them.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "udp_feed.hpp"

namespace demo {

/// The AIS receiver feeding gateway `gateway` (a system of the scenario).
std::unique_ptr<DeviceFeed> make_ais_receiver(const SystemSpec& gateway);

/// A vessel the AIS receiver hears.
struct VesselInfo {
  std::uint32_t mmsi;
  std::string_view name;
  bool watch_listed;  // on the gateway's watch list: published as suspect
};
/// The vessels, in MMSI order of the scenario.
const std::vector<VesselInfo>& ais_vessels();

/// The receiver's topic token, as in track.ECU.ais.<receiver>.<MMSI>.
inline constexpr std::string_view kAisReceiver = "el-carmen";

}  // namespace demo
