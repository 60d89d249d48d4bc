#include "mapping.hpp"

#include <fmt/format.h>

#include <cctype>

#include "json_text.hpp"

namespace enlace::web {
namespace {

std::string_view view(const flatbuffers::String* text) {
  return text == nullptr ? std::string_view{} : text->string_view();
}

std::int64_t ms(std::int64_t ns) {
  return ns / 1'000'000;
}

std::string point_json(const wire::GeoPoint& point) {
  return ObjectWriter{}
      .raw("lat", number(point.lat_deg()))
      .raw("lon", number(point.lon_deg()))
      .finish();
}

std::string position_json(const wire::Position* position) {
  ObjectWriter out;
  if (position->point() != nullptr) {
    out.raw("lat", number(position->point()->lat_deg()))
        .raw("lon", number(position->point()->lon_deg()));
  }
  out.finite("alt_m", position->altitude_m());
  if (position->altitude_ref() != wire::AltitudeReference::Unknown)
    out.string("alt_ref", snake_case(wire::EnumNameAltitudeReference(position->altitude_ref())));
  out.finite("error_m", position->horizontal_error_m());
  return std::move(out).finish();
}

void motion(ObjectWriter& out, const wire::Motion* motion) {
  if (motion == nullptr) return;
  out.finite("course_deg", motion->course_deg()).finite("speed_mps", motion->speed_mps());
}

std::string sensor_json(const wire::SensorRef* sensor) {
  return ObjectWriter{}
      .string("type", snake_case(wire::EnumNameSensorType(sensor->type())))
      .string("id", view(sensor->id()))
      .finish();
}

std::string strings_json(
    const flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>* list) {
  std::string out = "[";
  if (list != nullptr) {
    for (flatbuffers::uoffset_t i = 0; i < list->size(); ++i) {
      if (i > 0) out += ',';
      out += quote(view(list->Get(i)));
    }
  }
  return out + "]";
}

std::string_view classification_name(wire::Classification level) {
  using C = wire::Classification;
  switch (level) {
    case C::Unclassified:
      return "UNCLASSIFIED";
    case C::Restricted:
      return "RESTRICTED";
    case C::Confidential:
      return "CONFIDENTIAL";
    case C::Secret:
      return "SECRET";
    case C::TopSecret:
      return "TOP SECRET";
    default:
      return "UNMARKED";
  }
}

// "UNCLASSIFIED REL TO COL, ECU"; with no nations named, the agreements decided.
std::string label_json(const wire::ConfidentialityLabel* label) {
  const auto level = label ? label->classification() : wire::Classification::Unmarked;
  const auto* nations = label ? label->releasable_to() : nullptr;
  std::string marking(classification_name(level));
  if (nations != nullptr && nations->size() > 0) {
    marking += " REL TO ";
    for (flatbuffers::uoffset_t i = 0; i < nations->size(); ++i) {
      if (i > 0) marking += ", ";
      marking += view(nations->Get(i));
    }
  } else {
    marking += " (released by agreement)";
  }
  return ObjectWriter{}
      .string("classification", classification_name(level))
      .raw("releasable_to", strings_json(nations))
      .string("marking", marking)
      .finish();
}

std::string_view symbol_set(wire::BattleDimension dimension, wire::ContactKind kind) {
  using BD = wire::BattleDimension;
  using CK = wire::ContactKind;
  switch (dimension) {
    case BD::Space:
      return "05";
    case BD::Air:
      return "01";
    case BD::Land:
      return "10";
    case BD::SeaSurface:
      return "30";
    case BD::Subsurface:
      return "35";
    default:
      break;
  }
  if (kind == CK::Vessel) return "30";
  if (kind == CK::Aircraft || kind == CK::Uav) return "01";
  return "10";
}

// A publisher's SIDC is drawn as given only if it has the shape of one (20 digits for
// 2525D, 15 characters for 2525B/C); anything else is replaced by the derived code.
bool looks_like_sidc(std::string_view sidc) {
  if (sidc.size() == 20) {
    for (const char c : sidc)
      if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    return true;
  }
  if (sidc.size() == 15) {
    for (const char c : sidc)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '*') return false;
    return true;
  }
  return false;
}

void track(ObjectWriter& out, const wire::Track& t, std::string& local_id) {
  local_id = view(t.track_id());
  const auto given = view(t.sidc());
  out.raw("position", position_json(t.position()));
  motion(out, t.motion());
  out.string("identity", snake_case(wire::EnumNameStandardIdentity(t.identity())))
      .string("dimension", snake_case(wire::EnumNameBattleDimension(t.dimension())))
      .string("contact", snake_case(wire::EnumNameContactKind(t.kind())))
      .string("sidc", looks_like_sidc(given) ? std::string(given)
                                             : derived_sidc(t.identity(), t.dimension(), t.kind()))
      .string("track_id", local_id)
      .optional_string("name", view(t.name()))
      .optional_string("external_id", view(t.external_id()));
  if (t.source() != nullptr) out.raw("sensor", sensor_json(t.source()));
  if (t.observed_ns() != 0) out.integer("observed_ms", ms(t.observed_ns()));
}

void unit(ObjectWriter& out, const wire::PositionReport& p, std::string& local_id) {
  local_id = view(p.unit_id());
  out.raw("position", position_json(p.position()));
  motion(out, p.motion());
  out.string("identity", "friend")
      .string("dimension", "land")
      .string("sidc", derived_sidc(wire::StandardIdentity::Friend, wire::BattleDimension::Land,
                                   wire::ContactKind::Group))
      .string("unit_id", local_id)
      .optional_string("callsign", view(p.callsign()))
      .string("status", snake_case(wire::EnumNameUnitStatus(p.status())));
  if (p.battery_pct() >= 0) out.integer("battery_pct", p.battery_pct());
  if (p.observed_ns() != 0) out.integer("observed_ms", ms(p.observed_ns()));
}

void detection(ObjectWriter& out, const wire::Detection& d, std::string& local_id) {
  local_id = view(d.detection_id());
  if (d.position() != nullptr) out.raw("position", position_json(d.position()));
  out.finite("bearing_deg", d.bearing_deg())
      .string("contact", snake_case(wire::EnumNameContactKind(d.kind())))
      .finite("confidence", d.confidence())
      .raw("sensor", sensor_json(d.sensor()))
      .string("detection_id", local_id)
      .optional_string("description", view(d.description()))
      .optional_string("media_uri", view(d.media_uri()));
  if (d.observed_ns() != 0) out.integer("observed_ms", ms(d.observed_ns()));
}

void alert(ObjectWriter& out, const wire::Alert& a, std::string& local_id) {
  local_id = view(a.alert_id());
  if (a.location() != nullptr) out.raw("position", point_json(*a.location()));
  out.string("alert_id", local_id)
      .string("severity", snake_case(wire::EnumNameAlertSeverity(a.severity())))
      .string("category", snake_case(wire::EnumNameAlertCategory(a.category())))
      .optional_string("title", view(a.title()))
      .optional_string("description", view(a.description()))
      .raw("related_tracks", strings_json(a.related_tracks()));
  if (a.raised_ns() != 0) out.integer("observed_ms", ms(a.raised_ns()));
}

void spot(ObjectWriter& out, const wire::SpotReport& s, std::string& local_id) {
  local_id = view(s.report_id());
  if (s.location() != nullptr) out.raw("position", point_json(*s.location()));
  out.string("report_id", local_id)
      .optional_string("size", view(s.size()))
      .optional_string("activity", view(s.activity()))
      .optional_string("location_text", view(s.location_text()))
      .optional_string("unit", view(s.unit()))
      .optional_string("equipment", view(s.equipment()))
      .optional_string("reporter", view(s.reporter()));
  if (s.observed_ns() != 0) out.integer("observed_ms", ms(s.observed_ns()));
}

void text(ObjectWriter& out, const wire::Text& t) {
  out.string("body", view(t.body()))
      .optional_string("to", view(t.to()))
      .optional_string("thread", view(t.thread()));
}

void tasking(ObjectWriter& out, const wire::Tasking& t, std::string& local_id) {
  local_id = view(t.task_id());
  out.string("task_id", local_id)
      .string("task_type", snake_case(wire::EnumNameTaskType(t.type())))
      .string("status", snake_case(wire::EnumNameTaskStatus(t.status())))
      .raw("assigned_units", strings_json(t.assigned_units()))
      .optional_string("instructions", view(t.instructions()));
  if (t.area() != nullptr && t.area()->vertices() != nullptr) {
    std::string area = "[";
    for (flatbuffers::uoffset_t i = 0; i < t.area()->vertices()->size(); ++i) {
      if (i > 0) area += ',';
      area += point_json(*t.area()->vertices()->Get(i));
    }
    out.raw("area", area + "]");
  }
}

std::string message_id(const wire::Uuid& id) {
  return fmt::format("{:016x}{:016x}", id.hi(), id.lo());
}

}  // namespace

std::string snake_case(std::string_view name) {
  std::string out;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    if (std::isupper(c)) {
      if (i > 0) out += '_';
      out += static_cast<char>(std::tolower(c));
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string derived_sidc(wire::StandardIdentity identity, wire::BattleDimension dimension,
                         wire::ContactKind kind) {
  const int digit = static_cast<int>(identity);
  return fmt::format("100{}{}00000000000000", digit >= 0 && digit <= 6 ? digit : 1,
                     symbol_set(dimension, kind));
}

std::optional<Item> to_item(const wire::Envelope& envelope, const Origin& origin,
                            std::int64_t now_ms, std::int64_t default_stale_ms) {
  ObjectWriter body;
  std::string local_id;
  std::string_view kind;
  switch (envelope.payload_type()) {
    case wire::Payload::Track:
      kind = "track";
      track(body, *envelope.payload_as_Track(), local_id);
      break;
    case wire::Payload::PositionReport:
      kind = "unit";
      unit(body, *envelope.payload_as_PositionReport(), local_id);
      break;
    case wire::Payload::Detection:
      kind = "detection";
      detection(body, *envelope.payload_as_Detection(), local_id);
      break;
    case wire::Payload::Alert:
      kind = "alert";
      alert(body, *envelope.payload_as_Alert(), local_id);
      break;
    case wire::Payload::SpotReport:
      kind = "spot";
      spot(body, *envelope.payload_as_SpotReport(), local_id);
      break;
    case wire::Payload::Text:
      kind = "text";
      local_id = message_id(*envelope.id());
      text(body, *envelope.payload_as_Text());
      break;
    case wire::Payload::Tasking:
      kind = "tasking";
      tasking(body, *envelope.payload_as_Tasking(), local_id);
      break;
    default:
      return std::nullopt;
  }
  Item item;
  item.kind = kind;
  item.id = fmt::format("{}:{}:{}:{}", kind, origin.nation, origin.system, local_id);
  const std::int64_t stale_ns = envelope.stale_time_ns();
  item.stale_ms = stale_ns > 0 ? ms(stale_ns) : now_ms + default_stale_ms;
  // The payload's members come after the common ones: the body without its braces.
  std::string payload = std::move(body).finish();
  ObjectWriter out;
  out.string("id", item.id)
      .string("kind", kind)
      .string("topic", view(envelope.topic()))
      .raw("origin",
           ObjectWriter{}.string("nation", origin.nation).string("system", origin.system).finish())
      .raw("label", label_json(envelope.label()))
      .integer("published_ms", ms(envelope.publish_time_ns()))
      .integer("stale_ms", item.stale_ms);
  item.json = std::move(out).finish();
  if (payload.size() > 2) {
    item.json.pop_back();
    item.json += ',';
    item.json.append(payload, 1, std::string::npos);
  }
  return item;
}

}  // namespace enlace::web
