// The patrol radios of one nation: each unit's radio reports a GPS fix every few seconds
// as NMEA 0183 sentences ($GPRMC and $GPGGA, or $GN... from a multi-constellation
// receiver), from its own UDP address, to its nation's radio gateway, a real
// enlace-nmea-gateway process (feed_gateways.hpp). The gateway's configuration maps each
// radio's address to its unit and callsign, and the gateway publishes the fixes as
// PositionReports on position.<NATION>.unit.<unit>, unlabelled: the joint patrol
// agreement decides who sees friendly positions.
#pragma once

#include <memory>
#include <string_view>

#include "udp_feed.hpp"

namespace demo {

/// The radios reporting to radio gateway `gateway` (a system of the scenario).
std::unique_ptr<DeviceFeed> make_patrol_radios(const SystemSpec& gateway);

/// How many patrol units of `nation` carry a radio.
std::size_t patrol_units(std::string_view nation);

}  // namespace demo
