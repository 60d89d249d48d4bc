#include "sbs/mapping.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>

namespace enlace::gateway::sbs {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

}  // namespace

std::string track_id(std::uint32_t icao) {
  return fmt::format("ICAO-{:06X}", icao);
}

flatbuffers::Offset<wire::Track> build_aircraft_track(flatbuffers::FlatBufferBuilder& fbb,
                                                      const AircraftState& a,
                                                      std::string_view receiver) {
  const std::string id = track_id(a.icao);
  const std::string hex = fmt::format("{:06X}", a.icao);
  const wire::GeoPoint point(a.lat_deg.value_or(0), a.lon_deg.value_or(0));
  // Mode C altitude is barometric (1013.25 hPa), not a height in any geodetic frame: it
  // goes to AircraftInfo only. A GNSS altitude (dump1090 --gnss, "H") is a height above
  // the ellipsoid and goes to the Position.
  const bool geometric = a.altitude_ft && a.altitude_geometric;
  const auto position = wire::CreatePosition(
      fbb, &point, geometric ? *a.altitude_ft * kFootToMetre : std::nan(""),
      geometric ? wire::AltitudeReference::Ellipsoid : wire::AltitudeReference::Unknown);
  std::optional<wire::Motion> motion;
  if (a.ground_speed_kt) {
    motion.emplace(a.track_deg ? static_cast<float>(*a.track_deg) : kNaN,
                   static_cast<float>(*a.ground_speed_kt * kKnotToMps));
  }
  const auto source =
      wire::CreateSensorRefDirect(fbb, wire::SensorType::AdsB, std::string(receiver).c_str());
  const auto info = wire::CreateAircraftInfoDirect(
      fbb, a.icao, a.callsign.empty() ? nullptr : a.callsign.c_str(),
      a.squawk.empty() ? nullptr : a.squawk.c_str(),
      a.altitude_ft && !a.altitude_geometric ? *a.altitude_ft * kFootToMetre : std::nan(""),
      a.vertical_rate_ftpm ? static_cast<float>(*a.vertical_rate_ftpm * kFeetPerMinuteToMps) : kNaN,
      a.on_ground, a.emergency_flag || a.emergency_squawk());
  return wire::CreateTrackDirect(
      fbb, id.c_str(), position, motion ? &*motion : nullptr, wire::StandardIdentity::Unknown,
      wire::BattleDimension::Air, nullptr, wire::ContactKind::Aircraft, source, a.observed_ns,
      a.callsign.empty() ? nullptr : a.callsign.c_str(), hex.c_str(), 0, info);
}

flatbuffers::Offset<wire::Alert> build_squawk_alert(flatbuffers::FlatBufferBuilder& fbb,
                                                    const AircraftState& a,
                                                    std::int64_t raised_ns) {
  const std::string id = track_id(a.icao);
  std::string_view meaning = "general emergency";
  auto severity = wire::AlertSeverity::High;
  if (a.squawk == "7500") {
    meaning = "unlawful interference";
    severity = wire::AlertSeverity::Critical;
  } else if (a.squawk == "7600") {
    meaning = "radio failure";
    severity = wire::AlertSeverity::Medium;
  }
  const std::string alert_id = fmt::format("{}-SQ{}-{}", id, a.squawk, raised_ns / 1'000'000'000);
  const std::string title = fmt::format("Squawk {} ({}): {}{}{}", a.squawk, meaning, id,
                                        a.callsign.empty() ? "" : " ", a.callsign);
  std::string description = fmt::format("Aircraft {:06X}", a.icao);
  if (!a.callsign.empty()) description += fmt::format(" callsign {}", a.callsign);
  if (a.altitude_ft) {
    description += fmt::format(", {} altitude {} ft", a.altitude_geometric ? "GNSS" : "pressure",
                               *a.altitude_ft);
  }
  const std::optional<wire::GeoPoint> location =
      a.has_position() ? std::optional(wire::GeoPoint(*a.lat_deg, *a.lon_deg)) : std::nullopt;
  const std::vector<flatbuffers::Offset<flatbuffers::String>> related = {fbb.CreateString(id)};
  return wire::CreateAlertDirect(fbb, alert_id.c_str(), severity, wire::AlertCategory::Other,
                                 title.c_str(), description.c_str(),
                                 location ? &*location : nullptr, 0, &related, raised_ns);
}

}  // namespace enlace::gateway::sbs
