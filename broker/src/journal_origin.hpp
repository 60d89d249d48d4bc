// The origin a journaled record carries in its header: the authenticated nation and system
// of the publisher, as Broker::journal_message (durable.cpp) writes them:
//
//   header = nation-length nation system-length system      (lengths: one byte each)
//
// Replay (replay.cpp) and the COP cache rebuilt at start read it back to decide, under the
// policy in force then, whether the publisher is still a system of that nation allowed the
// topic, and whom the message reaches. A journal's checksums catch what a disk damaged, not
// bytes an older or hostile writer put there, so the reader trusts no length: it is a
// decoder of stored bytes and has a fuzz target (tests/fuzz/fuzz_replay_origin.cpp).
//
// Header-only, with no dependency beyond the standard library, so that the fuzz target
// compiles it without the broker's sockets and threads.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace enlace::broker {

/// Reads the origin from a record's `header`: true with `nation` and `system` viewing the
/// header's bytes when the header is exactly the two length-prefixed parts; false for
/// anything else (a length past the end, bytes after the system), and the views are then
/// meaningless. Never reads outside `header`.
inline bool read_origin(std::span<const std::uint8_t> header, std::string_view& nation,
                        std::string_view& system) {
  std::string_view* parts[] = {&nation, &system};
  std::size_t at = 0;
  for (std::string_view* part : parts) {
    if (at >= header.size() || header.size() - at - 1 < header[at]) return false;
    *part = {reinterpret_cast<const char*>(header.data()) + at + 1, header[at]};
    at += 1 + header[at];
  }
  return at == header.size();
}

}  // namespace enlace::broker
