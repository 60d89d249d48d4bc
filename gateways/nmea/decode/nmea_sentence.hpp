// NMEA 0183 sentence framing: start character, address, fields, checksum.
//
// No I/O and no allocation: a Sentence holds views into the caller's line, which must
// outlive it. Used by the radio-position decoder (nmea_position.hpp) and the AIS
// decoder (ais_sentence.hpp), and reached directly by tests and fuzz_nmea_sentence.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "common/decoded.hpp"

namespace enlace::gateway::nmea {

/// NMEA 0183 allows 82 bytes with CR LF; real receivers exceed it a little (long
/// proprietary sentences, extra decimals), so accept up to this many, without CR LF.
inline constexpr std::size_t kMaxSentenceBytes = 160;
/// Fields after the address that a sentence may have (GGA has 14, RMC 13).
inline constexpr std::size_t kMaxFields = 24;

struct Sentence {
  char start = '$';         // '$' for data, '!' for encapsulated (AIS)
  std::string_view talker;  // "GP", "GN", "AI", ...; "P" for proprietary sentences
  std::string_view type;    // "GGA", "VDM", ...; the vendor's rest for proprietary ones
  std::array<std::string_view, kMaxFields> fields{};
  std::size_t field_count = 0;

  /// Field `i` (0-based, after the address); empty when absent (trailing fields may be
  /// missing altogether, and an empty field means "no data").
  std::string_view field(std::size_t i) const noexcept {
    return i < field_count ? fields[i] : std::string_view{};
  }
};

/// The NMEA checksum: XOR of every byte strictly between the start character and '*'.
std::uint8_t checksum(std::string_view body) noexcept;

/// Parses one sentence, without its line end. Rejects: too_long, malformed (no start
/// character, no address, no '*hh', more than kMaxFields fields, bytes outside printable
/// ASCII), checksum.
Decoded<Sentence> parse_sentence(std::string_view line) noexcept;

// Field readers. Each returns nullopt for an empty field and for one it cannot read; the
// caller tells the two apart with field.empty() when it needs to (empty = unknown,
// unreadable = bad_field).

/// A decimal number, e.g. "12.5", "-3", ".5".
std::optional<double> parse_number(std::string_view text) noexcept;
/// A whole number of up to 9 digits.
std::optional<std::uint32_t> parse_uint(std::string_view text) noexcept;
/// "ddmm.mmmm" with hemisphere "N"/"S" -> signed degrees in [-90, 90].
std::optional<double> parse_latitude(std::string_view value, std::string_view hemisphere) noexcept;
/// "dddmm.mmmm" with hemisphere "E"/"W" -> signed degrees in [-180, 180].
std::optional<double> parse_longitude(std::string_view value, std::string_view hemisphere) noexcept;

/// Seconds since midnight UTC of "hhmmss[.sss]", in nanoseconds.
std::optional<std::int64_t> parse_time_of_day(std::string_view text) noexcept;

/// A calendar date, as days since 1970-01-01.
std::optional<std::int64_t> days_from_civil(int year, int month, int day) noexcept;
/// RMC's "ddmmyy": years 80-99 are 19xx, 00-79 are 20xx.
std::optional<std::int64_t> parse_ddmmyy(std::string_view text) noexcept;

}  // namespace enlace::gateway::nmea
