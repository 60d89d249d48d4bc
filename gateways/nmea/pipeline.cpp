#include "nmea/pipeline.hpp"

#include <fmt/format.h>

#include "enlace/topic.hpp"
#include "nmea/decode/ais_messages.hpp"
#include "nmea/decode/gpsd_json.hpp"
#include "nmea/decode/nmea_position.hpp"
#include "nmea/decode/tag_block.hpp"
#include "nmea/mapping.hpp"

namespace enlace::gateway::nmea {

NmeaPipeline::NmeaPipeline(NmeaSettings settings, std::vector<SourceInfo> sources, ReportSink& sink)
    : settings_(std::move(settings)),
      sources_(std::move(sources)),
      sink_(sink),
      units_(settings_.radios),
      vessels_(settings_.max_vessels, settings_.stale.class_a_at_anchor.count()) {
  for (const SourceInfo& s : sources_) {
    reassemblers_.emplace_back(settings_.reassembly);
    SourceCounters& c = counters_.emplace_back();
    c.source = s.name;
  }
}

void NmeaPipeline::reject(std::size_t source, Reject reason, std::string_view line) {
  counters_[source].count_reject(reason);
  if (!settings_.log_rejects) return;
  std::uint64_t held = 0;
  if (!reject_log_.allow(held)) return;
  log::warn("source {}: {}: '{}' ({} more rejects not logged)", log::escaped(sources_[source].name),
            to_string(reason), log::escaped(line), held);
}

void NmeaPipeline::on_too_long(std::size_t source) {
  ++counters_[source].lines;
  reject(source, Reject::too_long, {});
}

void NmeaPipeline::on_line(std::size_t source, std::string_view peer, std::string_view line,
                           Now now) {
  ++counters_[source].lines;
  if (sources_[source].format == SourceFormat::gpsd) {
    on_gpsd(source, peer, line, now);
  } else {
    on_nmea(source, peer, line, now);
  }
}

void NmeaPipeline::on_nmea(std::size_t source, std::string_view peer, std::string_view line,
                           Now now) {
  const auto tagged = split_tag_block(line);
  if (!tagged) return reject(source, tagged.reject(), line);
  const auto sentence = parse_sentence(tagged->sentence);
  if (!sentence) return reject(source, sentence.reject(), line);
  SourceCounters& counters = counters_[source];
  counters.count_type(sentence->type);
  // A tag block's time is when the receiving station heard the sentence: it dates the
  // report better than the moment the line reached the gateway (a relayed or replayed feed).
  if (tagged->tags && tagged->tags->time_ns) now.utc_ns = *tagged->tags->time_ns;

  if (sentence->start == '!') {
    auto fragment = parse_ais_fragment(*sentence);
    if (!fragment) return reject(source, fragment.reject(), line);
    fragment->address = tagged->sentence.substr(1, 5);
    return on_ais(source, *fragment, now);
  }
  const auto decoded = decode_radio(*sentence);
  if (!decoded) return reject(source, decoded.reject(), line);
  const std::string_view station = tagged->tags ? tagged->tags->source : std::string_view{};
  UnitState* unit = units_.find(sources_[source].name, peer, station);
  if (!unit) return reject(source, Reject::unknown_radio, line);
  if (RadioUnits::merge(*unit, *decoded, now.utc_ns, now.steady_ns)) {
    report_unit(counters, *unit, now);
  }
}

void NmeaPipeline::on_gpsd(std::size_t source, std::string_view peer, std::string_view line,
                           Now now) {
  const auto decoded = decode_gpsd(line);
  if (!decoded) return reject(source, decoded.reject(), line);
  if (!*decoded) return;  // VERSION, DEVICES, WATCH, SKY, ...
  const GpsdFix& fix = **decoded;
  SourceCounters& counters = counters_[source];
  counters.count_type("TPV");
  UnitState* unit = units_.find(sources_[source].name, peer, fix.device);
  if (!unit) return reject(source, Reject::unknown_radio, line);
  RadioUnits::merge(*unit, fix, now.utc_ns, now.steady_ns);
  report_unit(counters, *unit, now);
}

void NmeaPipeline::report_unit(SourceCounters& counters, UnitState& unit, Now now) {
  if (unit.last_published_ns &&
      now.steady_ns - *unit.last_published_ns < settings_.radio_interval.count()) {
    return;
  }
  topic_ = fmt::format("position.{}.unit.{}", settings_.nation, unit.spec->unit);
  const bool taken =
      sink_.publish(topic_, settings_.stale.radio,
                    PayloadWriter<wire::PositionReport>([&](flatbuffers::FlatBufferBuilder& fbb) {
                      return build_position_report(fbb, unit);
                    }));
  if (!taken) return counters.count_reject(Reject::publish_failed);
  unit.last_published_ns = now.steady_ns;
  ++counters.published;
}

void NmeaPipeline::on_ais(std::size_t source, const AisFragment& fragment, Now now) {
  AisReassembler& reassembler = reassemblers_[source];
  auto assembled = reassembler.feed(fragment, now.steady_ns);
  SourceCounters& counters = counters_[source];
  for (std::uint64_t n = reassembler.take_dropped(); n > 0; --n) {
    counters.count_reject(Reject::incomplete_multipart);
  }
  if (!assembled) return reject(source, assembled.reject(), fragment.payload);
  if (!*assembled) return;  // waiting for more fragments
  const AisBits& bits = **assembled;
  counters.count_type(fmt::format("AIS{}", ais_type(bits)));
  const auto message = decode_ais(bits);
  if (!message) return reject(source, message.reject(), fragment.payload);
  VesselState* vessel = vessels_.merge(*message, now.utc_ns, now.steady_ns);
  if (!vessel) return reject(source, Reject::table_full, fragment.payload);
  if (vessel->has_position()) report_vessel(source, *vessel, now);
}

std::chrono::nanoseconds NmeaPipeline::vessel_stale(const VesselState& v) const {
  switch (v.contact) {
    case ContactClass::class_a:
      // 1 at anchor, 5 moored, 6 aground: the slow reporting rate applies.
      if (v.nav_status == 1 || v.nav_status == 5 || v.nav_status == 6) {
        return settings_.stale.class_a_at_anchor;
      }
      return settings_.stale.class_a_under_way;
    case ContactClass::class_b:
      return settings_.stale.class_b;
    case ContactClass::base_station:
    case ContactClass::aid_to_navigation:
      return settings_.stale.fixed;
  }
  return settings_.stale.class_a_under_way;
}

void NmeaPipeline::report_vessel(std::size_t source, VesselState& vessel, Now now) {
  SourceCounters& counters = counters_[source];
  if (vessel.last_published_ns &&
      now.steady_ns - *vessel.last_published_ns < settings_.ais_interval.count()) {
    return;
  }
  const auto watched = settings_.watch.find(vessel.mmsi);
  const wire::StandardIdentity identity =
      watched == settings_.watch.end() ? wire::StandardIdentity::Unknown : watched->second;
  topic_ = fmt::format("track.{}.ais.{}.{:09}", settings_.nation, sources_[source].receiver,
                       vessel.mmsi);
  const bool taken =
      sink_.publish(topic_, vessel_stale(vessel),
                    PayloadWriter<wire::Track>([&](flatbuffers::FlatBufferBuilder& fbb) {
                      return build_vessel_track(fbb, vessel, sources_[source].receiver, identity);
                    }));
  if (!taken) return counters.count_reject(Reject::publish_failed);
  vessel.last_published_ns = now.steady_ns;
  ++counters.published;
}

}  // namespace enlace::gateway::nmea
