#include "mapping.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include <fmt/format.h>
#include <pugixml.hpp>

#include "cot_xml.hpp"
#include "sidc.hpp"

namespace enlace::tak {
namespace {

constexpr std::int64_t kNsPerMs = 1'000'000;
constexpr std::string_view kAllChatRooms = "All Chat Rooms";

struct StringWriter final : pugi::xml_writer {
  std::string* out;
  explicit StringWriter(std::string* target) : out(target) {}
  void write(const void* data, std::size_t size) override {
    out->append(static_cast<const char*>(data), size);
  }
};

// The <detail> children of an event as a document of their own, to read and take
// elements from; what is left goes into ForeignDetail.detail_xml.
class DetailXml {
 public:
  explicit DetailXml(const std::string& xml) {
    if (!xml.empty()) {
      (void)doc_.load_buffer(xml.data(), xml.size(), pugi::parse_default | pugi::parse_fragment,
                             pugi::encoding_utf8);
    }
  }
  pugi::xml_node child(const char* name) const { return doc_.child(name); }
  pugi::xml_node root() { return doc_; }
  std::string text() const {
    std::string out;
    StringWriter writer(&out);
    for (const auto& node : doc_.children()) node.print(writer, "", pugi::format_raw);
    return out;
  }

 private:
  pugi::xml_document doc_;
};

std::optional<double> parse_double(std::string_view text) noexcept {
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty() ||
      !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

float to_float_or_nan(double value) {
  return is_unknown(value) ? std::numeric_limits<float>::quiet_NaN() : static_cast<float>(value);
}

flatbuffers::Offset<wire::Position> position_of(flatbuffers::FlatBufferBuilder& fbb,
                                                const CotEvent& event) {
  const wire::GeoPoint point(event.lat, event.lon);
  const bool has_altitude = !is_unknown(event.hae);
  return wire::CreatePosition(
      fbb, &point, has_altitude ? event.hae : std::numeric_limits<double>::quiet_NaN(),
      has_altitude ? wire::AltitudeReference::Ellipsoid : wire::AltitudeReference::Unknown,
      to_float_or_nan(event.ce), to_float_or_nan(event.le));
}

std::optional<wire::Motion> motion_of(const CotEvent& event) {
  if (!event.track) return std::nullopt;
  return wire::Motion(static_cast<float>(event.track->course_deg),
                      static_cast<float>(event.track->speed_mps));
}

flatbuffers::Offset<wire::ForeignDetail> foreign_of(flatbuffers::FlatBufferBuilder& fbb,
                                                    const CotEvent& event,
                                                    const std::string& detail_xml) {
  const wire::GeoPoint point(event.lat, event.lon);
  return wire::CreateForeignDetailDirect(fbb, "cot", event.uid.c_str(), event.type.c_str(),
                                         event.how.c_str(), detail_xml.c_str(), &point);
}

std::string remarks_of(const DetailXml& detail) {
  return detail.child("remarks").text().get();
}

std::string topic(std::string_view kind, const InboundContext& context, std::string_view id) {
  return fmt::format("{}.{}.{}.{}", kind, context.nation, topic_token(context.source),
                     topic_token(id));
}

std::string callsign_of(const CotEvent& event, const InboundContext& context) {
  if (event.contact && !event.contact->callsign.empty()) return event.contact->callsign;
  return std::string(context.callsign);
}

// ---- CoT -> bus, one function per payload --------------------------------------------

Expected<BusMessage> position_report(const CotEvent& event, const InboundContext& context,
                                     DetailXml& detail, flatbuffers::FlatBufferBuilder& fbb) {
  const std::string unit = context.unit.empty() ? event.uid : std::string(context.unit);
  const std::string callsign = callsign_of(event, context);
  const auto motion = motion_of(event);
  auto status = wire::UnitStatus::Unknown;
  if (event.type.find("-9-1-1") != std::string::npos) {
    status = wire::UnitStatus::Emergency;
  } else if (motion) {
    status = motion->speed_mps() >= 0.5f ? wire::UnitStatus::Moving : wire::UnitStatus::Halted;
  }
  const auto battery = event.battery
                           ? static_cast<std::int8_t>(std::min<std::uint32_t>(*event.battery, 100))
                           : std::int8_t{-1};
  const auto foreign = foreign_of(fbb, event, detail.text());
  const auto position = position_of(fbb, event);
  const auto payload = wire::CreatePositionReportDirect(
      fbb, unit.c_str(), callsign.empty() ? nullptr : callsign.c_str(), position,
      motion ? &*motion : nullptr, status, event.time_ms * kNsPerMs, battery, foreign);
  return BusMessage{topic("position", context, unit), wire::Payload::PositionReport,
                    payload.Union(), event.stale_ms};
}

Expected<BusMessage> track(const CotEvent& event, const AtomType& atom,
                           const InboundContext& context, DetailXml& detail,
                           flatbuffers::FlatBufferBuilder& fbb) {
  const std::string name = callsign_of(event, context);
  const auto motion = motion_of(event);
  const auto foreign = foreign_of(fbb, event, detail.text());
  const auto position = position_of(fbb, event);
  const auto source = wire::CreateSensorRefDirect(fbb, wire::SensorType::Human, "tak");
  const auto payload = wire::CreateTrackDirect(
      fbb, event.uid.c_str(), position, motion ? &*motion : nullptr, identity_of(atom.affiliation),
      dimension_of(atom.dimension), sidc_of(atom).c_str(), kind_of(atom), source,
      event.time_ms * kNsPerMs, name.empty() ? nullptr : name.c_str(), nullptr, 0, 0, foreign);
  return BusMessage{topic("track", context, event.uid), wire::Payload::Track, payload.Union(),
                    event.stale_ms};
}

Expected<BusMessage> text(const CotEvent& event, const InboundContext& context, DetailXml& detail,
                          flatbuffers::FlatBufferBuilder& fbb) {
  const auto chat = detail.child("__chat");
  const std::string body = remarks_of(detail);
  if (body.empty()) return {Reason::bad_event, "GeoChat without <remarks> text"};
  std::string room = chat.attribute("chatroom").value();
  if (room.empty()) room = detail.child("remarks").attribute("to").value();
  if (room.empty()) room = std::string(kAllChatRooms);
  const std::string thread = chat.attribute("id").value();
  const auto foreign = foreign_of(fbb, event, detail.text());
  const auto payload = wire::CreateTextDirect(fbb, body.c_str(), room.c_str(),
                                              thread.empty() ? nullptr : thread.c_str(), foreign);
  return BusMessage{topic("text", context, room), wire::Payload::Text, payload.Union(),
                    event.stale_ms};
}

Expected<BusMessage> alert(const CotEvent& event, const InboundContext& context, DetailXml& detail,
                           flatbuffers::FlatBufferBuilder& fbb) {
  const std::string_view kind = std::string_view(event.type).substr(std::strlen("b-a-o-"));
  auto severity = wire::AlertSeverity::High;
  auto category = wire::AlertCategory::Other;
  std::string title = detail.child("emergency").attribute("type").value();
  if (kind.starts_with("tbl")) {
    severity = wire::AlertSeverity::Critical;
    if (title.empty()) title = "911 Alert";
  } else if (kind.starts_with("opn")) {
    category = wire::AlertCategory::ArmedGroup;
    if (title.empty()) title = "In Contact";
  } else if (kind.starts_with("can")) {
    severity = wire::AlertSeverity::Info;
    if (title.empty()) title = "Cancel Alert";
  } else if (title.empty()) {
    title = "Ring The Bell";
  }
  std::string description = remarks_of(detail);
  if (description.empty()) description = detail.child("emergency").text().get();
  const wire::GeoPoint location(event.lat, event.lon);
  const auto foreign = foreign_of(fbb, event, detail.text());
  const auto payload = wire::CreateAlertDirect(
      fbb, event.uid.c_str(), severity, category, title.c_str(),
      description.empty() ? nullptr : description.c_str(), &location,
      flatbuffers::Offset<wire::Area>(), nullptr, event.time_ms * kNsPerMs, foreign);
  return BusMessage{topic("alert", context, event.uid), wire::Payload::Alert, payload.Union(),
                    event.stale_ms};
}

Expected<BusMessage> spot_report(const CotEvent& event, const InboundContext& context,
                                 DetailXml& detail, flatbuffers::FlatBufferBuilder& fbb) {
  const std::string activity = remarks_of(detail);
  const std::string unit = event.contact ? event.contact->callsign : std::string();
  std::string reporter = detail.child("link").attribute("parent_callsign").value();
  if (reporter.empty()) reporter = std::string(context.callsign);
  const wire::GeoPoint location(event.lat, event.lon);
  const auto foreign = foreign_of(fbb, event, detail.text());
  const auto payload = wire::CreateSpotReportDirect(
      fbb, event.uid.c_str(), nullptr, activity.empty() ? nullptr : activity.c_str(), &location,
      nullptr, unit.empty() ? nullptr : unit.c_str(), event.time_ms * kNsPerMs, nullptr,
      reporter.empty() ? nullptr : reporter.c_str(), foreign);
  return BusMessage{topic("spot", context, event.uid), wire::Payload::SpotReport, payload.Union(),
                    event.stale_ms};
}

Expected<BusMessage> tasking(const CotEvent& event, const InboundContext& context,
                             DetailXml& detail, flatbuffers::FlatBufferBuilder& fbb) {
  // The shape's vertices are <link point="lat,lon[,hae]"/>; they become the area, and the
  // links leave the detail (they are written again from the area on the way out).
  std::vector<wire::GeoPoint> vertices;
  for (auto link = detail.root().child("link"); link;) {
    auto following = link.next_sibling("link");
    const std::string_view point = link.attribute("point").value();
    if (!point.empty()) {
      const auto comma = point.find(',');
      const auto second = point.find(',', comma + 1);
      const auto lat =
          comma == std::string_view::npos ? std::nullopt : parse_double(point.substr(0, comma));
      const auto lon = comma == std::string_view::npos
                           ? std::nullopt
                           : parse_double(point.substr(comma + 1, second == std::string_view::npos
                                                                      ? std::string_view::npos
                                                                      : second - comma - 1));
      if (!lat || !lon || *lat < -90 || *lat > 90 || *lon < -180 || *lon > 180) {
        return {Reason::bad_event, "a shape vertex that is not lat,lon"};
      }
      vertices.emplace_back(*lat, *lon);
      detail.root().remove_child(link);
    }
    link = following;
  }
  if (vertices.size() < 3) return {Reason::bad_event, "a shape with fewer than 3 vertices"};
  // ATAK closes a polygon by repeating the first vertex; an Area does not repeat it.
  if (vertices.front().lat_deg() == vertices.back().lat_deg() &&
      vertices.front().lon_deg() == vertices.back().lon_deg()) {
    vertices.pop_back();
  }
  const std::string name = event.contact ? event.contact->callsign : std::string();
  const std::string instructions = remarks_of(detail);
  const auto foreign = foreign_of(fbb, event, detail.text());
  const auto area = wire::CreateAreaDirect(fbb, name.empty() ? nullptr : name.c_str(), &vertices);
  const wire::TimeWindow window(event.start_ms * kNsPerMs, event.stale_ms * kNsPerMs);
  const auto payload = wire::CreateTaskingDirect(
      fbb, event.uid.c_str(), wire::TaskType::Patrol, nullptr, area, &window,
      wire::TaskStatus::Proposed, instructions.empty() ? nullptr : instructions.c_str(), foreign);
  return BusMessage{topic("tasking", context, event.uid), wire::Payload::Tasking, payload.Union(),
                    event.stale_ms};
}

// ---- bus -> CoT ----------------------------------------------------------------------

std::string_view sv(const flatbuffers::String* s) {
  return s ? s->string_view() : std::string_view();
}

// Starts the event from what the payload's ForeignDetail kept, when it came from CoT.
CotEvent start_event(const wire::ForeignDetail* foreign, std::string uid, std::string type,
                     std::string how) {
  CotEvent event;
  if (foreign != nullptr && sv(foreign->format()) == "cot" && foreign->uid() && foreign->type()) {
    event.uid = std::string(sv(foreign->uid()));
    event.type = std::string(sv(foreign->type()));
    event.how = std::string(sv(foreign->how()));
    event.xml_detail = std::string(sv(foreign->detail_xml()));
    if (foreign->point()) {
      event.lat = foreign->point()->lat_deg();
      event.lon = foreign->point()->lon_deg();
    }
  } else {
    event.uid = std::move(uid);
    event.type = std::move(type);
    event.how = std::move(how);
  }
  return event;
}

void set_position(CotEvent& event, const wire::Position* position) {
  if (position == nullptr || position->point() == nullptr) return;
  event.lat = position->point()->lat_deg();
  event.lon = position->point()->lon_deg();
  const double altitude = position->altitude_m();
  event.hae =
      position->altitude_ref() == wire::AltitudeReference::Ellipsoid && std::isfinite(altitude)
          ? altitude
          : kUnknownValue;
  event.ce = std::isfinite(position->horizontal_error_m()) ? position->horizontal_error_m()
                                                           : kUnknownValue;
  event.le =
      std::isfinite(position->vertical_error_m()) ? position->vertical_error_m() : kUnknownValue;
}

void set_motion(CotEvent& event, const wire::Motion* motion) {
  if (motion != nullptr) event.track = CotTrack{motion->speed_mps(), motion->course_deg()};
}

void set_callsign(CotEvent& event, std::string_view callsign) {
  if (callsign.empty()) return;
  if (!event.contact) event.contact = CotContact{};
  event.contact->callsign = std::string(callsign);
}

// Adds the origin marking: the <__enlace> element, and a line in <remarks> that an
// operator reads ("ECU ecu-radar-1 / REL TO COL, ECU"). GeoChat keeps its remarks as they
// are (they are the message), so its marking is the element only.
void mark(CotEvent& event, const wire::Envelope& envelope, const OutboundContext& context,
          bool annotate_remarks, std::string_view remarks_text) {
  DetailXml detail(event.xml_detail);
  auto root = detail.root();
  const std::string rel = releasability_text(envelope);
  if (annotate_remarks) {
    auto remarks = root.child("remarks");
    if (!remarks) {
      remarks = root.append_child("remarks");
      if (!remarks_text.empty()) remarks.text().set(std::string(remarks_text).c_str());
    }
    std::string body = remarks.text().get();
    if (!body.empty()) body += "\n";
    body += fmt::format("[{} {} / {}]", context.origin_nation, context.origin_system, rel);
    remarks.text().set(body.c_str());
  }
  while (auto old = root.child(kMarkingElement.data())) root.remove_child(old);
  auto marking = root.append_child(kMarkingElement.data());
  marking.append_attribute("origin").set_value(std::string(context.origin_nation).c_str());
  marking.append_attribute("system").set_value(std::string(context.origin_system).c_str());
  marking.append_attribute("releasability").set_value(rel.c_str());
  event.xml_detail = detail.text();
}

void set_times(CotEvent& event, const wire::Envelope& envelope, std::int64_t start_ns,
               const OutboundContext& context) {
  event.time_ms = envelope.publish_time_ns() / kNsPerMs;
  event.start_ms = start_ns > 0 ? start_ns / kNsPerMs : event.time_ms;
  event.stale_ms = envelope.stale_time_ns() > 0 ? envelope.stale_time_ns() / kNsPerMs
                                                : context.now_ms + context.default_stale_ms;
}

std::string enlace_uid(std::string_view nation, std::string_view id) {
  return fmt::format("enlace-{}-{}", nation, id);
}

std::optional<CotEvent> from_position_report(const wire::Envelope& envelope,
                                             const wire::PositionReport& report,
                                             const OutboundContext& context) {
  auto event =
      start_event(report.foreign(), enlace_uid(context.origin_nation, sv(report.unit_id())),
                  "a-f-G-U-C", "m-g");
  set_position(event, report.position());
  set_motion(event, report.motion());
  set_callsign(event, report.callsign() ? sv(report.callsign()) : sv(report.unit_id()));
  if (report.battery_pct() >= 0) event.battery = static_cast<std::uint32_t>(report.battery_pct());
  set_times(event, envelope, report.observed_ns(), context);
  mark(event, envelope, context, true, {});
  return event;
}

std::optional<CotEvent> from_track(const wire::Envelope& envelope, const wire::Track& track,
                                   const OutboundContext& context) {
  std::string type;
  if (const auto from_sidc = track.sidc() ? cot_type_of_sidc(sv(track.sidc())) : std::nullopt) {
    type = *from_sidc;
  } else {
    type = fmt::format("a-{}-{}", affiliation_of(track.identity()),
                       dimension_letter(track.dimension()));
  }
  auto event = start_event(track.foreign(), enlace_uid(context.origin_nation, sv(track.track_id())),
                           type, "m-r");
  // A track re-identified on the bus (e.g. suspect to hostile) shows its new identity.
  if (const auto atom = parse_atom(event.type);
      atom && identity_of(atom->affiliation) != track.identity()) {
    event.type = fmt::format("a-{}-{}{}", affiliation_of(track.identity()), atom->dimension,
                             atom->function.empty() ? "" : "-" + atom->function);
  }
  set_position(event, track.position());
  set_motion(event, track.motion());
  set_callsign(event, track.name() ? sv(track.name()) : sv(track.track_id()));
  set_times(event, envelope, track.observed_ns(), context);
  mark(event, envelope, context, true, {});
  return event;
}

std::optional<CotEvent> from_text(const wire::Envelope& envelope, const wire::Text& text,
                                  const OutboundContext& context) {
  const std::string room =
      text.to() && text.to()->size() ? std::string(sv(text.to())) : std::string(kAllChatRooms);
  const std::string sender = enlace_uid(context.origin_nation, context.origin_system);
  const auto* id = envelope.id();
  const std::string message_id = id ? fmt::format("{:016x}{:016x}", id->hi(), id->lo()) : "0";
  auto event =
      start_event(text.foreign(), fmt::format("GeoChat.{}.{}.{}", sender, room, message_id),
                  "b-t-f", "h-g-i-g-o");
  if (event.xml_detail.empty()) {
    // A message from a bus system: written as ATAK writes a GeoChat to a room.
    DetailXml detail({});
    auto root = detail.root();
    auto chat = root.append_child("__chat");
    chat.append_attribute("parent").set_value("RootContactGroup");
    chat.append_attribute("groupOwner").set_value("false");
    chat.append_attribute("chatroom").set_value(room.c_str());
    chat.append_attribute("id").set_value(text.thread() ? std::string(sv(text.thread())).c_str()
                                                        : room.c_str());
    const std::string callsign = fmt::format("{} {}", context.origin_nation, context.origin_system);
    chat.append_attribute("senderCallsign").set_value(callsign.c_str());
    auto group = chat.append_child("chatgrp");
    group.append_attribute("uid0").set_value(sender.c_str());
    group.append_attribute("uid1").set_value(room.c_str());
    group.append_attribute("id").set_value(room.c_str());
    auto link = root.append_child("link");
    link.append_attribute("uid").set_value(sender.c_str());
    link.append_attribute("type").set_value("a-f-G-U-C");
    link.append_attribute("relation").set_value("p-p");
    auto remarks = root.append_child("remarks");
    remarks.append_attribute("source").set_value(("BAO.F.ATAK." + sender).c_str());
    remarks.append_attribute("to").set_value(room.c_str());
    remarks.append_attribute("time").set_value(
        format_cot_time(envelope.publish_time_ns() / kNsPerMs).c_str());
    remarks.text().set(std::string(sv(text.body())).c_str());
    event.xml_detail = detail.text();
  }
  set_times(event, envelope, 0, context);
  mark(event, envelope, context, false, {});
  return event;
}

std::optional<CotEvent> from_alert(const wire::Envelope& envelope, const wire::Alert& alert,
                                   const OutboundContext& context) {
  const wire::GeoPoint* location = alert.location();
  wire::GeoPoint centroid;
  if (location == nullptr && alert.area() && alert.area()->vertices() &&
      alert.area()->vertices()->size()) {
    double lat = 0, lon = 0;
    for (const auto* v : *alert.area()->vertices()) {
      lat += v->lat_deg();
      lon += v->lon_deg();
    }
    const auto n = static_cast<double>(alert.area()->vertices()->size());
    centroid = wire::GeoPoint(lat / n, lon / n);
    location = &centroid;
  }
  if (location == nullptr) return std::nullopt;
  std::string type = "b-a-o-pan";
  if (alert.severity() == wire::AlertSeverity::Critical)
    type = "b-a-o-tbl";
  else if (alert.category() == wire::AlertCategory::ArmedGroup)
    type = "b-a-o-opn";
  auto event = start_event(alert.foreign(), enlace_uid(context.origin_nation, sv(alert.alert_id())),
                           type, "h-e");
  event.lat = location->lat_deg();
  event.lon = location->lon_deg();
  if (event.xml_detail.empty()) {
    DetailXml detail({});
    auto emergency = detail.root().append_child("emergency");
    emergency.append_attribute("type").set_value(alert.title() ? alert.title()->c_str() : "Alert");
    emergency.text().set(
        fmt::format("{} {}", context.origin_nation, context.origin_system).c_str());
    event.xml_detail = detail.text();
    set_callsign(event, alert.title() ? sv(alert.title()) : sv(alert.alert_id()));
  }
  set_times(event, envelope, alert.raised_ns(), context);
  mark(event, envelope, context, true, sv(alert.description()));
  return event;
}

std::optional<CotEvent> from_spot_report(const wire::Envelope& envelope,
                                         const wire::SpotReport& spot,
                                         const OutboundContext& context) {
  if (spot.location() == nullptr) return std::nullopt;
  auto event = start_event(spot.foreign(), enlace_uid(context.origin_nation, sv(spot.report_id())),
                           "b-m-p-s-m", "h-e");
  event.lat = spot.location()->lat_deg();
  event.lon = spot.location()->lon_deg();
  std::string salute;
  if (!spot.foreign()) {
    // SALUTE in the remarks, one line per letter that the report fills in.
    auto line = [&](const char* letter, std::string_view value) {
      if (!value.empty())
        salute += fmt::format("{}{}: {}", salute.empty() ? "" : "\n", letter, value);
    };
    line("S", sv(spot.size()));
    line("A", sv(spot.activity()));
    line("L", sv(spot.location_text()));
    line("U", sv(spot.unit()));
    if (spot.observed_ns() > 0) line("T", format_cot_time(spot.observed_ns() / kNsPerMs));
    line("E", sv(spot.equipment()));
    set_callsign(event, spot.unit() ? sv(spot.unit()) : sv(spot.report_id()));
  } else if (spot.unit()) {
    set_callsign(event, sv(spot.unit()));
  }
  set_times(event, envelope, spot.observed_ns(), context);
  mark(event, envelope, context, true, salute);
  return event;
}

std::optional<CotEvent> from_tasking(const wire::Envelope& envelope, const wire::Tasking& task,
                                     const OutboundContext& context) {
  if (task.area() == nullptr || task.area()->vertices() == nullptr ||
      task.area()->vertices()->size() < 3) {
    return std::nullopt;
  }
  auto event = start_event(task.foreign(), enlace_uid(context.origin_nation, sv(task.task_id())),
                           "u-d-f", "h-e");
  const auto& vertices = *task.area()->vertices();
  DetailXml detail(event.xml_detail);
  auto root = detail.root();
  // The polygon as ATAK draws a closed shape: one link per vertex, the first repeated.
  pugi::xml_node before = root.first_child();
  auto add_link = [&](const wire::GeoPoint* v) {
    auto link = before ? root.insert_child_before("link", before) : root.append_child("link");
    link.append_attribute("point").set_value(
        fmt::format("{},{}", v->lat_deg(), v->lon_deg()).c_str());
  };
  double lat = 0, lon = 0;
  for (const auto* v : vertices) {
    add_link(v);
    lat += v->lat_deg();
    lon += v->lon_deg();
  }
  add_link(vertices.Get(0));
  if (!task.foreign()) {
    event.lat = lat / vertices.size();
    event.lon = lon / vertices.size();
    auto style = [&](const char* name, const char* value) {
      root.append_child(name).append_attribute("value").set_value(value);
    };
    style("strokeColor", "-65536");
    style("strokeWeight", "3.0");
    style("fillColor", "1358888960");
    root.append_child("labels_on").append_attribute("value").set_value("true");
  }
  event.xml_detail = detail.text();
  set_callsign(event, task.area()->name() ? sv(task.area()->name()) : sv(task.task_id()));
  const std::int64_t start_ns = task.window() ? task.window()->start_ns() : 0;
  set_times(event, envelope, start_ns, context);
  std::string remarks;
  if (!task.foreign()) {
    remarks = fmt::format("{} task {} ({})", wire::EnumNameTaskType(task.type()),
                          sv(task.task_id()), wire::EnumNameTaskStatus(task.status()));
    if (task.assigned_units() && task.assigned_units()->size()) {
      remarks += ", units:";
      for (const auto* unit : *task.assigned_units()) remarks += fmt::format(" {}", sv(unit));
    }
    if (task.instructions()) remarks += fmt::format("\n{}", sv(task.instructions()));
  }
  mark(event, envelope, context, true, remarks);
  return event;
}

}  // namespace

std::string topic_token(std::string_view text) {
  std::string token;
  for (const char c : text.substr(0, 64)) {
    const bool plain = c > ' ' && c <= '~' && c != '.' && c != '*' && c != '>';
    token += plain ? c : '_';
  }
  return token.empty() ? std::string("_") : token;
}

std::string releasability_text(const wire::Envelope& envelope) {
  const auto* label = envelope.label();
  if (label == nullptr || label->releasable_to() == nullptr ||
      label->releasable_to()->size() == 0) {
    return "REL BY AGREEMENT";
  }
  std::string text = "REL TO ";
  bool first = true;
  for (const auto* nation : *label->releasable_to()) {
    if (!first) text += ", ";
    text += nation->string_view();
    first = false;
  }
  return text;
}

Expected<BusMessage> to_bus(const CotEvent& event, const InboundContext& context,
                            flatbuffers::FlatBufferBuilder& fbb) {
  DetailXml detail(event.xml_detail);
  if (detail.child(kMarkingElement.data())) {
    return {Reason::loop, fmt::format("uid {} came out of an Enlace gateway", event.uid)};
  }
  if (event.stale_ms <= context.now_ms) return {Reason::expired, fmt::format("uid {}", event.uid)};
  const std::string_view type = std::string_view(event.type).substr(0, event.type.find(';'));
  if (const auto atom = parse_atom(type)) {
    if (atom->affiliation == 'f') return position_report(event, context, detail, fbb);
    return track(event, *atom, context, detail, fbb);
  }
  if (type == "b-t-f") return text(event, context, detail, fbb);
  if (type.starts_with("b-a-o-")) return alert(event, context, detail, fbb);
  if (type.starts_with("b-m-p-s-")) return spot_report(event, context, detail, fbb);
  if (type == "u-d-f" || type == "u-d-r") return tasking(event, context, detail, fbb);
  return {Reason::unknown_type, std::string(type)};
}

std::optional<CotEvent> to_cot(const wire::Envelope& envelope, const OutboundContext& context) {
  switch (envelope.payload_type()) {
    case wire::Payload::PositionReport:
      return from_position_report(envelope, *envelope.payload_as_PositionReport(), context);
    case wire::Payload::Track:
      return from_track(envelope, *envelope.payload_as_Track(), context);
    case wire::Payload::Text:
      return from_text(envelope, *envelope.payload_as_Text(), context);
    case wire::Payload::Alert:
      return from_alert(envelope, *envelope.payload_as_Alert(), context);
    case wire::Payload::SpotReport:
      return from_spot_report(envelope, *envelope.payload_as_SpotReport(), context);
    case wire::Payload::Tasking:
      return from_tasking(envelope, *envelope.payload_as_Tasking(), context);
    default:
      return std::nullopt;
  }
}

}  // namespace enlace::tak
