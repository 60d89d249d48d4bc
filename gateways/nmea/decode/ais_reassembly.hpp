// AIS fragments (!AIVDM / !AIVDO sentences) and their reassembly into messages.
//
// A message of several fragments is assembled under the key (talker and VDM/VDO, sequence
// id, channel, fragment count). Fragments must arrive in order 1..count: a missing or
// out-of-order fragment, a new fragment 1 for the same key, a partial message older than
// the timeout, or one evicted because the table is full, is dropped whole and never
// produces a message. The table is bounded in entries and each entry in bytes.
//
// No I/O; time comes from the caller (steady clock nanoseconds), so tests control it.
// Not thread-safe: one per gateway, used by its I/O thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/decoded.hpp"
#include "nmea/decode/ais_bits.hpp"
#include "nmea/decode/nmea_sentence.hpp"

namespace enlace::gateway::nmea {

struct AisFragment {
  std::string_view address;                 // "AIVDM", "ABVDM", "AIVDO", ...: talker and type
  bool own_ship = false;                    // VDO
  std::uint8_t count = 1;                   // 1..9
  std::uint8_t number = 1;                  // 1..count
  std::optional<std::uint8_t> sequence_id;  // 0..9; absent for single-fragment messages
  char channel = 0;                         // 'A', 'B', '1', '2', or 0 when empty
  std::string_view payload;
  std::uint8_t fill = 0;  // pad bits, meaningful on the last fragment
};

/// Reads the fields of a VDM/VDO sentence. Rejects unknown_sentence for other types and
/// bad_field for a count, number, sequence id or fill out of range.
Decoded<AisFragment> parse_ais_fragment(const Sentence& sentence) noexcept;

class AisReassembler {
 public:
  struct Limits {
    std::size_t max_entries = 256;            // partial messages held at once
    std::int64_t timeout_ns = 5'000'000'000;  // a partial message lives this long
  };

  explicit AisReassembler(Limits limits);

  /// Feeds one fragment received at `now_ns`. Returns the message's bits when the fragment
  /// completes it (at once for a single fragment), nullopt while it is incomplete, or
  /// Reject incomplete_multipart when the fragment cannot belong to any message (out of
  /// order, a number beyond the count, no fragment 1 seen). Messages dropped for another
  /// reason (superseded, timed out, evicted) are counted in take_dropped(). bad_field when
  /// the armour is not valid.
  Decoded<std::optional<AisBits>> feed(const AisFragment& fragment, std::int64_t now_ns);

  /// Partial messages dropped since the last call (superseded, timed out or evicted).
  std::uint64_t take_dropped() noexcept;

  /// Partial messages held now.
  std::size_t pending() const noexcept;

 private:
  struct Entry {
    bool used = false;
    std::string key;  // address, sequence id, channel, count
    std::uint8_t count = 0;
    std::uint8_t next = 0;  // the fragment number expected next
    std::int64_t started_ns = 0;
    std::string payload;  // at most kMaxAisPayloadChars
  };

  void expire(std::int64_t now_ns);
  Entry* find(std::string_view key);
  Entry& allocate();

  Limits limits_;
  std::vector<Entry> entries_;
  std::string key_;  // scratch, reused
  std::uint64_t dropped_ = 0;
};

}  // namespace enlace::gateway::nmea
