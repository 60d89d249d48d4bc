// enlace-demo: the Enlace demo coalition, end to end on one machine.
//
// Order of events: state directory (keys, policy) -> enlace-broker child process ->
// command posts connect and subscribe, all but Brazil's when it joins late -> the revoked
// key is tried once ->
// enlace-nmea-gateway child processes (radio gateways, AIS receiver) start, each waited
// for through its ready file -> sensors connect -> everyone's schedule starts, the
// simulated radios and vessels transmitting to the gateways -> the view refreshes twice a
// second until --duration, Ctrl-C or SIGTERM, Brazil's post joining on the way (its
// subscriptions' snapshots fill its picture at once) -> simulation threads stop, the gateways
// stop (flushing what they publish), clients close, the broker stops -> final view,
// summary, and the policy self-check decides the exit status.
//
// Signals: SIGINT and SIGTERM are blocked in every thread (threads inherit the mask, the
// SDK's included) and taken synchronously by the main loop with sigtimedwait, so no
// handler ever runs in the middle of something.
#include <signal.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <stdexcept>
#include <vector>

#include "ais_vessels.hpp"
#include "broker_process.hpp"
#include "command_post.hpp"
#include "feed_gateways.hpp"
#include "options.hpp"
#include "patrol_radios.hpp"
#include "promises.hpp"
#include "sensors.hpp"
#include "state_dir.hpp"
#include "tak_sites.hpp"
#include "terminal.hpp"

namespace demo {
namespace {

using namespace std::chrono_literals;

constexpr auto kConnectTimeout = 10s;
constexpr auto kRefresh = 500ms;

void say(const std::string& text) {
  fmt::print("enlace-demo: {}\n", text);
  std::fflush(stdout);
}

// Ends every simulation thread when it goes out of scope, however the scope is left, so
// the systems' destructors never wait on a thread that was not told to stop.
struct StopOnExit {
  StopFlag& flag;
  ~StopOnExit() { flag.request(); }
};

// The revoked radar tries to connect once. true: refused at the handshake, as the policy
// says; false: it got a session; nullopt: no answer either way.
std::optional<bool> try_revoked_key(const BusAccess& bus, const StateDir& state) {
  enlace::ClientOptions options;
  options.endpoint = bus.endpoint;
  options.broker_public_key = bus.broker_public_key;
  options.keys = state.keys_of(id::col_radar_revoked);
  options.client_name = fmt::format("enlace-demo/{}", id::col_radar_revoked);
  enlace::Client client(std::move(options));
  const auto session = client.wait_connected(5s);
  if (session) return false;
  if (session.code() == enlace::Errc::authentication_failed) return true;
  return std::nullopt;
}

bool ansi_terminal(bool plain) {
  if (plain || ::isatty(STDOUT_FILENO) == 0) return false;
  const char* term = std::getenv("TERM");
  return term != nullptr && *term != '\0' && std::string_view(term) != "dumb";
}

int run(const Options& options, const sigset_t& stop_signals) {
  const bool ansi = ansi_terminal(options.plain);

  StateDir state = open_state_dir(options.state_dir, options.reset);
  say(state.created ? fmt::format("created {}/: CURVE keys for the broker and {} systems, and "
                                  "policy.toml",
                                  state.dir.string(), systems().size())
                    : fmt::format("reusing the keys and policy.toml in {}/", state.dir.string()));
  if (state.cop_added) {
    say(
        fmt::format("{} had no [cop] section (an older enlace-demo wrote it): added the demo's "
                    "COP cache at its end, the rest unchanged",
                    state.policy_file.string()));
  }
  // Brazil's post joins late: until then it has no client, so no session at all.
  const double late_s = late_joiner_seconds(options);
  const SystemSpec& late_spec = command_post_of("BRA");
  const double script_s = script_seconds(late_s);

  const auto program = find_broker(options.broker);
  const auto nmea_gateway = find_nmea_gateway(options.nmea_gateway);
  BrokerProcess broker(program, state);
  say(fmt::format("started {} (pid {}) on {}; its log is {}", program.string(), broker.pid(),
                  broker.endpoint(), state.log_file.string()));
  const BusAccess bus{broker.endpoint(), state.broker_keys.public_key};

  StopFlag stop;
  std::vector<std::unique_ptr<CommandPost>> posts;
  // Declared before the gateways: a feed's device sockets outlive the gateway process
  // reading them, and the feeds' threads end (StopOnExit) before either goes.
  std::vector<std::unique_ptr<DeviceFeed>> feeds;
  std::vector<std::unique_ptr<GatewayProcess>> gateways;
  std::vector<std::unique_ptr<SimulatedSystem>> sensors;
  const StopOnExit stop_on_exit{stop};

  // Command posts first, so that they see the picture from its first message; a late
  // joiner has it from the COP snapshot instead.
  for (const auto& nation : kNations) {
    const SystemSpec& spec = command_post_of(nation.code);
    if (late_s > 0 && &spec == &late_spec) continue;
    posts.push_back(std::make_unique<CommandPost>(spec, state.keys_of(spec.id), bus, late_s));
  }
  // A system the broker does not accept leaves the demo pointless: stop, and show why.
  const auto connect = [&](SimulatedSystem& system) {
    try {
      system.connect(kConnectTimeout);
    } catch (const std::runtime_error& e) {
      throw std::runtime_error(fmt::format("{}; the end of {}:\n{}", e.what(),
                                           state.log_file.string(), tail_of(state.log_file)));
    }
  };
  for (auto& post : posts) connect(*post);
  const std::optional<bool> revoked_refused = try_revoked_key(bus, state);
  // The real gateways, each with its system's key; a gateway that does not start (a
  // configuration error, a port taken, a key the broker refuses) stops the demo, showing
  // the end of its log.
  std::vector<std::uint16_t> feed_ports;
  for (const SystemSpec& spec : systems()) {
    if (!runs_as_gateway(spec)) continue;
    feeds.push_back(spec.role == Role::radio_gateway ? make_patrol_radios(spec)
                                                     : make_ais_receiver(spec));
    feed_ports.push_back(free_udp_port());
    gateways.push_back(std::make_unique<GatewayProcess>(
        nmea_gateway, spec, state, bus, feeds.back()->gateway_config(feed_ports.back())));
    say(fmt::format("started {} for {} (pid {}), fed on udp 127.0.0.1:{}; its log is {}",
                    nmea_gateway.filename().string(), spec.id, gateways.back()->pid(),
                    feed_ports.back(), gateways.back()->log_file().string()));
  }
  // With --tak, one TAK site per nation, in the order of kNations (their ports follow it).
  std::vector<std::unique_ptr<TakSite>> tak_sites;
  if (options.tak) {
    const auto tak_gateway = find_tak_gateway(options.tak_gateway);
    for (std::size_t i = 0; i < kNations.size(); ++i) {
      for (const SystemSpec& spec : systems()) {
        if (spec.role != Role::tak_gateway || spec.nation != kNations[i].code) continue;
        tak_sites.push_back(std::make_unique<TakSite>(
            tak_gateway, spec, state, bus,
            tak_site_address(options.tak_listen, options.tak_port_base, i)));
        say(fmt::format("started {} for {} (pid {}), TLS on {}:{}, TCP on {}:{}; its log is {}",
                        tak_gateway.filename().string(), spec.id, tak_sites.back()->pid(),
                        options.tak_listen, tak_sites.back()->address().tls_port,
                        options.tak_listen, tak_sites.back()->address().tcp_port,
                        tak_sites.back()->log_file().string()));
      }
    }
    say(tak_instructions(tak_sites));
  }
  for (const SystemSpec& spec : systems()) {
    if (spec.revoked || runs_as_gateway(spec)) continue;
    if (spec.role == Role::sensor || spec.role == Role::biometric_station) {
      sensors.push_back(make_sensor(spec, state.keys_of(spec.id), bus));
    }
  }
  for (auto& sensor : sensors) connect(*sensor);
  say(fmt::format(
      "{} command posts and {} sensors connected, and {} gateways ready, each with its own "
      "key; {}",
      posts.size(), sensors.size(), gateways.size() + tak_sites.size(),
      options.duration_s ? fmt::format("running for {:g} s", *options.duration_s)
                         : std::string("Ctrl-C stops")));
  if (late_s > 0) {
    say(
        fmt::format("{} ({}) joins late, at t+{:g} s (--late-joiner-seconds): not connected "
                    "until then",
                    late_spec.id, late_spec.nation, late_s));
  }

  const auto start = Clock::now();
  for (auto& post : posts) post->start(stop, start);
  for (std::size_t i = 0; i < feeds.size(); ++i) feeds[i]->start(stop, start, feed_ports[i]);
  for (auto& sensor : sensors) sensor->start(stop, start);

  const auto observe = [&](bool final) {
    Frame frame;
    frame.elapsed_s = std::chrono::duration<double>(Clock::now() - start).count();
    frame.duration_s = options.duration_s;
    frame.endpoint = broker.endpoint();
    frame.policy_file = state.policy_file.string();
    Observations seen;
    seen.revoked_key_refused = revoked_refused;
    seen.late_join_s = late_s;
    for (const auto& nation : kNations) {
      const auto post = std::find_if(posts.begin(), posts.end(), [&](const auto& p) {
        return p->spec().nation == nation.code;
      });
      if (post != posts.end()) {
        frame.views.push_back((*post)->view().snapshot());
      } else {
        // The late joiner, not on the bus yet: an empty view that says when it joins.
        const SystemSpec& spec = command_post_of(nation.code);
        ViewSnapshot waiting;
        waiting.nation = std::string(spec.nation);
        waiting.system = std::string(spec.id);
        waiting.role = std::string(role_name(spec.role));
        waiting.joins_at_s = late_s;
        frame.views.push_back(std::move(waiting));
      }
      seen.views.emplace(frame.views.back().nation, frame.views.back());
    }
    frame.metrics = read_metrics(state.metrics_file);
    // Before the scripted events have all happened, missing evidence is not yet a failure.
    frame.promises = check_promises(seen, final && frame.elapsed_s >= script_s);
    frame.final = final;
    return frame;
  };

  auto display = make_display(ansi);
  const auto deadline = options.duration_s
                            ? start + std::chrono::duration_cast<Clock::duration>(
                                          std::chrono::duration<double>(*options.duration_s))
                            : Clock::time_point::max();
  const auto late_at =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(late_s));
  bool late_pending = late_s > 0;
  std::string stopped_by = "--duration";
  std::string failure;
  while (true) {
    display->show(observe(false));
    auto now = Clock::now();
    if (now >= deadline) break;
    if (late_pending && now >= late_at) {
      // Brazil's post joins: a new client, its own session, subscriptions with snapshots.
      // Its script runs on the scenario's clock, so it catches up at once.
      late_pending = false;
      auto post =
          std::make_unique<CommandPost>(late_spec, state.keys_of(late_spec.id), bus, late_s);
      post->joins_late(start, late_s);
      connect(*post);
      post->start(stop, start);
      posts.push_back(std::move(post));
      display->show(observe(false));
      now = Clock::now();
      if (now >= deadline) break;
    }
    auto wait = std::min<Clock::duration>(kRefresh, deadline - now);
    if (late_pending)
      wait = std::min<Clock::duration>(wait, std::max(late_at - now, Clock::duration::zero()));
    const auto wait_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(wait).count();
    const timespec timeout{static_cast<std::time_t>(wait_ns / 1'000'000'000),
                           static_cast<long>(wait_ns % 1'000'000'000)};
    const int signal = ::sigtimedwait(&stop_signals, nullptr, &timeout);
    if (signal == SIGINT || signal == SIGTERM) {
      stopped_by = signal == SIGINT ? "SIGINT" : "SIGTERM";
      break;
    }
    if (const std::string how = broker.exited(); !how.empty()) {
      failure = fmt::format("enlace-broker {} while the demo was running; the end of {}:\n{}", how,
                            state.log_file.string(), tail_of(state.log_file));
      break;
    }
    for (auto& gateway : gateways) {
      if (const std::string how = gateway->exited(); !how.empty()) {
        failure = fmt::format(
            "the gateway for {} {} while the demo was running; the end of {}:\n{}",
            gateway->spec().id, how, gateway->log_file().string(), tail_of(gateway->log_file()));
        break;
      }
    }
    for (auto& site : tak_sites) {
      if (const std::string how = site->exited(); !how.empty() && failure.empty()) {
        failure =
            fmt::format("the TAK gateway for {} {} while the demo was running; the end of {}:\n{}",
                        site->spec().id, how, site->log_file().string(), tail_of(site->log_file()));
      }
    }
    if (!failure.empty()) break;
  }

  // Shut down in order: no more publishing, then the clients, then the broker (which
  // writes its final counters as it exits).
  stop.request();
  for (auto& sensor : sensors) sensor->join();
  for (auto& feed : feeds) feed->join();
  std::vector<std::string> gateway_ends;
  for (auto& gateway : gateways) gateway_ends.push_back(gateway->stop());
  std::vector<std::string> tak_ends;
  for (auto& site : tak_sites) tak_ends.push_back(site->stop());
  for (auto& post : posts) post->join();
  for (auto& sensor : sensors) sensor->close();
  for (auto& post : posts) post->close();
  const std::string broker_end = failure.empty() ? broker.stop() : broker.exited();

  const Frame last = observe(true);
  display->show(last);
  display->finish();
  if (ansi || stopped_by != "--duration") say(fmt::format("stopped by {}", stopped_by));

  Summary summary;
  summary.elapsed_s = last.elapsed_s;
  for (const auto& post : posts)
    summary.published[std::string(post->spec().nation)] += post->published();
  for (std::size_t i = 0; i < gateways.size(); ++i) {
    const GatewayProcess& gateway = *gateways[i];
    summary.published[std::string(gateway.spec().nation)] += gateway.published();
    summary.gateways.push_back(fmt::format(
        "gateway {}: its {} sent {} sentences, it read {}, published {} reports, rejected {}; "
        "{} (log: {})",
        gateway.spec().id, gateway.spec().role == Role::radio_gateway ? "radios" : "AIS receiver",
        feeds[i]->sentences(), gateway.lines(), gateway.published(),
        gateway.rejects().empty() ? "none" : gateway.rejects(), gateway_ends[i],
        gateway.log_file().string()));
  }
  for (std::size_t i = 0; i < tak_sites.size(); ++i) {
    summary.gateways.push_back(fmt::format("TAK gateway {}: {}; {} (log: {})",
                                           tak_sites[i]->spec().id, tak_sites[i]->counters(),
                                           tak_ends[i], tak_sites[i]->log_file().string()));
  }
  for (const auto& sensor : sensors)
    summary.published[std::string(sensor->spec().nation)] += sensor->published();
  const auto note_refusals = [&](const SimulatedSystem& system) {
    if (system.refused() == 0) return;
    summary.system_refusals.push_back(fmt::format("{} had {} refused; the last: {}",
                                                  system.spec().id, system.refused(),
                                                  system.last_refusal()));
  };
  for (const auto& post : posts) note_refusals(*post);
  for (const auto& sensor : sensors) note_refusals(*sensor);
  summary.views = last.views;
  summary.metrics = last.metrics;
  summary.promises = last.promises;
  summary.state_dir = state.dir.string();
  summary.broker_end = broker_end;
  print_summary(summary, ansi);
  if (late_pending) {
    say(fmt::format("{} never joined: the run stopped before t+{:g} s", late_spec.id, late_s));
  }
  if (last.elapsed_s < script_s) {
    say(
        fmt::format("the run lasted under {:g} s, before every scripted event: promises still "
                    "pending were not counted as failures",
                    script_s));
  }

  if (!failure.empty()) {
    fmt::print(stderr, "enlace-demo: {}", failure);
    return 1;
  }
  // A gateway that did not end cleanly when asked to stop (a crash, a sanitizer's
  // report, a failed flush) fails the run as surely as a broken promise.
  bool gateways_clean = true;
  for (std::size_t i = 0; i < gateways.size(); ++i) {
    if (gateways[i]->exited_cleanly()) continue;
    fmt::print(stderr, "enlace-demo: the gateway for {} {} when stopped; the end of {}:\n{}",
               gateways[i]->spec().id, gateway_ends[i], gateways[i]->log_file().string(),
               tail_of(gateways[i]->log_file()));
    gateways_clean = false;
  }
  for (std::size_t i = 0; i < tak_sites.size(); ++i) {
    if (tak_sites[i]->exited_cleanly()) continue;
    fmt::print(stderr, "enlace-demo: the TAK gateway for {} {} when stopped; the end of {}:\n{}",
               tak_sites[i]->spec().id, tak_ends[i], tak_sites[i]->log_file().string(),
               tail_of(tak_sites[i]->log_file()));
    gateways_clean = false;
  }
  if (!gateways_clean) return 1;
  for (const auto& p : last.promises) {
    if (p.state == PromiseState::broken) return 1;
  }
  return 0;
}

}  // namespace
}  // namespace demo

int main(int argc, char** argv) {
  auto parsed = demo::parse_options(argc, argv);
  if (const auto* error = std::get_if<std::string>(&parsed)) {
    fmt::print(stderr, "enlace-demo: {} (enlace-demo --help lists the options)\n", *error);
    return 2;
  }
  const demo::Options& options = std::get<demo::Options>(parsed);
  if (options.help) {
    std::fputs(demo::kUsage, stdout);
    return 0;
  }

  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  ::pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);  // before any thread exists
  std::signal(SIGPIPE, SIG_IGN);

  try {
    return demo::run(options, stop_signals);
  } catch (const std::exception& e) {
    std::fflush(stdout);
    fmt::print(stderr, "enlace-demo: {}\n", e.what());
    return 1;
  }
}
