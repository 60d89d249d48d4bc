#include "counters.hpp"

#include "json_text.hpp"

namespace enlace::web {

std::string status_json(const Counters& c, const StatusView& v) {
  const auto count = [](std::uint64_t n) { return static_cast<std::int64_t>(n); };
  const std::string bus = ObjectWriter{}
                              .string("state", v.broker_state)
                              .string("nation", v.nation)
                              .string("system", v.system)
                              .string("role", v.role)
                              .integer("deliveries", count(c.deliveries))
                              .integer("snapshot_items", count(c.snapshot_items))
                              .integer("unmapped", count(c.unmapped))
                              .integer("stale_on_arrival", count(c.stale_on_arrival))
                              .integer("picture_full", count(c.picture_full))
                              .integer("backlog_dropped", count(c.backlog_dropped.load()))
                              .finish();
  const std::string picture = ObjectWriter{}
                                  .integer("items", static_cast<std::int64_t>(v.picture_items))
                                  .integer("bytes", static_cast<std::int64_t>(v.picture_bytes))
                                  .integer("expired", count(c.expired))
                                  .finish();
  const std::string browsers = ObjectWriter{}
                                   .integer("connected", static_cast<std::int64_t>(v.browsers))
                                   .integer("accepted", count(c.browsers_accepted))
                                   .integer("refused", count(c.browsers_refused))
                                   .integer("dropped_slow", count(c.browsers_dropped_slow))
                                   .integer("messages_ignored", count(c.browser_messages_ignored))
                                   .integer("updates_sent", count(c.updates_sent))
                                   .integer("updates_conflated", count(c.updates_conflated))
                                   .integer("frames_sent", count(c.frames_sent))
                                   .integer("bytes_sent", count(c.bytes_sent))
                                   .finish();
  const std::string http = ObjectWriter{}
                               .integer("requests", count(c.http_requests))
                               .integer("not_found", count(c.http_not_found))
                               .finish();
  return ObjectWriter{}
             .raw("bus", bus)
             .raw("picture", picture)
             .raw("browsers", browsers)
             .raw("http", http)
             .finish() +
         "\n";
}

}  // namespace enlace::web
