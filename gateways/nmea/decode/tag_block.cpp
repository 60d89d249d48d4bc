#include "nmea/decode/tag_block.hpp"

#include "nmea/decode/nmea_sentence.hpp"

namespace enlace::gateway::nmea {
namespace {

std::optional<std::uint8_t> hex_byte(std::string_view two) noexcept {
  std::uint8_t value = 0;
  for (const char c : two) {
    value = static_cast<std::uint8_t>(value << 4);
    if (c >= '0' && c <= '9') {
      value = static_cast<std::uint8_t>(value | (c - '0'));
    } else if (c >= 'A' && c <= 'F') {
      value = static_cast<std::uint8_t>(value | (c - 'A' + 10));
    } else if (c >= 'a' && c <= 'f') {
      value = static_cast<std::uint8_t>(value | (c - 'a' + 10));
    } else {
      return std::nullopt;
    }
  }
  return value;
}

std::optional<std::uint64_t> parse_u64(std::string_view text) noexcept {
  if (text.empty() || text.size() > 15) return std::nullopt;
  std::uint64_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return value;
}

bool parse_group(std::string_view value, TagBlock& tags) noexcept {
  const std::size_t a = value.find('-');
  if (a == std::string_view::npos) return false;
  const std::size_t b = value.find('-', a + 1);
  if (b == std::string_view::npos) return false;
  tags.group_number = parse_uint(value.substr(0, a));
  tags.group_total = parse_uint(value.substr(a + 1, b - a - 1));
  tags.group_id = parse_uint(value.substr(b + 1));
  return tags.group_number && tags.group_total && tags.group_id;
}

}  // namespace

Decoded<Tagged> split_tag_block(std::string_view line) noexcept {
  if (line.empty() || line[0] != '\\') return Tagged{std::nullopt, line};
  const std::size_t close = line.find('\\', 1);
  if (close == std::string_view::npos || close > kMaxTagBlockBytes) return Reject::bad_tag_block;
  const std::string_view block = line.substr(1, close - 1);
  const std::size_t star = block.rfind('*');
  if (star == std::string_view::npos || star + 3 != block.size()) return Reject::bad_tag_block;
  const auto sum = hex_byte(block.substr(star + 1));
  if (!sum) return Reject::bad_tag_block;
  const std::string_view content = block.substr(0, star);
  if (checksum(content) != *sum) return Reject::checksum;

  TagBlock tags;
  std::string_view rest = content;
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    const std::string_view pair = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    const std::size_t colon = pair.find(':');
    if (colon == std::string_view::npos || colon == 0) return Reject::bad_tag_block;
    const std::string_view key = pair.substr(0, colon);
    const std::string_view value = pair.substr(colon + 1);
    if (key == "c") {
      const auto t = parse_u64(value);
      if (!t) return Reject::bad_tag_block;
      // Seconds below 4 * 10^9 (until the year 2096), milliseconds from 10^11 up to
      // 4 * 10^12; anything else would overflow nanoseconds or is no time at all.
      if (*t < 4'000'000'000ULL) {
        tags.time_ns = static_cast<std::int64_t>(*t) * 1'000'000'000;
      } else if (*t >= 100'000'000'000ULL && *t < 4'000'000'000'000ULL) {
        tags.time_ns = static_cast<std::int64_t>(*t) * 1'000'000;
      } else {
        return Reject::bad_tag_block;
      }
    } else if (key == "s") {
      tags.source = value;
    } else if (key == "g") {
      if (!parse_group(value, tags)) return Reject::bad_tag_block;
    } else if (key == "n") {
      tags.line_count = parse_uint(value);
      if (!tags.line_count) return Reject::bad_tag_block;
    }
  }
  return Tagged{tags, line.substr(close + 1)};
}

}  // namespace enlace::gateway::nmea
