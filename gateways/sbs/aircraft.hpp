// The aircraft table: SBS messages of transmission types 1 to 8 merged into one state per
// ICAO 24-bit address, since each message carries only some of the fields (identification,
// position, velocity, altitude, squawk).
//
// Bounded: at most `max_entries` aircraft; a new one when the table is full first evicts
// those not heard for `forget_after_ns`, and is refused (table_full) if none can go.
// Values keep the format's units (feet, knots); mapping.cpp converts. No I/O; used by the
// pipeline on the gateway's I/O thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

#include "sbs/decode/sbs_line.hpp"

namespace enlace::gateway::sbs {

struct AircraftState {
  std::uint32_t icao = 0;
  std::string callsign;
  std::optional<std::int32_t> altitude_ft;
  bool altitude_geometric = false;
  std::optional<double> ground_speed_kt, track_deg;
  std::optional<double> lat_deg, lon_deg;
  std::optional<std::int32_t> vertical_rate_ftpm;
  std::string squawk;  // empty until a type 6 message
  bool on_ground = false;
  bool emergency_flag = false;
  std::int64_t observed_ns = 0;  // UTC of the last message
  std::int64_t heard_ns = 0;     // steady clock of the last message
  std::optional<std::int64_t> last_published_ns;
  std::string alerted_squawk;  // the emergency squawk an Alert was raised for

  bool has_position() const noexcept { return lat_deg && lon_deg; }
  /// Squawk 7500 (unlawful interference), 7600 (radio failure) or 7700 (emergency).
  bool emergency_squawk() const noexcept {
    return squawk == "7500" || squawk == "7600" || squawk == "7700";
  }
};

class AircraftTable {
 public:
  AircraftTable(std::size_t max_entries, std::int64_t forget_after_ns)
      : max_entries_(max_entries), forget_after_ns_(forget_after_ns) {}

  /// Merges `message`, observed at `observed_ns` (UTC); nullptr when the table is full.
  AircraftState* merge(const SbsMessage& message, std::int64_t observed_ns,
                       std::int64_t now_steady_ns);

  std::size_t size() const noexcept { return aircraft_.size(); }

 private:
  std::size_t max_entries_;
  std::int64_t forget_after_ns_;
  std::unordered_map<std::uint32_t, AircraftState> aircraft_;
};

}  // namespace enlace::gateway::sbs
