#include "nmea/mapping.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>

namespace enlace::gateway::nmea {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

float or_nan(const std::optional<double>& value) {
  return value ? static_cast<float>(*value) : kNaN;
}

}  // namespace

flatbuffers::Offset<wire::PositionReport> build_position_report(flatbuffers::FlatBufferBuilder& fbb,
                                                                const UnitState& unit) {
  const wire::GeoPoint point(unit.lat_deg, unit.lon_deg);
  const auto reference = !unit.altitude_m                ? wire::AltitudeReference::Unknown
                         : unit.altitude_above_ellipsoid ? wire::AltitudeReference::Ellipsoid
                                                         : wire::AltitudeReference::MeanSeaLevel;
  const auto position =
      wire::CreatePosition(fbb, &point, unit.altitude_m.value_or(std::nan("")), reference);
  // Motion is a struct of course and speed: written when the speed is known, with the
  // course NaN when only the speed is (a radio standing still reports no course).
  std::optional<wire::Motion> motion;
  wire::UnitStatus status = wire::UnitStatus::Unknown;
  if (unit.speed_mps) {
    motion.emplace(or_nan(unit.course_deg), static_cast<float>(*unit.speed_mps));
    status =
        *unit.speed_mps > kHaltedBelowMps ? wire::UnitStatus::Moving : wire::UnitStatus::Halted;
  }
  const RadioSpec& spec = *unit.spec;
  return wire::CreatePositionReportDirect(
      fbb, spec.unit.c_str(), spec.callsign.empty() ? nullptr : spec.callsign.c_str(), position,
      motion ? &*motion : nullptr, status, unit.observed_ns);
}

flatbuffers::Offset<wire::Track> build_vessel_track(flatbuffers::FlatBufferBuilder& fbb,
                                                    const VesselState& v, std::string_view receiver,
                                                    wire::StandardIdentity identity) {
  const std::string track_id = fmt::format("MMSI-{:09}", v.mmsi);
  const std::string mmsi = fmt::format("{:09}", v.mmsi);
  const wire::GeoPoint point(v.lat_deg.value_or(0), v.lon_deg.value_or(0));
  // The accuracy flag says "better than 10 m" (DGPS) or not; taken as a 1-sigma bound.
  const auto position = wire::CreatePosition(
      fbb, &point, std::nan(""), wire::AltitudeReference::Unknown, v.high_accuracy ? 10.0f : kNaN);
  std::optional<wire::Motion> motion;
  if (v.speed_mps) motion.emplace(or_nan(v.course_deg), static_cast<float>(*v.speed_mps));
  const auto source =
      wire::CreateSensorRefDirect(fbb, wire::SensorType::Ais, std::string(receiver).c_str());
  const auto info = wire::CreateVesselInfoDirect(
      fbb, v.mmsi, v.imo.value_or(0), v.callsign.empty() ? nullptr : v.callsign.c_str(),
      v.ship_type.value_or(0), v.dimensions.to_bow_m.value_or(0),
      v.dimensions.to_stern_m.value_or(0), v.dimensions.to_port_m.value_or(0),
      v.dimensions.to_starboard_m.value_or(0), or_nan(v.draught_m),
      v.destination.empty() ? nullptr : v.destination.c_str(), v.nav_status.value_or(15),
      v.heading_deg ? static_cast<float>(*v.heading_deg) : kNaN,
      v.contact == ContactClass::class_b);
  const bool fixed = v.contact == ContactClass::base_station;
  return wire::CreateTrackDirect(
      fbb, track_id.c_str(), position, motion ? &*motion : nullptr, identity,
      fixed ? wire::BattleDimension::Land : wire::BattleDimension::SeaSurface, nullptr,
      v.contact == ContactClass::class_a || v.contact == ContactClass::class_b
          ? wire::ContactKind::Vessel
          : wire::ContactKind::Unknown,
      source, v.observed_ns, v.name.empty() ? nullptr : v.name.c_str(), mmsi.c_str(), info);
}

}  // namespace enlace::gateway::nmea
