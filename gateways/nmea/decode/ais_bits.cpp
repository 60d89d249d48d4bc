#include "nmea/decode/ais_bits.hpp"

namespace enlace::gateway::nmea {

Decoded<AisBits> AisBits::from_armored(std::string_view payload, unsigned fill) noexcept {
  if (payload.size() > kMaxAisPayloadChars || fill > 5) return Reject::bad_field;
  AisBits bits;
  std::size_t at = 0;
  for (const char c : payload) {
    int v = static_cast<unsigned char>(c) - 48;
    if (v < 0 || v > 71 || (v > 39 && v < 48)) return Reject::bad_field;
    if (v > 40) v -= 8;
    for (int b = 5; b >= 0; --b, ++at) {
      if ((v >> b) & 1) bits.bytes_[at / 8] |= static_cast<std::uint8_t>(0x80u >> (at % 8));
    }
  }
  if (fill > at) return Reject::bad_field;
  bits.size_ = at - fill;
  return bits;
}

std::uint32_t AisBits::u(std::size_t start, std::size_t length) const noexcept {
  std::uint32_t value = 0;
  for (std::size_t k = start; k < start + length; ++k) {
    const std::uint32_t bit = k < size_ ? (bytes_[k / 8] >> (7 - k % 8)) & 1u : 0u;
    value = (value << 1) | bit;
  }
  return value;
}

std::int32_t AisBits::i(std::size_t start, std::size_t length) const noexcept {
  const std::uint32_t raw = u(start, length);
  if (length == 0 || length >= 32) return static_cast<std::int32_t>(raw);
  const std::uint32_t sign = 1u << (length - 1);
  return static_cast<std::int32_t>(raw ^ sign) - static_cast<std::int32_t>(sign);
}

std::string AisBits::text(std::size_t start, std::size_t chars) const {
  std::string out;
  for (std::size_t k = 0; k < chars && start + 6 * (k + 1) <= size_; ++k) {
    const std::uint32_t v = u(start + 6 * k, 6);
    if (v == 0) break;  // '@' ends the text
    out.push_back(static_cast<char>(v < 32 ? v + 64 : v));
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace enlace::gateway::nmea
