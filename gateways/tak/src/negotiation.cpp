#include "negotiation.hpp"

#include <charconv>
#include <string>

#include <pugixml.hpp>

namespace enlace::tak {
namespace {

// Control events are valid for a minute; the point is "nowhere", as TAK Server sends it.
CotEvent control_event(std::string_view uid, std::string_view type, std::int64_t now_ms) {
  CotEvent event;
  event.uid = std::string(uid);
  event.type = std::string(type);
  event.how = "m-g";
  event.time_ms = now_ms;
  event.start_ms = now_ms;
  event.stale_ms = now_ms + 60'000;
  return event;
}

}  // namespace

CotEvent protocol_offer(std::int64_t now_ms) {
  // TAK Server's offer carries this fixed uid; clients match on the type.
  auto event = control_event("protouid", kTypeProtocolOffer, now_ms);
  event.xml_detail = "<TakControl><TakProtocolSupport version=\"1\"/></TakControl>";
  return event;
}

CotEvent protocol_response(std::string_view gateway_uid, bool accepted, std::int64_t now_ms) {
  auto event = control_event(gateway_uid, kTypeProtocolResponse, now_ms);
  event.xml_detail = accepted ? "<TakControl><TakResponse status=\"true\"/></TakControl>"
                              : "<TakControl><TakResponse status=\"false\"/></TakControl>";
  return event;
}

CotEvent ping_reply(std::string_view gateway_uid, std::int64_t now_ms) {
  return control_event(std::string(gateway_uid) + "-pong", kTypePong, now_ms);
}

std::optional<std::uint32_t> requested_version(const CotEvent& event) {
  if (event.type != kTypeProtocolRequest) return std::nullopt;
  pugi::xml_document detail;
  if (!detail.load_buffer(event.xml_detail.data(), event.xml_detail.size(),
                          pugi::parse_default | pugi::parse_fragment, pugi::encoding_utf8)) {
    return std::nullopt;
  }
  const std::string_view text =
      detail.child("TakControl").child("TakRequest").attribute("version").value();
  std::uint32_t version = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), version);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return version;
}

bool is_stream_control(const CotEvent& event) noexcept {
  return event.type.starts_with("t-x-takp") || event.type == kTypePing || event.type == kTypePong;
}

}  // namespace enlace::tak
