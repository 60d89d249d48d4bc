// The SBS gateway's pipeline: one BaseStation line in, zero or more reports out.
//
//   line -> SBS message (MSG 1-8) -> aircraft table -> Track (when a position is known)
//                                                   -> Alert (squawk 7500/7600/7700)
//
// Every rejected line is counted by reason on its source and never stops anything.
// The receiver's clock: SBS times are the receiving host's local wall clock, so with
// clock = receiver the configured time zone (a fixed UTC offset or a named zone,
// receiver_clock.hpp) turns them into UTC; with clock = gateway (the default) the
// gateway's own UTC receive time dates each message.
// No I/O of its own (rejects are logged at a bounded rate); time comes from the caller.
// Not thread-safe: the gateway calls it from its I/O thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/counters.hpp"
#include "common/log.hpp"
#include "common/sink.hpp"
#include "sbs/aircraft.hpp"
#include "sbs/receiver_clock.hpp"

namespace enlace::gateway::sbs {

using namespace std::chrono_literals;

struct SbsSettings {
  std::string nation;                      // the gateway's nation, as the broker authenticated it
  std::chrono::nanoseconds interval = 1s;  // an aircraft's tracks at most this often
  std::chrono::nanoseconds stale = 60s;    // a Track's time to live
  std::chrono::nanoseconds alert_stale = 600s;
  bool receiver_clock = false;  // date messages by the receiver's clock
  ReceiverClock receiver_zone;  // the receiver's local time; default UTC
  std::size_t max_aircraft = 10'000;
  std::chrono::nanoseconds forget_after = 300s;
  bool log_rejects = true;
};

struct SbsSource {
  std::string name;
  std::string receiver;  // topic token (default: the name)
};

struct Now {
  std::int64_t utc_ns = 0;
  std::int64_t steady_ns = 0;
};

class SbsPipeline {
 public:
  SbsPipeline(SbsSettings settings, std::vector<SbsSource> sources, ReportSink& sink);

  void on_line(std::size_t source, std::string_view line, Now now);
  void on_too_long(std::size_t source);

  const std::vector<SourceCounters>& counters() const noexcept { return counters_; }

  /// The UTC time an SBS message was generated, by the receiver's clock in its time
  /// zone, or nullopt when the line carries no date and time.
  static std::optional<std::int64_t> receiver_time(const SbsMessage& message,
                                                   const ReceiverClock& zone);

 private:
  void reject(std::size_t source, Reject reason, std::string_view line);

  SbsSettings settings_;
  std::vector<SbsSource> sources_;
  ReportSink& sink_;
  AircraftTable aircraft_;
  std::vector<SourceCounters> counters_;
  log::RateLimited reject_log_{std::chrono::seconds(1)};
  std::string topic_;
};

}  // namespace enlace::gateway::sbs
