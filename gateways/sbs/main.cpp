// enlace-sbs-gateway: ADS-B aircraft from dump1090/readsb's BaseStation port onto the bus.
// See docs/gateways/sbs.md.
//
// Threads: the main thread runs the Asio loop (every source and the pipeline); the
// enlace::Client has its own I/O thread.
#include <cstdio>

#include "common/runner.hpp"
#include "sbs/config.hpp"

namespace {

using namespace enlace::gateway;

}  // namespace

int main(int argc, char** argv) {
  const CommandLine command = parse_command_line(argc, argv, "enlace-sbs-gateway");
  sbs::SbsConfig config;
  try {
    config = sbs::load_sbs_config(command.config);
  } catch (const ConfigError& e) {
    std::fprintf(stderr, "enlace-sbs-gateway: %s\n", e.what());
    return 2;
  }
  if (command.check_config) {
    std::printf("%s: ok\nbroker %s as %s\n", command.config.c_str(), config.bus.broker.c_str(),
                config.bus.keys.c_str());
    for (const SourceConfig& s : config.sources) {
      std::printf("source %s: %s\n", s.name.c_str(), std::string(to_string(s.kind)).c_str());
    }
    return 0;
  }
  RunSettings run;
  run.bus = config.bus;
  run.sources = config.sources;
  run.stats_interval = config.stats_interval;
  run.exit_at_end = command.exit_at_end;
  run.ready_file = command.ready_file;
  const sbs::ReceiverClock zone = config.settings.receiver_zone;
  std::optional<sbs::SbsPipeline> pipeline;
  return run_gateway(run, [&](const enlace::SessionInfo& session, ReportSink& sink) {
    sbs::SbsSettings settings = config.settings;
    settings.nation = session.nation;
    pipeline.emplace(std::move(settings), config.source_infos, sink);
    PipelineHooks hooks;
    hooks.on_line = [&](std::size_t source, std::string_view, std::string_view line) {
      const auto now = std::chrono::system_clock::now().time_since_epoch();
      const auto steady = std::chrono::steady_clock::now().time_since_epoch();
      pipeline->on_line(source, line,
                        {std::chrono::duration_cast<std::chrono::nanoseconds>(now).count(),
                         std::chrono::duration_cast<std::chrono::nanoseconds>(steady).count()});
    };
    hooks.on_too_long = [&](std::size_t source) { pipeline->on_too_long(source); };
    // A capture replays with the receiver's own timestamps.
    hooks.timestamp_of = [zone](std::string_view line) -> std::optional<std::int64_t> {
      const auto decoded = sbs::decode_sbs(line);
      if (!decoded || !*decoded) return std::nullopt;
      return sbs::SbsPipeline::receiver_time(**decoded, zone);
    };
    hooks.counters = [&]() -> const std::vector<SourceCounters>& { return pipeline->counters(); };
    return hooks;
  });
}
