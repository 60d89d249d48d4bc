// What both gateway programs do around their pipeline: read the command line, connect to
// the bus, start the sources on one Asio thread, write the counters at an interval, and
// stop on SIGINT/SIGTERM (or when the replayed files end, with --exit-at-end).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/config.hpp"
#include "common/counters.hpp"
#include "common/sink.hpp"
#include "enlace/enlace.hpp"

namespace enlace::gateway {

struct CommandLine {
  std::string config;
  bool check_config = false;  // validate the configuration and exit
  bool exit_at_end = false;   // stop once every file source has been replayed
  std::string ready_file;     // written once the session is open and the sources listen
};

/// Parses `argv`; prints the usage and exits for --help, and exits with status 2 on an
/// unknown argument.
CommandLine parse_command_line(int argc, char** argv, std::string_view program);

/// The pipeline as the runner drives it, made once the broker has said who we are.
struct PipelineHooks {
  std::function<void(std::size_t source, std::string_view peer, std::string_view line)> on_line;
  std::function<void(std::size_t source)> on_too_long;
  std::function<std::optional<std::int64_t>(std::string_view line)> timestamp_of;
  std::function<const std::vector<SourceCounters>&()> counters;
};

struct RunSettings {
  BusConfig bus;
  std::vector<SourceConfig> sources;
  std::chrono::nanoseconds stats_interval = std::chrono::seconds(60);
  bool exit_at_end = false;
  std::string ready_file;  // CommandLine::ready_file
};

/// Runs until stopped; returns the process exit status. `make` builds the pipeline for
/// the session's nation, publishing through the sink it is given. The counters are
/// logged every stats_interval and written to stdout, one JSON object per source, at the
/// end; a file replay also prints "replay: N lines in S s: R lines/s, P reports".
int run_gateway(const RunSettings& settings,
                const std::function<PipelineHooks(const SessionInfo&, ReportSink&)>& make);

}  // namespace enlace::gateway
