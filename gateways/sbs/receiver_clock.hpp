// The receiver's clock: SBS lines carry the receiving host's local date and time of day
// (dump1090 and readsb format them with localtime_r), so dating a message by the receiver
// means turning local wall-clock time into UTC. Either by a fixed offset ("-05:00"), or by
// a named zone of the system's time zone database ("America/Bogota"), which follows the
// zone's daylight-saving rules and their history.
//
// libstdc++ 12 has no std::chrono::tzdb, so a named zone is resolved by the C library from
// the system's tzdata (TZDIR, else /usr/share/zoneinfo): ReceiverClock::zone() sets the
// process's TZ to it. A gateway process has one receiver zone, chosen while it reads its
// configuration, before any thread starts; nothing else in the gateway uses local time.
//
// A local time that occurs twice (when the clocks go back) is read as the C library's
// mktime() reads it; one that does not occur (when they go forward) is moved by the gap.
// Not thread-safe (a one-minute cache): each user keeps its own copy.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace enlace::gateway::sbs {

class ReceiverClock {
 public:
  /// UTC.
  ReceiverClock() = default;
  /// Local time is UTC + `utc_offset`, all year round.
  explicit ReceiverClock(std::chrono::nanoseconds utc_offset) : offset_(utc_offset) {}
  /// The named zone of the system's time zone database; nullopt when there is none of that
  /// name (an empty name, an absolute path, "..", or no TZif file). Sets TZ (see above).
  static std::optional<ReceiverClock> zone(std::string_view name);

  /// The UTC time, in nanoseconds since the epoch, of a local date (days since
  /// 1970-01-01) and time of day.
  std::int64_t to_utc_ns(std::int64_t local_days, std::int64_t local_time_ns) const;

  /// "UTC-05:00" or "America/Bogota".
  std::string describe() const;

 private:
  std::chrono::nanoseconds offset_{0};
  std::string zone_;  // empty: the fixed offset
  // The zone's offset (local minus UTC, seconds) for the local minute cached_minute_.
  mutable std::optional<std::int64_t> cached_minute_;
  mutable std::int64_t cached_offset_s_ = 0;
};

/// The directory of the system's time zone database: TZDIR, else /usr/share/zoneinfo.
std::string tz_database_dir();

}  // namespace enlace::gateway::sbs
