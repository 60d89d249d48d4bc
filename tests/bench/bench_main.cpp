// enlace-bench: throughput through a real broker with CURVE on, through the SDK.
//
// It starts its own enlace-broker (the build's, or --broker-bin) with a generated policy in
// which every bench system may publish and subscribe, so the figures include the real
// per-message work: verification, origin check, ACL, audience, routing.
//
//   enlace-bench [--messages N] [--publishers P] [--subscribers S] [--json]
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "broker_process.hpp"

using namespace enlace;
using namespace enlace::test;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
  std::uint64_t messages = 500000;
  int publishers = 1;
  int subscribers = 1;
  bool json = false;
};

// Broker CPU time (user + system) in microseconds, from /proc/<pid>/stat.
double process_cpu_us(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  unsigned long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stoul(field);
    if (i == 15) stime = std::stoul(field);
  }
  return static_cast<double>(utime + stime) * 1e6 / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// A realistic radar track: about 200 bytes of envelope.
auto build_track(std::uint64_t n) {
  return [n](flatbuffers::FlatBufferBuilder& fbb) {
    const wire::GeoPoint point(-0.19 + static_cast<double>(n % 1000) * 1e-5, -74.78);
    auto position = wire::CreatePosition(fbb, &point, 92.0, wire::AltitudeReference::MeanSeaLevel, 25.0f);
    const wire::Motion motion(84.0f, 6.5f);
    auto source = wire::CreateSensorRefDirect(fbb, wire::SensorType::Radar, "rx17");
    return wire::CreateTrackDirect(fbb, "T0042", position, &motion, wire::StandardIdentity::Suspect,
                                   wire::BattleDimension::SeaSurface, nullptr, wire::ContactKind::Vessel,
                                   source, now_ns());
  };
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string("0"); };
    if (a == "--messages") o.messages = std::stoull(next());
    else if (a == "--publishers") o.publishers = std::stoi(next());
    else if (a == "--subscribers") o.subscribers = std::stoi(next());
    else if (a == "--json") o.json = true;
    else {
      std::fprintf(stderr, "usage: enlace-bench [--messages N] [--publishers P] [--subscribers S] [--json]\n");
      std::exit(a == "--help" ? 0 : 2);
    }
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse(argc, argv);
  TestCoalition coalition;
  coalition.edits.emplace_back("default_rate = 100000", "default_rate = 100000000");
  coalition.edits.emplace_back("default_burst = 100000", "default_burst = 100000000");
  for (int i = 0; i < options.publishers; ++i) coalition.add("pub" + std::to_string(i), "COL", "sensor");
  for (int i = 0; i < options.subscribers; ++i) {
    coalition.add("sub" + std::to_string(i), i % 2 ? "PER" : "ECU", "command_post");
  }
  BrokerProcess broker(coalition);

  std::vector<std::unique_ptr<Client>> subscribers;
  std::atomic<std::uint64_t> received{0};
  const std::uint64_t expected = options.messages * static_cast<std::uint64_t>(options.subscribers);
  for (int i = 0; i < options.subscribers; ++i) {
    auto client = std::make_unique<Client>(broker.options_for(coalition["sub" + std::to_string(i)]));
    if (!client->wait_connected(10s)) return 1;
    auto sub = client->subscribe("track.COL.>", [&](const Delivery&) { received.fetch_add(1, std::memory_order_relaxed); });
    if (!sub) {
      std::fprintf(stderr, "subscribe failed: %s\n", sub.error().reason.c_str());
      return 1;
    }
    subscribers.push_back(std::move(client));
  }
  std::vector<std::unique_ptr<Client>> publishers;
  for (int i = 0; i < options.publishers; ++i) {
    auto client = std::make_unique<Client>(broker.options_for(coalition["pub" + std::to_string(i)]));
    if (!client->wait_connected(10s)) return 1;
    publishers.push_back(std::move(client));
  }

  const double cpu_before = process_cpu_us(broker.pid());
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  std::atomic<std::uint64_t> queue_full{0};
  const std::uint64_t per_publisher = options.messages / static_cast<std::uint64_t>(options.publishers);
  for (int p = 0; p < options.publishers; ++p) {
    threads.emplace_back([&, p] {
      Client& client = *publishers[static_cast<std::size_t>(p)];
      for (std::uint64_t n = 0; n < per_publisher;) {
        auto r = client.publish("track.COL.radar.rx17.T0042", build_track(n));
        if (r) {
          ++n;
        } else if (r.code() == Errc::queue_full) {
          queue_full.fetch_add(1, std::memory_order_relaxed);
          std::this_thread::yield();  // backpressure: let the I/O thread drain
        } else {
          std::fprintf(stderr, "publish failed: %s\n", r.error().reason.c_str());
          return;
        }
      }
      (void)client.flush(60s);
    });
  }
  for (auto& t : threads) t.join();
  const auto published_at = Clock::now();

  // Wait for the deliveries to arrive; stop when complete or when nothing arrives for 2 s.
  std::uint64_t last = received.load();
  auto last_progress = Clock::now();
  while (received.load() < expected && Clock::now() - last_progress < 2s) {
    std::this_thread::sleep_for(5ms);  // progress poll of a counter, bounded by the 2 s idle limit
    if (received.load() != last) {
      last = received.load();
      last_progress = Clock::now();
    }
  }
  const auto done = received.load() >= expected ? Clock::now() : last_progress;
  const double cpu_after = process_cpu_us(broker.pid());

  const double publish_s = std::chrono::duration<double>(published_at - start).count();
  const double total_s = std::chrono::duration<double>(done - start).count();
  const std::uint64_t got = received.load();
  const double delivered_rate = static_cast<double>(got) / total_s;
  const double publish_rate = static_cast<double>(per_publisher * options.publishers) / publish_s;
  const double cpu_per_msg = (cpu_after - cpu_before) / static_cast<double>(std::max<std::uint64_t>(got, 1));
  if (options.json) {
    std::printf("{\"scenario\":\"throughput\",\"publishers\":%d,\"subscribers\":%d,\"messages\":%llu,"
                "\"delivered\":%llu,\"lost\":%llu,\"publish_rate\":%.0f,\"delivered_rate\":%.0f,"
                "\"broker_cpu_us_per_delivery\":%.3f}\n",
                options.publishers, options.subscribers, static_cast<unsigned long long>(options.messages),
                static_cast<unsigned long long>(got), static_cast<unsigned long long>(expected - got),
                publish_rate, delivered_rate, cpu_per_msg);
  } else {
    std::printf("throughput %d -> %d, %llu messages of ~200 B (Track), CURVE on\n", options.publishers,
                options.subscribers, static_cast<unsigned long long>(options.messages));
    std::printf("  published:  %.0f msgs/s\n", publish_rate);
    std::printf("  delivered:  %.0f msgs/s (%llu of %llu, lost %llu)\n", delivered_rate,
                static_cast<unsigned long long>(got), static_cast<unsigned long long>(expected),
                static_cast<unsigned long long>(expected - got));
    std::printf("  broker CPU: %.2f us per delivery\n", cpu_per_msg);
  }
  return got == expected ? 0 : 3;
}
