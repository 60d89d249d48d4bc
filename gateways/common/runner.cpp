#include "common/runner.hpp"

#include <fmt/format.h>

#include <asio.hpp>
#include <cstdio>
#include <cstdlib>

#include "common/log.hpp"
#include "common/publisher.hpp"
#include "common/sources.hpp"
#include "enlace/enlace.h"

namespace enlace::gateway {
namespace {

// Written whole under a temporary name, then renamed: a reader never sees it half written.
bool write_ready_file(const std::string& path) {
  const std::string temporary = path + ".tmp";
  std::FILE* file = std::fopen(temporary.c_str(), "w");
  if (file == nullptr) return false;
  const bool written = std::fputs("ready\n", file) >= 0;
  return std::fclose(file) == 0 && written && std::rename(temporary.c_str(), path.c_str()) == 0;
}

}  // namespace

CommandLine parse_command_line(int argc, char** argv, std::string_view program) {
  CommandLine line;
  auto usage = [&](std::FILE* out) {
    std::fprintf(out,
                 "usage: %.*s --config FILE [--check-config] [--exit-at-end] [--ready-file FILE]\n"
                 "  --config FILE      the gateway's TOML configuration\n"
                 "  --check-config     check the configuration, print what it sets up, exit\n"
                 "  --exit-at-end      exit once every file source has been replayed\n"
                 "  --ready-file FILE  written once the bus session is open and every source\n"
                 "                     listens (for scripts and tests to wait on)\n"
                 "  --version          print the version and exit\n",
                 static_cast<int>(program.size()), program.data());
  };
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--config" && i + 1 < argc) {
      line.config = argv[++i];
    } else if (arg == "--check-config") {
      line.check_config = true;
    } else if (arg == "--exit-at-end") {
      line.exit_at_end = true;
    } else if (arg == "--ready-file" && i + 1 < argc) {
      line.ready_file = argv[++i];
    } else if (arg == "-h" || arg == "--help") {
      usage(stdout);
      std::exit(0);
    } else if (arg == "--version") {
      std::printf("%.*s %s\n", static_cast<int>(program.size()), program.data(),
                  ENLACE_VERSION_STRING);
      std::exit(0);
    } else {
      std::fprintf(stderr, "%.*s: unknown argument '%s'\n", static_cast<int>(program.size()),
                   program.data(), log::escaped(arg).c_str());
      usage(stderr);
      std::exit(2);
    }
  }
  if (line.config.empty()) {
    usage(stderr);
    std::exit(2);
  }
  return line;
}

int run_gateway(const RunSettings& settings,
                const std::function<PipelineHooks(const SessionInfo&, ReportSink&)>& make) {
  bool fast_replay = false;
  for (const SourceConfig& s : settings.sources) {
    fast_replay = fast_replay || (s.kind == SourceKind::file && s.fast);
  }
  // A file replayed as fast as possible waits for room in the send queue rather than
  // dropping what it reads; live feeds never wait.
  auto bus =
      connect_bus(settings.bus, std::chrono::seconds(30),
                  fast_replay ? std::chrono::milliseconds(10'000) : std::chrono::milliseconds(0));
  if (!bus) {
    log::error("bus: cannot connect to {}: {}: {}", log::escaped(settings.bus.broker),
               to_string(bus.error().code), log::escaped(bus.error().reason));
    return 1;
  }
  log::info("bus: connected as {} of {} (role {})", log::escaped(bus->session.system),
            log::escaped(bus->session.nation), log::escaped(bus->session.role));
  Publisher publisher(*bus->client);
  PipelineHooks hooks = make(bus->session, publisher);

  asio::io_context io(1);
  const auto started = std::chrono::steady_clock::now();
  std::optional<std::chrono::steady_clock::time_point> files_done;
  SourceCallbacks callbacks;
  callbacks.on_line = hooks.on_line;
  callbacks.on_too_long = hooks.on_too_long;
  callbacks.timestamp_of = hooks.timestamp_of;
  callbacks.on_files_done = [&] {
    files_done = std::chrono::steady_clock::now();
    if (settings.exit_at_end) io.stop();
  };
  std::optional<Sources> sources;
  try {
    sources.emplace(io, settings.sources, std::move(callbacks));
  } catch (const std::exception& e) {
    log::error("sources: {}", e.what());
    return 1;
  }
  if (!settings.ready_file.empty() && !write_ready_file(settings.ready_file)) {
    log::error("cannot write the ready file {}", log::escaped(settings.ready_file));
    return 1;
  }

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const asio::error_code& error, int) {
    if (!error) io.stop();
  });
  asio::steady_timer stats(io);
  std::function<void()> schedule_stats = [&] {
    stats.expires_after(settings.stats_interval);
    stats.async_wait([&](const asio::error_code& error) {
      if (error) return;
      for (const SourceCounters& c : hooks.counters()) log::info("stats: {}", c.to_json());
      schedule_stats();
    });
  };
  schedule_stats();
  io.run();
  sources.reset();

  // What was handed to the SDK reaches the broker before the figures are taken.
  const auto flushed = bus->client->flush(std::chrono::seconds(30));
  if (!flushed) {
    log::warn("bus: flush at exit: {}", to_string(flushed.error().code));
  }
  const auto finished = std::chrono::steady_clock::now();
  std::uint64_t lines = 0, published = 0;
  for (const SourceCounters& c : hooks.counters()) {
    std::printf("%s\n", c.to_json().c_str());
    lines += c.lines;
    published += c.published;
  }
  if (files_done) {
    const double seconds = std::chrono::duration<double>(finished - started).count();
    std::printf("replay: %llu lines in %.3f s: %.0f lines/s, %llu reports published\n",
                static_cast<unsigned long long>(lines), seconds, lines / seconds,
                static_cast<unsigned long long>(published));
  }
  std::fflush(stdout);
  bus->client->close();
  return 0;
}

}  // namespace enlace::gateway
