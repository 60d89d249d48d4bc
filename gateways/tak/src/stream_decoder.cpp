#include "stream_decoder.hpp"

#include <cstdint>

#include <fmt/format.h>

#include "tak_proto.hpp"

namespace enlace::tak {
namespace {
constexpr std::string_view kEndTag = "</event>";

bool is_space(char c) noexcept {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\0';
}
}  // namespace

void StreamDecoder::feed(std::string_view bytes) {
  // Compact once the returned part dominates, so the buffer stays near one event.
  if (begin_ > 0 && begin_ >= buffer_.size() / 2) {
    buffer_.erase(0, begin_);
    begin_ = 0;
  }
  buffer_.append(bytes);
}

void StreamDecoder::consume(std::size_t bytes) {
  begin_ += bytes;
  searched_ = 0;
  if (begin_ == buffer_.size()) {
    buffer_.clear();
    begin_ = 0;
  }
}

Expected<std::optional<std::string>> StreamDecoder::next() {
  return mode_ == StreamMode::xml ? next_xml() : next_protobuf();
}

Expected<std::optional<std::string>> StreamDecoder::next_xml() {
  // Whitespace between events is tolerated (node-tak writes a newline after each).
  while (begin_ < buffer_.size() && is_space(buffer_[begin_])) consume(1);
  const std::string_view pending(buffer_.data() + begin_, buffer_.size() - begin_);
  const std::size_t from = searched_ > kEndTag.size() ? searched_ - kEndTag.size() : 0;
  const std::size_t at = pending.find(kEndTag, from);
  if (at == std::string_view::npos) {
    if (pending.size() > max_event_bytes_) {
      return {Reason::oversize, fmt::format("no </event> in {} bytes (max_event_bytes {})",
                                            pending.size(), max_event_bytes_)};
    }
    searched_ = pending.size();
    return std::optional<std::string>();
  }
  const std::size_t end = at + kEndTag.size();
  if (end > max_event_bytes_) {
    return {Reason::oversize,
            fmt::format("event of {} bytes (max_event_bytes {})", end, max_event_bytes_)};
  }
  std::string event(pending.substr(0, end));
  consume(end);
  return std::optional<std::string>(std::move(event));
}

Expected<std::optional<std::string>> StreamDecoder::next_protobuf() {
  const std::string_view pending(buffer_.data() + begin_, buffer_.size() - begin_);
  if (pending.empty()) return std::optional<std::string>();
  if (static_cast<std::uint8_t>(pending[0]) != kTakMagic) {
    return {Reason::bad_framing, fmt::format("byte 0x{:02x} where a frame starts (0xbf)",
                                             static_cast<std::uint8_t>(pending[0]))};
  }
  std::uint64_t length = 0;
  std::size_t at = 1;
  for (int shift = 0;; shift += 7) {
    if (at >= pending.size()) return std::optional<std::string>();  // varint incomplete
    if (shift > 63) return {Reason::bad_framing, "varint longer than 10 bytes"};
    const auto byte = static_cast<std::uint8_t>(pending[at++]);
    length |= std::uint64_t{byte & 0x7fu} << shift;
    if ((byte & 0x80) == 0) break;
  }
  if (length > max_event_bytes_) {
    return {Reason::oversize,
            fmt::format("frame of {} bytes (max_event_bytes {})", length, max_event_bytes_)};
  }
  if (pending.size() - at < length) return std::optional<std::string>();
  std::string payload(pending.substr(at, length));
  consume(at + length);
  return std::optional<std::string>(std::move(payload));
}

}  // namespace enlace::tak
