#include "nmea/vessels.hpp"

namespace enlace::gateway::nmea {
namespace {

void merge_position(VesselState& v, const AisPosition& p, std::int64_t now_utc_ns) {
  v.contact = p.class_b() ? ContactClass::class_b : ContactClass::class_a;
  v.lat_deg = p.lat_deg;
  v.lon_deg = p.lon_deg;
  v.speed_mps = p.speed_mps;
  v.course_deg = p.course_deg;
  v.heading_deg = p.heading_deg;
  v.nav_status = p.nav_status;
  v.high_accuracy = p.high_accuracy;
  // The report carries the UTC second only: the receive time, moved back to that second
  // when it is at most a minute behind, dates it.
  v.observed_ns = now_utc_ns;
  if (p.utc_second) {
    const std::int64_t minute = 60'000'000'000;
    const std::int64_t in_minute = ((now_utc_ns % minute) + minute) % minute;
    std::int64_t t = now_utc_ns - in_minute + *p.utc_second * 1'000'000'000LL;
    if (t > now_utc_ns) t -= minute;
    v.observed_ns = t;
  }
}

void merge_static(VesselState& v, const AisStatic& s) {
  if (s.type == 5) v.contact = ContactClass::class_a;
  if (s.type == 24 || s.type == 19) v.contact = ContactClass::class_b;
  if (s.imo) v.imo = s.imo;
  if (s.name) v.name = *s.name;
  if (s.callsign) v.callsign = *s.callsign;
  if (s.destination) v.destination = *s.destination;
  if (s.ship_type) v.ship_type = s.ship_type;
  if (s.draught_m) v.draught_m = s.draught_m;
  const AisDimensions& d = s.dimensions;
  if (d.to_bow_m || d.to_stern_m || d.to_port_m || d.to_starboard_m) v.dimensions = d;
}

std::uint32_t mmsi_of(const AisMessage& m) {
  return std::visit(
      [](const auto& x) -> std::uint32_t {
        if constexpr (std::is_same_v<std::decay_t<decltype(x)>, AisExtendedClassB>) {
          return x.position.mmsi;
        } else {
          return x.mmsi;
        }
      },
      m);
}

}  // namespace

VesselState* VesselTable::entry(std::uint32_t mmsi, std::int64_t now_steady_ns) {
  if (auto it = vessels_.find(mmsi); it != vessels_.end()) return &it->second;
  if (vessels_.size() >= max_entries_) {
    std::erase_if(vessels_, [&](const auto& item) {
      return now_steady_ns - item.second.heard_ns > forget_after_ns_;
    });
    if (vessels_.size() >= max_entries_) return nullptr;
  }
  VesselState& v = vessels_[mmsi];
  v.mmsi = mmsi;
  return &v;
}

VesselState* VesselTable::merge(const AisMessage& message, std::int64_t now_utc_ns,
                                std::int64_t now_steady_ns) {
  VesselState* v = entry(mmsi_of(message), now_steady_ns);
  if (!v) return nullptr;
  v->heard_ns = now_steady_ns;
  if (const auto* p = std::get_if<AisPosition>(&message)) {
    merge_position(*v, *p, now_utc_ns);
  } else if (const auto* s = std::get_if<AisStatic>(&message)) {
    merge_static(*v, *s);
  } else if (const auto* x = std::get_if<AisExtendedClassB>(&message)) {
    merge_position(*v, x->position, now_utc_ns);
    merge_static(*v, x->static_data);
  } else if (const auto* b = std::get_if<AisBaseStation>(&message)) {
    v->contact = ContactClass::base_station;
    v->lat_deg = b->lat_deg;
    v->lon_deg = b->lon_deg;
    v->observed_ns = b->time_ns.value_or(now_utc_ns);
  } else if (const auto* a = std::get_if<AisAidToNavigation>(&message)) {
    v->contact = ContactClass::aid_to_navigation;
    v->lat_deg = a->lat_deg;
    v->lon_deg = a->lon_deg;
    v->name = a->name;
    v->dimensions = a->dimensions;
    v->observed_ns = now_utc_ns;
  }
  return v;
}

}  // namespace enlace::gateway::nmea
