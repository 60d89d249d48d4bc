// Radio units: which unit a position came from, and what is known of it now.
//
// Each radio is a unit of the configuration ([[radios]]): it is recognised by the source
// the sentence came in on, and optionally by the sender's address (UDP, TCP server), or
// by an identifier the radio system provides (the tag block's "s:" station, gpsd's
// "device"). A unit's report merges the latest fix with the course, speed and altitude
// received within kMergeWindow of it, since radios send them in separate sentences
// (RMC/VTG and GGA).
//
// No I/O. Used by the pipeline on the gateway's I/O thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nmea/decode/gpsd_json.hpp"
#include "nmea/decode/nmea_position.hpp"

namespace enlace::gateway::nmea {

struct RadioSpec {
  std::string unit;      // unit id, e.g. "P21"
  std::string callsign;  // e.g. "PIRANA 21"; may be empty
  std::string source;    // the name of the source it reports through
  std::string address;   // "ip" or "ip:port" of the sender; empty matches any
  std::string station;   // tag block "s:" or gpsd device; empty matches any
};

/// What the pipeline knows of a unit, in the bus's units.
struct UnitState {
  const RadioSpec* spec = nullptr;
  bool has_fix = false;
  double lat_deg = 0;
  double lon_deg = 0;
  std::optional<double> altitude_m;
  bool altitude_above_ellipsoid = false;  // else above mean sea level
  std::optional<double> speed_mps;
  std::optional<double> course_deg;
  std::int64_t observed_ns = 0;
  // Steady-clock times of the last pieces, for the merge window and the interval.
  std::int64_t fix_at_ns = 0, motion_at_ns = 0, altitude_at_ns = 0;
  std::optional<std::int64_t> last_published_ns;
  std::optional<std::int64_t> date_days;  // from the last RMC or ZDA
};

class RadioUnits {
 public:
  static constexpr std::int64_t kMergeWindow = 10'000'000'000;  // 10 s

  explicit RadioUnits(std::vector<RadioSpec> radios);

  /// The unit of a sentence from source `source` sent by `peer` ("ip:port", or empty)
  /// with `station` (or empty); nullptr when no radio matches.
  UnitState* find(std::string_view source, std::string_view peer, std::string_view station);

  /// Merges a sentence into the unit. Returns true when it carried a new fix (GGA, RMC,
  /// GLL), i.e. when a report may follow. `now_utc_ns` dates a fix whose sentence carries
  /// the time of day only; `now_steady_ns` measures the merge window.
  static bool merge(UnitState& unit, const RadioSentence& sentence, std::int64_t now_utc_ns,
                    std::int64_t now_steady_ns);
  static void merge(UnitState& unit, const GpsdFix& fix, std::int64_t now_utc_ns,
                    std::int64_t now_steady_ns);

  /// The UTC time of a fix: `date_days` if known, else the day that puts it nearest to
  /// `now_utc_ns` (a fix just before midnight, received just after, is yesterday's).
  static std::int64_t fix_time(std::optional<std::int64_t> date_days, std::int64_t time_of_day_ns,
                               std::int64_t now_utc_ns);

 private:
  std::vector<RadioSpec> specs_;
  std::vector<UnitState> units_;
};

}  // namespace enlace::gateway::nmea
