// Cursor-on-Target XML: one <event> to a CotEvent and back, with pugixml.
//
// Decoding refuses what it cannot trust instead of guessing: input above the size bound,
// a DOCTYPE (pugixml never expands entities, but a CoT event has no use for one), nesting
// deeper than the bound, a root other than <event>, a missing uid or type, times that do
// not parse, a point outside WGS 84. It tolerates what real TAK traffic does: either
// quote style, <detail> before <point>, a missing `how`, extra attributes, entities in
// attribute values, a `;`-suffix on the type.
//
// Pure functions; safe to call from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cot_event.hpp"
#include "refusal.hpp"

namespace enlace::tak {

struct XmlLimits {
  std::size_t max_event_bytes = 64 * 1024;
  std::size_t max_depth = 32;  // element nesting inside <event>, <event> itself is 1
};

/// Decodes one CoT event (an optional XML declaration, then <event>...</event>).
/// Refusals: oversize, bad_xml, bad_event.
Expected<CotEvent> decode_xml(std::string_view xml, const XmlLimits& limits = {});

/// Checks a <detail> body that arrived outside XML (TAK v1 xmlDetail): well-formed as a
/// fragment, no DOCTYPE, nested no deeper than the bound. Refusals: bad_xml, oversize.
std::optional<Refusal> check_detail_fragment(std::string_view xml, const XmlLimits& limits = {});

/// The event as TAK sends it on a stream: `<?xml ...?>` and the <event> on one line, with
/// nothing after `</event>`. With `indent`, one element per line (for golden files).
std::string encode_xml(const CotEvent& event, bool indent = false);

/// CoT time (`2026-12-02T07:00:00.123Z`, any number of fraction digits, `Z` optional) to
/// milliseconds since the Unix epoch; nullopt if it does not parse, is before 1970 (TAK v1
/// cannot carry it) or after kMaxTimeMs (the bus cannot).
std::optional<std::int64_t> parse_cot_time(std::string_view text) noexcept;
/// Milliseconds since the Unix epoch to CoT time with three fraction digits.
std::string format_cot_time(std::int64_t ms);

/// Canonical form of an XML text for comparisons in tests: parsed and printed again
/// with one element per line; nullopt when it does not parse.
std::optional<std::string> canonical_xml(std::string_view xml);

}  // namespace enlace::tak
