// The vessel table: what AIS has said about each MMSI, merged into one state per vessel
// (the last position report and the static data of messages 5, 19 and 24), plus base
// stations (type 4) and aids to navigation (type 21) as fixed contacts.
//
// Bounded: at most `max_entries` MMSIs. A new MMSI when the table is full first evicts
// those not heard for `forget_after_ns`; if none can go, it is refused (table_full).
// A type 24 part B is kept even without a part A (merged by MMSI, not by adjacency).
// No I/O; used by the pipeline on the gateway's I/O thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

#include "nmea/decode/ais_messages.hpp"

namespace enlace::gateway::nmea {

enum class ContactClass : std::uint8_t { class_a, class_b, base_station, aid_to_navigation };

struct VesselState {
  std::uint32_t mmsi = 0;
  ContactClass contact = ContactClass::class_a;
  std::optional<double> lat_deg, lon_deg;
  std::optional<double> speed_mps, course_deg;
  std::optional<std::uint16_t> heading_deg;
  std::optional<std::uint8_t> nav_status;
  bool high_accuracy = false;
  std::optional<std::uint32_t> imo;
  std::string name, callsign, destination;
  std::optional<std::uint8_t> ship_type;
  AisDimensions dimensions;
  std::optional<double> draught_m;
  std::int64_t observed_ns = 0;  // UTC of the last position
  std::int64_t heard_ns = 0;     // steady clock of the last message
  std::optional<std::int64_t> last_published_ns;

  bool has_position() const noexcept { return lat_deg && lon_deg; }
};

class VesselTable {
 public:
  VesselTable(std::size_t max_entries, std::int64_t forget_after_ns)
      : max_entries_(max_entries), forget_after_ns_(forget_after_ns) {}

  /// Merges a decoded message received at `now_utc_ns` (UTC) / `now_steady_ns`. Returns the
  /// vessel's merged state, or nullptr when the table is full.
  VesselState* merge(const AisMessage& message, std::int64_t now_utc_ns,
                     std::int64_t now_steady_ns);

  std::size_t size() const noexcept { return vessels_.size(); }

 private:
  VesselState* entry(std::uint32_t mmsi, std::int64_t now_steady_ns);

  std::size_t max_entries_;
  std::int64_t forget_after_ns_;
  std::unordered_map<std::uint32_t, VesselState> vessels_;
};

}  // namespace enlace::gateway::nmea
