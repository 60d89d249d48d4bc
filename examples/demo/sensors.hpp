// Simulated sensor systems, each publishing what its real counterpart would:
//
//   col-radar-leguizamo   river radar, Tracks of unknown/suspect boats at 1 Hz, unlabelled
//   col-radar-leticia     the same at the Amazon tri-border (shared with Brazil by agreement)
//   per-drone-pd3         drone, Detections with a media reference every 2.5 s; every third
//                         one is released to Ecuador only
//   col-biometric-puerto-asis  checkpoint, watch-list hit Alerts released to Colombia only
//
// The AIS receiver ecu-ais-el-carmen is not simulated here: it is a real gateway process
// fed by simulated vessels (ais_vessels.hpp).
#pragma once

#include <memory>

#include "simulated_system.hpp"

namespace demo {

/// The simulated system for the scenario's sensor or biometric station `spec`. Throws
/// std::invalid_argument for any other system.
std::unique_ptr<SimulatedSystem> make_sensor(const SystemSpec& spec, const enlace::KeyPair& keys,
                                             const BusAccess& bus);

}  // namespace demo
