// What one browser still has to receive, conflated per item and bounded in bytes.
//
// An update replaces the one of the same item still waiting (a weak link gets the newest
// state, never a backlog), and one item goes to a browser at most `per_second` times a
// second: a newer update waits for its turn, replacing any waiting one. Frames are cut
// at `frame_bytes`, and sending stops while `window_bytes` are handed to the socket and
// not yet written, so the rest waits here, conflated, instead of in the socket's buffers.
// queued_bytes() (waiting + in flight) is what the server holds against the browser's
// limit.
//
// Threads: the Asio thread only. Pure otherwise (times are passed in), so unit-testable.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>

#include "picture.hpp"

namespace enlace::web {

struct BrowserQueueStats {
  std::uint64_t conflated = 0;  // updates replaced by a newer one before they were sent
  std::uint64_t items_sent = 0;
  std::uint64_t frames_sent = 0;
};

class BrowserQueue {
 public:
  BrowserQueue(std::int64_t per_second, std::size_t frame_bytes, std::size_t window_bytes);

  /// The newest state of item `id`; a null `json` removes it from the page.
  void put(const std::string& id, Json json);

  /// The next frame to send at `now_ms`:
  ///   {"type":"update","items":[...],"removed":["id",...]}
  /// or empty when nothing may go now (nothing waits, every waiting item had its turn
  /// too recently, or the window is full). The caller passes the frame to the socket and
  /// calls written() with its size once the socket has taken it.
  std::string take(std::int64_t now_ms);
  void written(std::size_t bytes) noexcept {
    in_flight_ -= bytes < in_flight_ ? bytes : in_flight_;
  }
  /// A frame the caller sent itself (a state change), to be written() like the others.
  void account(std::size_t bytes) noexcept { in_flight_ += bytes; }

  /// Earliest time at which a waiting item may go; 0 when nothing waits.
  std::int64_t next_due_ms() const;
  std::size_t queued_bytes() const noexcept { return waiting_bytes_ + in_flight_; }
  std::size_t waiting() const noexcept { return waiting_.size(); }
  const BrowserQueueStats& stats() const noexcept { return stats_; }

 private:
  struct Waiting {
    Json json;  // null: a removal
  };
  std::int64_t interval_ms_;
  std::size_t frame_bytes_;
  std::size_t window_bytes_;
  std::size_t in_flight_ = 0;
  std::size_t waiting_bytes_ = 0;
  std::unordered_map<std::string, Waiting> waiting_;
  std::deque<std::string> order_;  // ids in waiting_, oldest first; each at most once
  std::unordered_map<std::string, std::int64_t> last_sent_ms_;
  BrowserQueueStats stats_;
};

}  // namespace enlace::web
