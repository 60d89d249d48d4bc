#include "sbs/pipeline.hpp"

#include <fmt/format.h>

#include "sbs/mapping.hpp"

namespace enlace::gateway::sbs {

SbsPipeline::SbsPipeline(SbsSettings settings, std::vector<SbsSource> sources, ReportSink& sink)
    : settings_(std::move(settings)),
      sources_(std::move(sources)),
      sink_(sink),
      aircraft_(settings_.max_aircraft, settings_.forget_after.count()) {
  for (const SbsSource& s : sources_) counters_.emplace_back().source = s.name;
}

std::optional<std::int64_t> SbsPipeline::receiver_time(const SbsMessage& m,
                                                       const ReceiverClock& zone) {
  if (!m.local_date_days || !m.local_time_ns) return std::nullopt;
  return zone.to_utc_ns(*m.local_date_days, *m.local_time_ns);
}

void SbsPipeline::reject(std::size_t source, Reject reason, std::string_view line) {
  counters_[source].count_reject(reason);
  if (!settings_.log_rejects) return;
  std::uint64_t held = 0;
  if (!reject_log_.allow(held)) return;
  log::warn("source {}: {}: '{}' ({} more rejects not logged)", log::escaped(sources_[source].name),
            to_string(reason), log::escaped(line), held);
}

void SbsPipeline::on_too_long(std::size_t source) {
  ++counters_[source].lines;
  reject(source, Reject::too_long, {});
}

void SbsPipeline::on_line(std::size_t source, std::string_view line, Now now) {
  SourceCounters& counters = counters_[source];
  ++counters.lines;
  const auto decoded = decode_sbs(line);
  if (!decoded) return reject(source, decoded.reject(), line);
  if (!*decoded) return;  // SEL, ID, AIR, STA, CLK
  const SbsMessage& m = **decoded;
  static constexpr std::string_view kTypes[] = {"MSG1", "MSG2", "MSG3", "MSG4",
                                                "MSG5", "MSG6", "MSG7", "MSG8"};
  counters.count_type(kTypes[m.transmission - 1]);
  std::int64_t observed = now.utc_ns;
  if (settings_.receiver_clock) {
    if (const auto t = receiver_time(m, settings_.receiver_zone)) observed = *t;
  }
  AircraftState* a = aircraft_.merge(m, observed, now.steady_ns);
  if (!a) return reject(source, Reject::table_full, line);
  const std::string& receiver = sources_[source].receiver;
  const std::string hex = fmt::format("{:06X}", a->icao);

  if (a->emergency_squawk() && a->alerted_squawk != a->squawk) {
    topic_ = fmt::format("alert.{}.adsb.{}.{}", settings_.nation, receiver, hex);
    const bool taken =
        sink_.publish(topic_, settings_.alert_stale,
                      PayloadWriter<wire::Alert>([&](flatbuffers::FlatBufferBuilder& fbb) {
                        return build_squawk_alert(fbb, *a, now.utc_ns);
                      }));
    if (taken) {
      a->alerted_squawk = a->squawk;
      ++counters.published;
    } else {
      counters.count_reject(Reject::publish_failed);
    }
  } else if (!a->emergency_squawk()) {
    a->alerted_squawk.clear();  // a later emergency raises a new Alert
  }

  if (!a->has_position()) return;
  if (a->last_published_ns && now.steady_ns - *a->last_published_ns < settings_.interval.count()) {
    return;
  }
  topic_ = fmt::format("track.{}.adsb.{}.{}", settings_.nation, receiver, hex);
  const bool taken = sink_.publish(
      topic_, settings_.stale, PayloadWriter<wire::Track>([&](flatbuffers::FlatBufferBuilder& fbb) {
        return build_aircraft_track(fbb, *a, receiver);
      }));
  if (!taken) return counters.count_reject(Reject::publish_failed);
  a->last_published_ns = now.steady_ns;
  ++counters.published;
}

}  // namespace enlace::gateway::sbs
