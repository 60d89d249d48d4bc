// enlace-tak-bench: one enlace-tak-gateway relaying a bus track picture to many TAK clients
// over mutual TLS (issue 12's performance point; the figure is in docs/gateways/tak.md,
// "Performance").
//
//   enlace-tak-bench [--rate EVENTS_PER_S] [--seconds S] [--clients N] [--tracks T]
//
// A real enlace-broker over CURVE, the gateway process with a TLS listener (certificates
// made with the openssl command line), N TAK clients over TLS read by one thread (OpenSSL,
// poll), and a COL radar publishing Track envelopes at a steady rate on T track topics.
// Each Track's name, the CoT callsign, carries its publish time (steady clock, shared by
// the processes of one machine), so every client measures the latency from publish() to
// the CoT event in its TLS stream.
//
// It reports the events published, how many of them each client received (every client
// must receive every event: the gateway is not falling behind), the latency quantiles over
// all clients, the gateway's send_queue_full and backlog_dropped counters (its bounded
// queues dropping), and the gateway's CPU time (all its threads, from
// /proc/PID/task/*/schedstat) per bus event. Nothing is asserted: this is a measurement.
#include <fcntl.h>
#include <poll.h>

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench_setup.hpp"
#include "broker_process.hpp"
#include "gateway_process.hpp"
#include "histogram.hpp"
#include "tak_tls.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
namespace gt = enlace::gateway::test;

struct Options {
  double rate = 5000;
  double seconds = 10;
  int clients = 50;
  int tracks = 500;
};

constexpr const char* kUsage =
    "usage: enlace-tak-bench [--rate EVENTS_PER_S] [--seconds S] [--clients N] [--tracks T]\n";

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) {
      std::fputs(kUsage, stderr);
      std::exit(2);
    }
    const char* v = argv[++i];
    if (a == "--rate") {
      o.rate = std::atof(v);
    } else if (a == "--seconds") {
      o.seconds = std::atof(v);
    } else if (a == "--clients") {
      o.clients = std::atoi(v);
    } else if (a == "--tracks") {
      o.tracks = std::atoi(v);
    } else {
      std::fputs(kUsage, stderr);
      std::exit(2);
    }
  }
  if (o.rate <= 0 || o.seconds <= 0 || o.clients < 1 || o.tracks < 1) {
    std::fputs(kUsage, stderr);
    std::exit(2);
  }
  return o;
}

std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The number after `"key":` in a JSON text (the first such key), 0 when absent.
std::uint64_t json_number(const std::string& json, const std::string& key) {
  const auto at = json.find("\"" + key + "\":");
  return at == std::string::npos ? 0
                                 : std::strtoull(json.c_str() + at + key.size() + 3, nullptr, 10);
}

// Reads every client until `stop` is set and then until each has `expected` events or
// none has made progress for 5 s. Counts the bench's events per client and records their
// latency; runs on its own thread.
class Readers {
 public:
  Readers(std::vector<std::unique_ptr<gt::TakClient>>& clients)
      : clients_(clients), counts_(clients.size(), 0) {}

  void run(const std::atomic<bool>& published, const std::atomic<std::uint64_t>& expected) {
    std::vector<pollfd> fds;
    for (const auto& c : clients_) fds.push_back(pollfd{c->fd(), POLLIN, 0});
    auto last_progress = Clock::now();
    for (;;) {
      const int ready = ::poll(fds.data(), fds.size(), 50);
      bool progress = false;
      for (std::size_t i = 0; ready > 0 && i < fds.size(); ++i) {
        if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
        progress |= drain(i);
      }
      if (progress) last_progress = Clock::now();
      if (published.load()) {
        bool all = true;
        for (const auto n : counts_) all &= n >= expected.load();
        if (all || Clock::now() - last_progress > 5s) return;
      }
    }
  }

  const std::vector<std::uint64_t>& counts() const { return counts_; }
  const enlace::bench::LogHistogram& latency() const { return latency_; }

 private:
  // Reads what client `i` has (non-blocking) and counts its complete events.
  bool drain(std::size_t i) {
    gt::TakClient& client = *clients_[i];
    const std::size_t before = client.received().size();
    for (std::size_t size = before;;) {
      if (!client.read_some()) break;
      if (client.received().size() == size) break;  // nothing more for now
      size = client.received().size();
    }
    const std::string& bytes = client.received();
    if (bytes.size() == before) return false;
    const std::int64_t now = steady_ns();
    constexpr std::string_view kEnd = "</event>", kStamp = "callsign=\"B";
    std::size_t at = 0;
    for (std::size_t end; (end = bytes.find(kEnd, at)) != std::string::npos;) {
      const std::string_view event(bytes.data() + at, end - at);
      if (const auto stamp = event.find(kStamp); stamp != std::string_view::npos) {
        const std::int64_t sent = std::strtoll(event.data() + stamp + kStamp.size(), nullptr, 10);
        latency_.record(static_cast<double>(now - sent) / 1000.0);
        ++counts_[i];
      }
      at = end + kEnd.size();
    }
    client.consume(at);
    return true;
  }

  std::vector<std::unique_ptr<gt::TakClient>>& clients_;
  std::vector<std::uint64_t> counts_;
  enlace::bench::LogHistogram latency_;
};

// A hostile surface contact of the radar, its name the publish time.
auto track(const std::string& id, std::uint64_t n, std::int64_t stamp_ns) {
  return [id, n, stamp_ns](flatbuffers::FlatBufferBuilder& fbb) {
    namespace wire = enlace::wire;
    const wire::GeoPoint point(-0.19 + static_cast<double>(n % 1000) * 1e-5, -74.78);
    auto position =
        wire::CreatePosition(fbb, &point, 0.0, wire::AltitudeReference::MeanSeaLevel, 25.0f);
    const wire::Motion motion(84.0f, 6.5f);
    auto source = wire::CreateSensorRefDirect(fbb, wire::SensorType::Radar, "rx17");
    const auto observed = std::chrono::duration_cast<std::chrono::nanoseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
    const std::string name = "B" + std::to_string(stamp_ns);
    return wire::CreateTrackDirect(fbb, id.c_str(), position, &motion,
                                   wire::StandardIdentity::Hostile,
                                   wire::BattleDimension::SeaSurface, nullptr,
                                   wire::ContactKind::Vessel, source, observed, name.c_str());
  };
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  enlace::test::TestCoalition coalition;
  coalition.extra = R"(
[roles.tak_gateway]
publish.allow = ["position.{nation}.>"]
subscribe.allow = ["track.>"]
)";
  coalition.add("col-tak", "COL", "tak_gateway");
  coalition.add("col-radar", "COL", "sensor");
  enlace::test::BrokerProcess broker(coalition);
  gt::TestCa ca(broker.directory() / "ca", "Bench CA");
  const auto server = ca.issue_server("tak-gateway");
  // One certificate for every client: the bench measures the relay, not the enrolment.
  const auto credentials = ca.issue_client("BENCH-col-001", "CO");
  gt::GatewayProcess gateway(ENLACE_TAK_GATEWAY_PATH, broker, coalition["col-tak"],
                             fmt::format(R"(
[gateway]
uid = "col-tak"
metrics_file = "metrics.json"
subscribe = ["track.>"]
max_clients = {0}

[tls]
listen = "127.0.0.1:0"
certificate = "{1}"
private_key = "{2}"
ca = "{3}"

[[units]]
certificate_cn = "BENCH-col-001"
unit = "C01"
callsign = "BANCO"
)",
                                         o.clients + 8, server.certificate.string(),
                                         server.key.string(), ca.certificate().string()),
                             gt::ConfigLayout::tak, {"--log-level", "warn"});
  if (!gateway.wait_ready(60s)) {
    std::fprintf(stderr, "enlace-tak-bench: the gateway did not start:\n%s\n",
                 gateway.log().c_str());
    return 1;
  }
  const auto port = static_cast<std::uint16_t>(json_number(gateway.ready(), "tls"));

  std::vector<std::unique_ptr<gt::TakClient>> clients;
  for (int i = 0; i < o.clients; ++i) {
    auto client = gt::TakClient::over_tls(port, ca.certificate(), credentials);
    if (!client || !client->wait_for("t-x-takp-v")) {
      std::fprintf(stderr, "enlace-tak-bench: client %d was not served:\n%s\n", i,
                   gateway.log().c_str());
      return 1;
    }
    ::fcntl(client->fd(), F_SETFL, ::fcntl(client->fd(), F_GETFL) | O_NONBLOCK);
    clients.push_back(std::move(client));
  }

  auto options = broker.options_for(coalition["col-radar"]);
  options.send_queue_bytes = 16u << 20;
  options.send_queue_wait = 10s;
  enlace::Client radar(options);
  if (!radar.wait_connected(20s)) {
    std::fprintf(stderr, "enlace-tak-bench: the radar did not connect\n");
    return 1;
  }
  std::vector<std::string> ids, topics;
  for (int i = 0; i < o.tracks; ++i) {
    ids.push_back(fmt::format("T{:04}", i));
    topics.push_back("track.COL.radar." + ids.back());
  }

  Readers readers(clients);
  std::atomic<bool> published{false};
  std::atomic<std::uint64_t> expected{~std::uint64_t{0}};
  std::thread reader([&] { readers.run(published, expected); });

  const auto total = static_cast<std::uint64_t>(o.rate * o.seconds);
  const double gateway_cpu0 = enlace::bench::process_cpu_us(gateway.pid());
  const double broker_cpu0 = enlace::bench::process_cpu_us(broker.pid());
  const auto start = Clock::now();
  std::uint64_t refused = 0;
  for (std::uint64_t n = 0; n < total; ++n) {
    // A steady rate: event n is due at start + n / rate.
    const auto due = start + std::chrono::nanoseconds(
                                 static_cast<std::int64_t>(static_cast<double>(n) * 1e9 / o.rate));
    if (due > Clock::now()) std::this_thread::sleep_until(due);
    const auto i = static_cast<std::size_t>(n % ids.size());
    if (!radar.publish(topics[i], track(ids[i], n, steady_ns()))) ++refused;
  }
  const auto published_at = Clock::now();
  expected = total - refused;
  published = true;
  reader.join();
  const auto done_at = Clock::now();
  const double gateway_cpu_us = enlace::bench::process_cpu_us(gateway.pid()) - gateway_cpu0;
  const double broker_cpu_us = enlace::bench::process_cpu_us(broker.pid()) - broker_cpu0;

  // The metrics file is rewritten every second: read one written after the drain.
  const auto metrics_file = gateway.directory() / "metrics.json";
  const auto drained = std::filesystem::file_time_type::clock::now();
  enlace::test::eventually(
      [&] {
        std::error_code error;
        return std::filesystem::last_write_time(metrics_file, error) > drained;
      },
      5s);
  const std::string metrics = read_text(metrics_file);

  std::uint64_t least = ~std::uint64_t{0}, most = 0, complete = 0;
  for (const auto n : readers.counts()) {
    least = std::min(least, n);
    most = std::max(most, n);
    complete += n >= expected.load() ? 1 : 0;
  }
  const double publish_s = std::chrono::duration<double>(published_at - start).count();
  const double run_s = std::chrono::duration<double>(done_at - start).count();
  const auto& latency = readers.latency();
  std::printf(
      "enlace-tak-bench: %.0f Track events/s for %.0f s, %d TAK clients over TLS (CoT XML)\n",
      o.rate, o.seconds, o.clients);
  std::printf("  published:  %llu events in %.2f s (%.0f/s), %llu refused by the SDK\n",
              static_cast<unsigned long long>(total), publish_s,
              static_cast<double>(total) / publish_s, static_cast<unsigned long long>(refused));
  std::printf("  received:   %llu of %d clients got all %llu (per client: min %llu, max %llu)\n",
              static_cast<unsigned long long>(complete), o.clients,
              static_cast<unsigned long long>(expected.load()),
              static_cast<unsigned long long>(least), static_cast<unsigned long long>(most));
  std::printf(
      "  latency publish -> TLS client: p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms "
      "(%llu samples)\n",
      latency.quantile(0.5) / 1000, latency.quantile(0.99) / 1000, latency.quantile(0.999) / 1000,
      latency.max() / 1000, static_cast<unsigned long long>(latency.count()));
  std::printf("  gateway:    send_queue_full %llu, backlog_dropped %llu, copies queued %llu\n",
              static_cast<unsigned long long>(json_number(metrics, "send_queue_full")),
              static_cast<unsigned long long>(json_number(metrics, "backlog_dropped")),
              static_cast<unsigned long long>(json_number(metrics, "sent")));
  std::printf(
      "  gateway CPU: %.2f s in %.2f s (%.0f%% of one core): %.1f us per bus event, "
      "%.2f us per client copy\n",
      gateway_cpu_us / 1e6, run_s, 100.0 * gateway_cpu_us / 1e6 / run_s,
      gateway_cpu_us / static_cast<double>(total),
      gateway_cpu_us / static_cast<double>(total) / o.clients);
  std::printf("  broker CPU:  %.2f s (%.1f us per event)\n", broker_cpu_us / 1e6,
              broker_cpu_us / static_cast<double>(total));
  return 0;
}
