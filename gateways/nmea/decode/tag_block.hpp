// NMEA 4.10 tag blocks: "\s:r003669945,c:1241544035*4A\" in front of a sentence, with its
// own checksum over the text between the backslash and '*'.
//
// No I/O, no allocation: the TagBlock's views point into the caller's line.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "common/decoded.hpp"

namespace enlace::gateway::nmea {

inline constexpr std::size_t kMaxTagBlockBytes = 120;

struct TagBlock {
  std::optional<std::int64_t> time_ns;  // "c": UNIX time, in seconds or milliseconds
  std::string_view source;              // "s": the receiving station
  // "g": sentence-group "number-total-id"
  std::optional<std::uint32_t> group_number, group_total, group_id;
  std::optional<std::uint32_t> line_count;  // "n"
};

struct Tagged {
  std::optional<TagBlock> tags;  // absent when the line has no tag block
  std::string_view sentence;     // the rest of the line
};

/// Splits a line into its tag block (if it starts with '\') and the sentence after it.
/// Rejects: checksum, bad_tag_block (no closing '\', no '*hh', a pair without ':', an
/// unreadable c/g/n value, longer than kMaxTagBlockBytes). Unknown keys are ignored.
Decoded<Tagged> split_tag_block(std::string_view line) noexcept;

}  // namespace enlace::gateway::nmea
