// The NMEA gateway's pipeline: one line in, zero or more reports out.
//
//   line -> tag block -> sentence (checksum) -> radio position (GGA, RMC, GLL, VTG, ZDA)
//                                                  -> radio unit -> PositionReport
//                                            -> AIS fragment -> reassembly -> message
//                                                  -> vessel table -> Track
//   gpsd JSON line -> TPV -> radio unit -> PositionReport
//
// Every rejected line is counted by reason on its source and never stops anything.
// Reports go to a ReportSink. No I/O of its own (rejects are logged at a bounded rate);
// time comes from the caller. Not thread-safe: the gateway calls it from its I/O thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/counters.hpp"
#include "common/log.hpp"
#include "common/sink.hpp"
#include "nmea/decode/ais_reassembly.hpp"
#include "nmea/radio_units.hpp"
#include "nmea/vessels.hpp"

namespace enlace::gateway::nmea {

using namespace std::chrono_literals;

/// Default stale times (the report's time to live), by what reported.
struct StaleTimes {
  std::chrono::nanoseconds radio = 120s;              // radios report every 5-30 s
  std::chrono::nanoseconds class_a_under_way = 180s;  // Class A reports every 2-10 s
  std::chrono::nanoseconds class_a_at_anchor = 600s;  // every 3 min at anchor or moored
  std::chrono::nanoseconds class_b = 360s;            // every 30 s, 3 min when slow
  std::chrono::nanoseconds fixed = 600s;              // base stations, aids to navigation
};

struct NmeaSettings {
  std::string nation;  // the gateway's nation, as the broker authenticated it
  std::vector<RadioSpec> radios;
  std::chrono::nanoseconds radio_interval = 5s;  // a unit's reports at most this often
  std::chrono::nanoseconds ais_interval = 0s;    // a vessel's tracks at most this often
  StaleTimes stale;
  AisReassembler::Limits reassembly;
  std::size_t max_vessels = 50'000;
  std::unordered_map<std::uint32_t, wire::StandardIdentity> watch;  // MMSI -> identity
  bool log_rejects = true;
};

enum class SourceFormat { nmea, gpsd };

struct SourceInfo {
  std::string name;      // from the configuration
  std::string receiver;  // topic token for AIS from this source (default: the name)
  SourceFormat format = SourceFormat::nmea;
};

struct Now {
  std::int64_t utc_ns = 0;
  std::int64_t steady_ns = 0;
};

class NmeaPipeline {
 public:
  NmeaPipeline(NmeaSettings settings, std::vector<SourceInfo> sources, ReportSink& sink);

  /// One line (without its line end) from source `source`, sent by `peer` ("ip:port",
  /// a device path, or empty).
  void on_line(std::size_t source, std::string_view peer, std::string_view line, Now now);
  /// A line cut off at the source's bound.
  void on_too_long(std::size_t source);

  const std::vector<SourceCounters>& counters() const noexcept { return counters_; }
  std::size_t vessels() const noexcept { return vessels_.size(); }

 private:
  void on_nmea(std::size_t source, std::string_view peer, std::string_view line, Now now);
  void on_gpsd(std::size_t source, std::string_view peer, std::string_view line, Now now);
  void on_ais(std::size_t source, const AisFragment& fragment, Now now);
  void report_unit(SourceCounters& counters, UnitState& unit, Now now);
  void report_vessel(std::size_t source, VesselState& vessel, Now now);
  void reject(std::size_t source, Reject reason, std::string_view line);
  std::chrono::nanoseconds vessel_stale(const VesselState& vessel) const;

  NmeaSettings settings_;
  std::vector<SourceInfo> sources_;
  ReportSink& sink_;
  RadioUnits units_;
  VesselTable vessels_;
  std::vector<AisReassembler> reassemblers_;  // one per source: receivers never mix
  std::vector<SourceCounters> counters_;
  log::RateLimited reject_log_{std::chrono::seconds(1)};
  std::string topic_;  // scratch, reused
};

}  // namespace enlace::gateway::nmea
