#include "tak_proto.hpp"

#include <mutex>

#include <fmt/format.h>
#include <google/protobuf/stubs/logging.h>

#include "tak_v1.pb.h"

namespace enlace::tak {
namespace pb = atakmap::commoncommo::protobuf::v1;

namespace {

std::uint64_t to_wire_ms(std::int64_t ms) noexcept {
  return ms > 0 ? static_cast<std::uint64_t>(ms) : 0;
}

// Protobuf has no "unknown" for doubles; TAK's convention is 999999.
double to_wire_unknown(double value) noexcept {
  return is_unknown(value) ? 999999.0 : value;
}

}  // namespace

void append_varint(std::string& out, std::uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

std::string stream_frame(std::string_view payload) {
  std::string out;
  out.reserve(payload.size() + 11);
  out.push_back(static_cast<char>(kTakMagic));
  append_varint(out, payload.size());
  out.append(payload);
  return out;
}

std::string mesh_frame(std::string_view payload) {
  std::string out;
  out.reserve(payload.size() + 3);
  out.push_back(static_cast<char>(kTakMagic));
  append_varint(out, kTakProtocolVersion);
  out.push_back(static_cast<char>(kTakMagic));
  out.append(payload);
  return out;
}

std::string encode_proto(const CotEvent& event) {
  pb::TakMessage message;
  auto* cot = message.mutable_cotevent();
  cot->set_type(event.type);
  cot->set_access(event.access);
  cot->set_qos(event.qos);
  cot->set_opex(event.opex);
  cot->set_uid(event.uid);
  cot->set_sendtime(to_wire_ms(event.time_ms));
  cot->set_starttime(to_wire_ms(event.start_ms));
  cot->set_staletime(to_wire_ms(event.stale_ms));
  cot->set_how(event.how);
  cot->set_lat(event.lat);
  cot->set_lon(event.lon);
  cot->set_hae(to_wire_unknown(event.hae));
  cot->set_ce(to_wire_unknown(event.ce));
  cot->set_le(to_wire_unknown(event.le));
  auto* detail = cot->mutable_detail();
  detail->set_xmldetail(event.xml_detail);
  if (event.contact) {
    detail->mutable_contact()->set_endpoint(event.contact->endpoint);
    detail->mutable_contact()->set_callsign(event.contact->callsign);
  }
  if (event.group) {
    detail->mutable_group()->set_name(event.group->name);
    detail->mutable_group()->set_role(event.group->role);
  }
  if (event.precision_location) {
    detail->mutable_precisionlocation()->set_geopointsrc(event.precision_location->geopointsrc);
    detail->mutable_precisionlocation()->set_altsrc(event.precision_location->altsrc);
  }
  if (event.battery) detail->mutable_status()->set_battery(*event.battery);
  if (event.takv) {
    auto* takv = detail->mutable_takv();
    takv->set_device(event.takv->device);
    takv->set_platform(event.takv->platform);
    takv->set_os(event.takv->os);
    takv->set_version(event.takv->version);
  }
  if (event.track) {
    detail->mutable_track()->set_speed(event.track->speed_mps);
    detail->mutable_track()->set_course(event.track->course_deg);
  }
  return message.SerializeAsString();
}

namespace {

// libprotobuf writes its own line to stderr for some problems of a peer's bytes (a string
// field that is not UTF-8), unescaped and without a bound: a client sending such frames
// could flood the log and forge lines in it. The gateway counts and logs the refusal itself
// (bad_protobuf, rate-limited and escaped), so the library's lines are dropped.
void drop_protobuf_log_lines() {
  static std::once_flag once;
  std::call_once(once, [] {
    google::protobuf::SetLogHandler(
        [](google::protobuf::LogLevel, const char*, int, const std::string&) {});
  });
}

}  // namespace

Expected<CotEvent> decode_proto(std::string_view bytes, const XmlLimits& limits) {
  drop_protobuf_log_lines();
  if (bytes.size() > limits.max_event_bytes) {
    return {Reason::oversize,
            fmt::format("{} bytes, more than {}", bytes.size(), limits.max_event_bytes)};
  }
  pb::TakMessage message;
  if (!message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return {Reason::bad_protobuf, "not a TakMessage"};
  }
  if (!message.has_cotevent()) return {Reason::bad_protobuf, "a TakMessage without a CotEvent"};
  const auto& cot = message.cotevent();
  CotEvent event;
  event.uid = cot.uid();
  event.type = cot.type();
  if (event.uid.empty()) return {Reason::bad_event, "no uid"};
  if (event.type.empty()) return {Reason::bad_event, "no type"};
  if (cot.staletime() == 0) return {Reason::bad_event, "no staleTime"};
  // Times the bus cannot carry (int64 ns, so after 2262) are not event times.
  constexpr auto kMaxMs = static_cast<std::uint64_t>(kMaxTimeMs);
  if (cot.sendtime() > kMaxMs || cot.starttime() > kMaxMs || cot.staletime() > kMaxMs) {
    return {Reason::bad_event, "time out of range"};
  }
  if (!(cot.lat() >= -90 && cot.lat() <= 90 && cot.lon() >= -180 && cot.lon() <= 180)) {
    return {Reason::bad_event, "point lat/lon outside WGS 84"};
  }
  event.how = cot.how();
  event.access = cot.access();
  event.qos = cot.qos();
  event.opex = cot.opex();
  event.time_ms = static_cast<std::int64_t>(cot.sendtime());
  event.start_ms = cot.starttime() ? static_cast<std::int64_t>(cot.starttime()) : event.time_ms;
  event.stale_ms = static_cast<std::int64_t>(cot.staletime());
  event.lat = cot.lat();
  event.lon = cot.lon();
  event.hae = is_unknown(cot.hae()) ? kUnknownValue : cot.hae();
  event.ce = is_unknown(cot.ce()) ? kUnknownValue : cot.ce();
  event.le = is_unknown(cot.le()) ? kUnknownValue : cot.le();
  if (cot.has_detail()) {
    const auto& detail = cot.detail();
    if (!detail.xmldetail().empty()) {
      if (auto refusal = check_detail_fragment(detail.xmldetail(), limits)) return *refusal;
      event.xml_detail = detail.xmldetail();
    }
    if (detail.has_contact()) {
      event.contact = CotContact{detail.contact().callsign(), detail.contact().endpoint()};
    }
    if (detail.has_group()) event.group = CotGroup{detail.group().name(), detail.group().role()};
    if (detail.has_precisionlocation()) {
      event.precision_location = CotPrecisionLocation{detail.precisionlocation().geopointsrc(),
                                                      detail.precisionlocation().altsrc()};
    }
    if (detail.has_status()) event.battery = detail.status().battery();
    if (detail.has_takv()) {
      const auto& t = detail.takv();
      event.takv = CotTakv{t.device(), t.platform(), t.os(), t.version()};
    }
    if (detail.has_track()) event.track = CotTrack{detail.track().speed(), detail.track().course()};
  }
  return event;
}

Expected<CotEvent> decode_datagram(std::string_view datagram, const XmlLimits& limits) {
  if (datagram.empty() || static_cast<std::uint8_t>(datagram.front()) != kTakMagic) {
    return decode_xml(datagram, limits);
  }
  // 0xbf, varint version (1 is one byte), 0xbf.
  if (datagram.size() < 3 || static_cast<std::uint8_t>(datagram[1]) != kTakProtocolVersion ||
      static_cast<std::uint8_t>(datagram[2]) != kTakMagic) {
    return {Reason::bad_framing, "mesh header is not 0xbf 0x01 0xbf"};
  }
  return decode_proto(datagram.substr(3), limits);
}

}  // namespace enlace::tak
