// enlace-nmea-gateway: NMEA 0183 radio positions, gpsd fixes and AIS onto the bus.
// See docs/gateways/nmea.md.
//
// Threads: the main thread runs the Asio loop (every source and the pipeline); the
// enlace::Client has its own I/O thread.
#include <cstdio>

#include "common/log.hpp"
#include "common/runner.hpp"
#include "nmea/config.hpp"
#include "nmea/decode/nmea_position.hpp"
#include "nmea/decode/tag_block.hpp"

namespace {

using namespace enlace::gateway;

// The timing of a capture replayed as recorded: the tag block's UNIX time, else the time
// of day of a fix (a capture within one day).
std::optional<std::int64_t> nmea_timestamp(std::string_view line) {
  const auto tagged = nmea::split_tag_block(line);
  if (!tagged) return std::nullopt;
  if (tagged->tags && tagged->tags->time_ns) return tagged->tags->time_ns;
  const auto sentence = nmea::parse_sentence(tagged->sentence);
  if (!sentence) return std::nullopt;
  const auto decoded = nmea::decode_radio(*sentence);
  if (!decoded) return std::nullopt;
  if (const auto* fix = std::get_if<nmea::Fix>(&*decoded)) return fix->time_of_day_ns;
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  const CommandLine command = parse_command_line(argc, argv, "enlace-nmea-gateway");
  nmea::NmeaConfig config;
  try {
    config = nmea::load_nmea_config(command.config);
  } catch (const ConfigError& e) {
    std::fprintf(stderr, "enlace-nmea-gateway: %s\n", e.what());
    return 2;
  }
  if (command.check_config) {
    std::printf("%s: ok\n%s", command.config.c_str(), nmea::describe(config).c_str());
    return 0;
  }
  RunSettings run;
  run.bus = config.bus;
  run.sources = config.sources;
  run.stats_interval = config.stats_interval;
  run.exit_at_end = command.exit_at_end;
  run.ready_file = command.ready_file;
  std::optional<nmea::NmeaPipeline> pipeline;
  return run_gateway(run, [&](const enlace::SessionInfo& session, ReportSink& sink) {
    nmea::NmeaSettings settings = config.settings;
    settings.nation = session.nation;
    pipeline.emplace(std::move(settings), config.source_infos, sink);
    PipelineHooks hooks;
    hooks.on_line = [&](std::size_t source, std::string_view peer, std::string_view line) {
      const auto now = std::chrono::system_clock::now().time_since_epoch();
      const auto steady = std::chrono::steady_clock::now().time_since_epoch();
      pipeline->on_line(source, peer, line,
                        {std::chrono::duration_cast<std::chrono::nanoseconds>(now).count(),
                         std::chrono::duration_cast<std::chrono::nanoseconds>(steady).count()});
    };
    hooks.on_too_long = [&](std::size_t source) { pipeline->on_too_long(source); };
    hooks.timestamp_of = nmea_timestamp;
    hooks.counters = [&]() -> const std::vector<SourceCounters>& { return pipeline->counters(); };
    return hooks;
  });
}
