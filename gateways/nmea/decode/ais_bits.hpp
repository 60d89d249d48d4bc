// AIS payload armouring (ITU-R M.1371 over NMEA, "six-bit ASCII") and bit-field access.
//
// No I/O. An AisBits holds at most kMaxAisBits bits in a fixed array: a reassembled
// message can never be longer than what the reassembly table keeps (ais_reassembly.hpp).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/decoded.hpp"

namespace enlace::gateway::nmea {

/// Armoured characters of one message at most (9 fragments of a full sentence each).
inline constexpr std::size_t kMaxAisPayloadChars = 9 * 64;
inline constexpr std::size_t kMaxAisBits = kMaxAisPayloadChars * 6;

class AisBits {
 public:
  /// De-armours `payload` and drops `fill` pad bits from its end. Rejects bad_field for a
  /// character outside the armour alphabet ('0'-'W', '`'-'w'), a fill above 5 or longer
  /// than the payload, and a payload longer than kMaxAisPayloadChars.
  static Decoded<AisBits> from_armored(std::string_view payload, unsigned fill) noexcept;

  std::size_t size() const noexcept { return size_; }

  /// Bits [start, start+length) as an unsigned number, most significant bit first;
  /// bits past the end read as 0. length <= 32.
  std::uint32_t u(std::size_t start, std::size_t length) const noexcept;
  /// The same as a two's-complement signed number.
  std::int32_t i(std::size_t start, std::size_t length) const noexcept;
  /// `chars` six-bit characters from `start`: up to the first '@', trailing spaces dropped;
  /// characters past the end are not read.
  std::string text(std::size_t start, std::size_t chars) const;

 private:
  std::array<std::uint8_t, kMaxAisBits / 8> bytes_{};
  std::size_t size_ = 0;
};

}  // namespace enlace::gateway::nmea
