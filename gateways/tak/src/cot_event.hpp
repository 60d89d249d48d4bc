// One Cursor-on-Target event in memory: what the XML codec (cot_xml) and the TAK v1 codec
// (tak_proto) both decode to and encode from, and what the bus mapping (mapping) reads.
//
// The typed detail children are the ones TAK Protocol v1 has messages for. An element is
// typed only when it has nothing beyond the typed attributes; otherwise it stays whole in
// xml_detail, the verbatim rest of <detail>, as the protocol requires.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace enlace::tak {

/// hae, ce and le of an unknown value, as TAK writes them in XML (its .proto comments say
/// 999999; both are read as unknown, see is_unknown()).
inline constexpr double kUnknownValue = 9999999.0;

constexpr bool is_unknown(double value) noexcept {
  return !(value == value) || value >= 999999.0;  // NaN, 999999 or 9999999
}

/// The latest CoT time the gateway takes (2262-04-11): the bus carries times as int64
/// nanoseconds. Later times are refused as bad_event, never overflowed.
inline constexpr std::int64_t kMaxTimeMs = INT64_MAX / 1'000'000;

struct CotContact {
  std::string callsign;
  std::string endpoint;

  bool operator==(const CotContact&) const = default;
};

struct CotGroup {
  std::string name;  // team colour, e.g. "Cyan"
  std::string role;  // e.g. "Team Member"

  bool operator==(const CotGroup&) const = default;
};

struct CotPrecisionLocation {
  std::string geopointsrc;
  std::string altsrc;

  bool operator==(const CotPrecisionLocation&) const = default;
};

struct CotTakv {
  std::string device;
  std::string platform;
  std::string os;
  std::string version;

  bool operator==(const CotTakv&) const = default;
};

struct CotTrack {
  double speed_mps = 0;   // TAK convention: m/s
  double course_deg = 0;  // degrees true

  bool operator==(const CotTrack&) const = default;
};

struct CotEvent {
  std::string uid;
  std::string type;
  std::string how;
  std::string access;
  std::string qos;
  std::string opex;
  std::int64_t time_ms = 0;  // ms since the Unix epoch, UTC
  std::int64_t start_ms = 0;
  std::int64_t stale_ms = 0;
  double lat = 0;
  double lon = 0;
  double hae = kUnknownValue;
  double ce = kUnknownValue;
  double le = kUnknownValue;

  std::optional<CotContact> contact;
  std::optional<CotGroup> group;
  std::optional<CotPrecisionLocation> precision_location;
  std::optional<std::uint32_t> battery;  // <status battery=...>
  std::optional<CotTakv> takv;
  std::optional<CotTrack> track;
  /// The other <detail> children, verbatim XML without the <detail> tags.
  std::string xml_detail;

  bool operator==(const CotEvent&) const = default;
};

}  // namespace enlace::tak
