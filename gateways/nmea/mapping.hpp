// From the gateway's merged state to bus payloads: a PositionReport per radio unit, a
// Track per vessel. The tables of docs/gateways/nmea.md describe this file.
#pragma once

#include <string_view>

#include <flatbuffers/flatbuffers.h>

#include "enlace/wire.hpp"
#include "nmea/radio_units.hpp"
#include "nmea/vessels.hpp"

namespace enlace::gateway::nmea {

/// Speed at or below which a unit is reported Halted rather than Moving (m/s): GPS noise
/// on a standing radio reads as a few decimetres per second.
inline constexpr double kHaltedBelowMps = 0.5;

flatbuffers::Offset<wire::PositionReport> build_position_report(flatbuffers::FlatBufferBuilder& fbb,
                                                                const UnitState& unit);

/// `receiver` names the AIS receiver (the source), `identity` comes from the watch list.
flatbuffers::Offset<wire::Track> build_vessel_track(flatbuffers::FlatBufferBuilder& fbb,
                                                    const VesselState& vessel,
                                                    std::string_view receiver,
                                                    wire::StandardIdentity identity);

}  // namespace enlace::gateway::nmea
