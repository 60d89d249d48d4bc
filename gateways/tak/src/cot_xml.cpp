#include "cot_xml.hpp"

#include <charconv>
#include <cmath>
#include <cstring>
#include <iterator>
#include <vector>

#include <fmt/format.h>
#include <pugixml.hpp>

namespace enlace::tak {
namespace {

constexpr unsigned kParseOptions = pugi::parse_default | pugi::parse_doctype;

struct StringWriter final : pugi::xml_writer {
  std::string* out;
  explicit StringWriter(std::string* target) : out(target) {}
  void write(const void* data, std::size_t size) override {
    out->append(static_cast<const char*>(data), size);
  }
};

std::optional<double> parse_double(std::string_view text) noexcept {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  if (!std::isfinite(value)) return std::nullopt;
  return value;
}

std::optional<std::uint32_t> parse_uint(std::string_view text) noexcept {
  std::uint32_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

std::string format_double(double value) {
  char buffer[64];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  if (ec != std::errc()) return "0";
  return std::string(buffer, end);
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

// Whether `node` holds only attributes named in `allowed` and no child nodes: only such an
// element is taken into a typed field; anything richer stays verbatim in xml_detail.
bool only_attributes(const pugi::xml_node& node, std::initializer_list<std::string_view> allowed) {
  if (node.first_child()) return false;
  for (const auto& attribute : node.attributes()) {
    bool known = false;
    for (const auto name : allowed) known = known || name == attribute.name();
    if (!known) return false;
  }
  return true;
}

// The deepest element nesting under `root` (root counts 1), walked without recursion so a
// hostile document cannot exhaust the stack here.
std::size_t depth_of(const pugi::xml_node& root, std::size_t stop_after) {
  std::size_t depth = 1;
  std::size_t deepest = 1;
  pugi::xml_node node = root.first_child();
  while (node && node != root) {
    if (node.type() == pugi::node_element) {
      deepest = std::max(deepest, depth + 1);
      if (deepest > stop_after) return deepest;
    }
    if (node.first_child()) {
      ++depth;
      node = node.first_child();
      continue;
    }
    while (node != root && !node.next_sibling()) {
      node = node.parent();
      --depth;
    }
    if (node != root) node = node.next_sibling();
  }
  return deepest;
}

// Takes the typed children of <detail> into `event`, and the rest into xml_detail.
void read_detail(const pugi::xml_node& detail, CotEvent& event) {
  StringWriter writer(&event.xml_detail);
  for (const auto& child : detail.children()) {
    if (child.type() != pugi::node_element) continue;
    const std::string_view name = child.name();
    if (name == "contact" && !event.contact && only_attributes(child, {"callsign", "endpoint"})) {
      event.contact =
          CotContact{child.attribute("callsign").value(), child.attribute("endpoint").value()};
      continue;
    }
    if (name == "__group" && !event.group && only_attributes(child, {"name", "role"})) {
      event.group = CotGroup{child.attribute("name").value(), child.attribute("role").value()};
      continue;
    }
    if (name == "precisionlocation" && !event.precision_location &&
        only_attributes(child, {"geopointsrc", "altsrc"})) {
      event.precision_location = CotPrecisionLocation{child.attribute("geopointsrc").value(),
                                                      child.attribute("altsrc").value()};
      continue;
    }
    if (name == "takv" && !event.takv &&
        only_attributes(child, {"device", "platform", "os", "version"})) {
      event.takv = CotTakv{child.attribute("device").value(), child.attribute("platform").value(),
                           child.attribute("os").value(), child.attribute("version").value()};
      continue;
    }
    if (name == "status" && !event.battery && only_attributes(child, {"battery"})) {
      if (const auto battery = parse_uint(child.attribute("battery").value())) {
        event.battery = *battery;
        continue;
      }
    }
    if (name == "track" && !event.track && only_attributes(child, {"course", "speed"})) {
      const auto speed = parse_double(child.attribute("speed").value());
      const auto course = parse_double(child.attribute("course").value());
      if (speed && course) {
        event.track = CotTrack{*speed, *course};
        continue;
      }
    }
    child.print(writer, "", pugi::format_raw);
  }
}

void set(pugi::xml_node node, const char* name, const std::string& value) {
  node.append_attribute(name).set_value(value.c_str());
}

}  // namespace

std::optional<std::int64_t> parse_cot_time(std::string_view text) noexcept {
  // CCYY-MM-DDThh:mm:ss[.f...][Z]
  if (text.size() < 19 || text[4] != '-' || text[7] != '-' ||
      (text[10] != 'T' && text[10] != 't') || text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  auto number = [&](std::size_t at, std::size_t digits) -> std::optional<unsigned> {
    unsigned value = 0;
    for (std::size_t i = at; i < at + digits; ++i) {
      if (text[i] < '0' || text[i] > '9') return std::nullopt;
      value = value * 10 + static_cast<unsigned>(text[i] - '0');
    }
    return value;
  };
  const auto year = number(0, 4), month = number(5, 2), day = number(8, 2);
  const auto hour = number(11, 2), minute = number(14, 2), second = number(17, 2);
  if (!year || !month || !day || !hour || !minute || !second) return std::nullopt;
  // TAK v1 carries times as unsigned milliseconds since 1970: an earlier time could not
  // be sent on to protocol 1 clients (nor is it a real event time).
  if (*year < 1970) return std::nullopt;
  if (*month < 1 || *month > 12 || *day < 1 || *day > 31 || *hour > 23 || *minute > 59 ||
      *second > 60) {
    return std::nullopt;
  }
  std::size_t at = 19;
  std::int64_t millis = 0;
  if (at < text.size() && text[at] == '.') {
    ++at;
    std::size_t digits = 0;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
      if (digits < 3) millis = millis * 10 + (text[at] - '0');
      ++digits;
      ++at;
    }
    if (digits == 0) return std::nullopt;
    for (std::size_t d = digits; d < 3; ++d) millis *= 10;
  }
  if (at < text.size() && (text[at] == 'Z' || text[at] == 'z')) ++at;
  if (at != text.size()) return std::nullopt;
  const std::int64_t days = days_from_civil(*year, *month, *day);
  const std::int64_t ms =
      ((days * 24 + *hour) * 60 + *minute) * 60000 + std::int64_t{*second} * 1000 + millis;
  return ms <= kMaxTimeMs ? std::optional<std::int64_t>(ms) : std::nullopt;
}

std::string format_cot_time(std::int64_t ms) {
  std::int64_t days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
  std::int64_t rest = ms - days * 86400000;
  // civil_from_days
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", y, m, d, rest / 3600000,
                     rest / 60000 % 60, rest / 1000 % 60, rest % 1000);
}

// Where `text` stops being well-formed UTF-8 (no overlong forms, surrogates or code
// points above U+10FFFF); npos when it is. pugixml takes any bytes, but TAK v1 carries
// text in proto3 `string` fields, which receivers refuse unless it is UTF-8: an event
// accepted here would be undecodable for every protocol 1 client it is fanned out to.
std::size_t invalid_utf8_at(std::string_view text) noexcept {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t length = 0;
    std::uint32_t code = 0;
    if (c >= 0xc2 && c <= 0xdf) {
      length = 2;
      code = c & 0x1fu;
    } else if (c >= 0xe0 && c <= 0xef) {
      length = 3;
      code = c & 0x0fu;
    } else if (c >= 0xf0 && c <= 0xf4) {
      length = 4;
      code = c & 0x07u;
    } else {
      return i;
    }
    if (text.size() - i < length) return i;
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xc0) != 0x80) return i;
      code = (code << 6) | (next & 0x3fu);
    }
    if ((length == 3 && (code < 0x800 || (code >= 0xd800 && code <= 0xdfff))) ||
        (length == 4 && (code < 0x10000 || code > 0x10ffff))) {
      return i;
    }
    i += length;
  }
  return std::string_view::npos;
}

Expected<CotEvent> decode_xml(std::string_view xml, const XmlLimits& limits) {
  if (xml.size() > limits.max_event_bytes) {
    return {Reason::oversize,
            fmt::format("{} bytes, more than {}", xml.size(), limits.max_event_bytes)};
  }
  if (const auto at = invalid_utf8_at(xml); at != std::string_view::npos) {
    return {Reason::bad_xml, fmt::format("not UTF-8 at offset {}", at)};
  }
  pugi::xml_document document;
  const auto parsed =
      document.load_buffer(xml.data(), xml.size(), kParseOptions, pugi::encoding_utf8);
  if (!parsed) {
    return {Reason::bad_xml, fmt::format("{} at offset {}", parsed.description(), parsed.offset)};
  }
  pugi::xml_node root;
  for (const auto& node : document.children()) {
    if (node.type() == pugi::node_doctype) return {Reason::bad_xml, "DOCTYPE not allowed"};
    if (node.type() == pugi::node_element) {
      if (root) return {Reason::bad_xml, "more than one root element"};
      root = node;
    }
  }
  if (!root || std::strcmp(root.name(), "event") != 0) {
    return {Reason::bad_event, "the root element is not <event>"};
  }
  if (depth_of(root, limits.max_depth) > limits.max_depth) {
    return {Reason::bad_xml, fmt::format("elements nested more than {} deep", limits.max_depth)};
  }

  CotEvent event;
  event.uid = root.attribute("uid").value();
  event.type = root.attribute("type").value();
  if (event.uid.empty()) return {Reason::bad_event, "no uid"};
  if (event.type.empty()) return {Reason::bad_event, "no type"};
  event.how = root.attribute("how").value();
  event.access = root.attribute("access").value();
  event.qos = root.attribute("qos").value();
  event.opex = root.attribute("opex").value();

  const auto time = parse_cot_time(root.attribute("time").value());
  const auto stale = parse_cot_time(root.attribute("stale").value());
  if (!time) return {Reason::bad_event, "time missing or not a CoT time"};
  if (!stale) return {Reason::bad_event, "stale missing or not a CoT time"};
  const auto start = parse_cot_time(root.attribute("start").value());
  event.time_ms = *time;
  event.stale_ms = *stale;
  event.start_ms = start ? *start : *time;

  const auto point = root.child("point");
  if (!point) return {Reason::bad_event, "no <point>"};
  const auto lat = parse_double(point.attribute("lat").value());
  const auto lon = parse_double(point.attribute("lon").value());
  if (!lat || !lon || *lat < -90 || *lat > 90 || *lon < -180 || *lon > 180) {
    return {Reason::bad_event, "point lat/lon missing or outside WGS 84"};
  }
  event.lat = *lat;
  event.lon = *lon;
  event.hae = parse_double(point.attribute("hae").value()).value_or(kUnknownValue);
  event.ce = parse_double(point.attribute("ce").value()).value_or(kUnknownValue);
  event.le = parse_double(point.attribute("le").value()).value_or(kUnknownValue);

  if (const auto detail = root.child("detail")) read_detail(detail, event);
  return event;
}

std::optional<Refusal> check_detail_fragment(std::string_view xml, const XmlLimits& limits) {
  if (xml.size() > limits.max_event_bytes) {
    return Refusal{Reason::oversize, fmt::format("xmlDetail of {} bytes", xml.size())};
  }
  if (const auto at = invalid_utf8_at(xml); at != std::string_view::npos) {
    return Refusal{Reason::bad_xml, fmt::format("xmlDetail: not UTF-8 at offset {}", at)};
  }
  pugi::xml_document document;
  const auto parsed = document.load_buffer(
      xml.data(), xml.size(), kParseOptions | pugi::parse_fragment, pugi::encoding_utf8);
  if (!parsed) {
    return Refusal{Reason::bad_xml,
                   fmt::format("xmlDetail: {} at offset {}", parsed.description(), parsed.offset)};
  }
  for (const auto& node : document.children()) {
    if (node.type() == pugi::node_doctype) return Refusal{Reason::bad_xml, "DOCTYPE not allowed"};
  }
  // The fragment sits inside <event><detail>: two levels above its own.
  if (depth_of(document, limits.max_depth) + 1 > limits.max_depth) {
    return Refusal{Reason::bad_xml,
                   fmt::format("elements nested more than {} deep", limits.max_depth)};
  }
  return std::nullopt;
}

std::string encode_xml(const CotEvent& event, bool indent) {
  pugi::xml_document document;
  auto declaration = document.append_child(pugi::node_declaration);
  declaration.append_attribute("version").set_value("1.0");
  declaration.append_attribute("encoding").set_value("UTF-8");
  declaration.append_attribute("standalone").set_value("yes");

  auto root = document.append_child("event");
  root.append_attribute("version").set_value("2.0");
  set(root, "uid", event.uid);
  set(root, "type", event.type);
  if (!event.access.empty()) set(root, "access", event.access);
  if (!event.qos.empty()) set(root, "qos", event.qos);
  if (!event.opex.empty()) set(root, "opex", event.opex);
  set(root, "time", format_cot_time(event.time_ms));
  set(root, "start", format_cot_time(event.start_ms));
  set(root, "stale", format_cot_time(event.stale_ms));
  set(root, "how", event.how.empty() ? std::string("h-g-i-g-o") : event.how);

  auto point = root.append_child("point");
  set(point, "lat", format_double(event.lat));
  set(point, "lon", format_double(event.lon));
  set(point, "hae", format_double(is_unknown(event.hae) ? kUnknownValue : event.hae));
  set(point, "ce", format_double(is_unknown(event.ce) ? kUnknownValue : event.ce));
  set(point, "le", format_double(is_unknown(event.le) ? kUnknownValue : event.le));

  auto detail = root.append_child("detail");
  pugi::xml_document extra;
  if (!event.xml_detail.empty()) {
    // Our own xml_detail came from a parsed document; one from a peer (TAK v1 xmlDetail)
    // that does not parse is left out rather than written out broken.
    (void)extra.load_buffer(event.xml_detail.data(), event.xml_detail.size(),
                            pugi::parse_default | pugi::parse_fragment, pugi::encoding_utf8);
  }
  // An element present in both the typed fields and xml_detail: the xml_detail copy wins.
  auto typed = [&](const char* name) { return !extra.child(name); };
  if (event.contact && typed("contact")) {
    auto node = detail.append_child("contact");
    if (!event.contact->endpoint.empty()) set(node, "endpoint", event.contact->endpoint);
    set(node, "callsign", event.contact->callsign);
  }
  if (event.group && typed("__group")) {
    auto node = detail.append_child("__group");
    set(node, "name", event.group->name);
    set(node, "role", event.group->role);
  }
  if (event.precision_location && typed("precisionlocation")) {
    auto node = detail.append_child("precisionlocation");
    set(node, "geopointsrc", event.precision_location->geopointsrc);
    set(node, "altsrc", event.precision_location->altsrc);
  }
  if (event.battery && typed("status")) {
    detail.append_child("status").append_attribute("battery").set_value(*event.battery);
  }
  if (event.takv && typed("takv")) {
    auto node = detail.append_child("takv");
    set(node, "device", event.takv->device);
    set(node, "platform", event.takv->platform);
    set(node, "os", event.takv->os);
    set(node, "version", event.takv->version);
  }
  if (event.track && typed("track")) {
    auto node = detail.append_child("track");
    set(node, "course", format_double(event.track->course_deg));
    set(node, "speed", format_double(event.track->speed_mps));
  }
  for (const auto& child : extra.children()) detail.append_copy(child);

  std::string out;
  StringWriter writer(&out);
  if (indent) {
    document.save(writer, "  ", pugi::format_indent, pugi::encoding_utf8);
  } else {
    document.save(writer, "", pugi::format_raw, pugi::encoding_utf8);
  }
  return out;
}

std::optional<std::string> canonical_xml(std::string_view xml) {
  pugi::xml_document document;
  if (!document.load_buffer(xml.data(), xml.size(), pugi::parse_default | pugi::parse_declaration,
                            pugi::encoding_utf8)) {
    return std::nullopt;
  }
  std::string out;
  StringWriter writer(&out);
  document.save(writer, "  ", pugi::format_indent, pugi::encoding_utf8);
  return out;
}

}  // namespace enlace::tak
