// enlace-web's counters, served as JSON on GET /status (docs/gateways/web.md, "Status").
//
// Threads: written and read on the Asio thread, except backlog_dropped, which the SDK's
// I/O thread increments when the Asio thread is too far behind.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace enlace::web {

struct Counters {
  // bus side
  std::uint64_t deliveries = 0;        // deliveries mapped into the picture
  std::uint64_t snapshot_items = 0;    // of which from the broker's COP snapshot
  std::uint64_t unmapped = 0;          // payloads the page does not show (Sealed, Opaque)
  std::uint64_t stale_on_arrival = 0;  // already past their stale time
  std::uint64_t picture_full = 0;      // new items refused at picture_max_items
  std::uint64_t expired = 0;           // items removed at their stale time
  std::atomic<std::uint64_t> backlog_dropped{0};
  // browser side
  std::uint64_t browsers_accepted = 0;
  std::uint64_t browsers_refused = 0;          // beyond max_browsers
  std::uint64_t browsers_dropped_slow = 0;     // queue beyond browser_queue_bytes
  std::uint64_t browser_messages_ignored = 0;  // text or binary frames from a page
  std::uint64_t updates_sent = 0;
  std::uint64_t updates_conflated = 0;
  std::uint64_t frames_sent = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t http_requests = 0;
  std::uint64_t http_not_found = 0;
};

/// What /status shows besides the counters.
struct StatusView {
  std::string_view broker_state;
  std::string_view nation;
  std::string_view system;
  std::string_view role;
  std::size_t browsers = 0;
  std::size_t picture_items = 0;
  std::size_t picture_bytes = 0;
};

std::string status_json(const Counters& counters, const StatusView& view);

}  // namespace enlace::web
