// From an aircraft's merged state to bus payloads: a Track per ICAO address, and an Alert
// when it squawks 7500, 7600 or 7700. The tables of docs/gateways/sbs.md describe this file.
#pragma once

#include <string>
#include <string_view>

#include <flatbuffers/flatbuffers.h>

#include "enlace/wire.hpp"
#include "sbs/aircraft.hpp"

namespace enlace::gateway::sbs {

inline constexpr double kFootToMetre = 0.3048;
inline constexpr double kKnotToMps = 1852.0 / 3600.0;
inline constexpr double kFeetPerMinuteToMps = 0.3048 / 60.0;

/// "ICAO-4CA2D6".
std::string track_id(std::uint32_t icao);

flatbuffers::Offset<wire::Track> build_aircraft_track(flatbuffers::FlatBufferBuilder& fbb,
                                                      const AircraftState& aircraft,
                                                      std::string_view receiver);

flatbuffers::Offset<wire::Alert> build_squawk_alert(flatbuffers::FlatBufferBuilder& fbb,
                                                    const AircraftState& aircraft,
                                                    std::int64_t raised_ns);

}  // namespace enlace::gateway::sbs
