// Why a gateway dropped a line, a sentence or a message: the reasons its counters and
// logs name. Shared by the NMEA/AIS and the SBS gateways, so an operator reads the same
// words in both; docs/gateways/nmea.md and sbs.md say which reasons each one uses.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace enlace::gateway {

enum class Reject : std::uint8_t {
  too_long,              // a line longer than the source's line limit (cut off, then skipped)
  malformed,             // not a sentence or line of the expected shape (no '$'/'!', no '*hh')
  checksum,              // the NMEA or tag-block checksum does not match
  unknown_sentence,      // a well-formed sentence type (or AIS message type) not decoded here
  bad_field,             // a field is present but unreadable or out of range
  no_fix,                // the receiver says the position is not valid (status V, quality 0)
  incomplete_multipart,  // an AIS fragment out of order, missing, superseded or timed out
  bad_tag_block,         // an NMEA 4.10 tag block that is malformed
  bad_length,            // an AIS message whose bit length does not fit its type
  unknown_radio,         // a position from a radio that no [[radios]] entry maps to a unit
  table_full,            // the vessel or aircraft table is at its bound for a new entry
  publish_failed,        // the SDK refused the report (queue full, not connected)
};

inline constexpr std::size_t kRejectCount = 12;

/// The reason's stable name, as counters and logs show it, e.g. "checksum".
std::string_view to_string(Reject reason) noexcept;

/// All reasons, in enum order.
const std::array<Reject, kRejectCount>& all_rejects() noexcept;

}  // namespace enlace::gateway
