// Cuts a TAK client's byte stream into events: CoT XML (protocol version 0), split right
// after each `</event>`, or, once TAK Protocol version 1 has been negotiated, frames of
// 0xbf, a varint length and a TakMessage.
//
// Bounded: it never holds more than max_event_bytes of an unfinished event plus one read.
// An event that grows past the bound, a byte other than 0xbf where a frame starts, or a
// varint longer than 10 bytes is fatal (the stream cannot be re-synchronised): next()
// returns the refusal and the connection should be closed.
//
// Not thread-safe: one decoder per connection, used by that connection's strand.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "refusal.hpp"

namespace enlace::tak {

enum class StreamMode { xml, protobuf };

class StreamDecoder {
 public:
  explicit StreamDecoder(std::size_t max_event_bytes) : max_event_bytes_(max_event_bytes) {}

  /// Appends received bytes.
  void feed(std::string_view bytes);

  /// The next complete event: an XML text (declaration and <event>...</event>) in xml
  /// mode, the TakMessage bytes in protobuf mode. nullopt when more bytes are needed.
  /// Refusals (fatal): oversize, bad_framing.
  Expected<std::optional<std::string>> next();

  /// Switches the framing for the bytes after the last event next() returned (the client
  /// sent its protocol request as the last XML event; what follows is binary).
  void set_mode(StreamMode mode) noexcept { mode_ = mode; }
  StreamMode mode() const noexcept { return mode_; }

  /// Bytes received but not yet returned as an event.
  std::size_t buffered() const noexcept { return buffer_.size() - begin_; }

 private:
  Expected<std::optional<std::string>> next_xml();
  Expected<std::optional<std::string>> next_protobuf();
  void consume(std::size_t bytes);

  std::size_t max_event_bytes_;
  StreamMode mode_ = StreamMode::xml;
  std::string buffer_;
  std::size_t begin_ = 0;     // start of the unreturned bytes in buffer_
  std::size_t searched_ = 0;  // bytes after begin_ already searched for `</event>`
};

}  // namespace enlace::tak
