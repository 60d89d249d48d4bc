// Per-source counters: sentences by type, published reports, rejects by reason.
//
// Threads: a source's counters are written only by the gateway's I/O thread (every source
// runs on it) and read by the same thread when the stats line is written, so they need no
// atomics. The set of sentence types is bounded (kMaxTypes); beyond it, types count as
// "other", so a peer inventing sentence names cannot grow the table.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/reject.hpp"

namespace enlace::gateway {

struct SourceCounters {
  static constexpr std::size_t kMaxTypes = 32;

  std::string source;  // the source's name from the configuration
  std::uint64_t lines = 0;
  std::uint64_t published = 0;
  std::array<std::uint64_t, kRejectCount> rejects{};
  std::vector<std::pair<std::string, std::uint64_t>> by_type;

  /// Counts one decoded sentence or message of `type` (e.g. "GGA", "AIS5", "MSG3").
  void count_type(std::string_view type);
  void count_reject(Reject reason) { ++rejects[static_cast<std::size_t>(reason)]; }
  std::uint64_t rejected(Reject reason) const { return rejects[static_cast<std::size_t>(reason)]; }
  std::uint64_t of_type(std::string_view type) const;

  /// {"source":"...","lines":N,"published":N,"types":{"GGA":N,...},"rejects":{"checksum":N,...}}
  /// Rejects that are zero are left out.
  std::string to_json() const;
};

/// `text` as a JSON string literal (quotes included); control bytes and non-ASCII escaped
/// as \u00XX, so peer-controlled names stay one line.
std::string json_string(std::string_view text);

}  // namespace enlace::gateway
