// enlace-bench: drives a real enlace-broker (CURVE on, policy with releasability) through
// the SDK and prints figures. docs/performance.md explains each scenario; bench/compare runs
// it beside the peers with the same flags.
//
//   enlace-bench --scenario throughput [--messages N] [--publishers P] [--subscribers S]
//                [--topics T] [--wildcard] [--nations N] [--systems N] [--size B]
//                [--session-queue-bytes B] [--json]
//   enlace-bench --scenario latency [--rate R] [--duration SECONDS] [--size B] [--json]
//   enlace-bench --scenario latency --flood [--flood-rate R] [--flood-nice N] [--rate R]
//                [--duration SECONDS]
//   enlace-bench --snapshot N [--size B] [--json]
//   enlace-bench --scenario latency --stalled K [--rate R] [--duration SECONDS] [--json]
//   enlace-bench --scrape-metrics [--rounds N] [--messages N] [--session-queue-bytes B] [--json]
//   enlace-bench --durable [--messages N] [--window W] [--size B] [--rounds R] [--rate R]
//                [--duration SECONDS] [--recovery-mib M] [--dir DIR] [--json]
//
// --durable measures durable streams: acknowledged throughput and Ack latency per
// durability mode, replay and recovery after kill -9 (durable_bench.cpp says how).
//
// --scrape-metrics measures what scraping the broker's /metrics costs (docs/operations.md):
// throughput 1 -> 1 in one run, phases without and with a scraper that GETs /metrics once a
// second (as Prometheus would, at a tighter interval than usual), interleaved --rounds times
// so that a noisy machine disturbs both kinds alike. It reports each kind's median
// delivered rate and the cost: 1 - with / without.
//
// --cop (throughput, latency) has the broker cache the bench's track topics in its COP
// cache (policy [cop]), to compare live traffic with the cache on and off.
//
// --stalled K measures the healthy pair twice in one run, like --flood: alone, then beside
// K more subscribers of the same topic whose callbacks block (so their clients stop
// reading and the broker's queues for them fill, drop and, past slow_consumer_seconds,
// close them). --rounds N repeats the pair of phases N times, the stalled subscribers
// connected afresh for each phase beside them and gone (Bye) before the next phase alone,
// so that a noisy machine disturbs both kinds of phase alike. It reports both latency
// distributions (all rounds), their p99 ratio (pooled, and per round with the median), the broker's
// peak RSS and what it dropped for the stalled subscribers.
//
// --snapshot N fills the broker's COP cache with N tracks on N topics, measures the
// broker's resident memory growth while the second half is stored (the overhead per entry
// is that growth per entry less the envelope bytes the cache reports), then times a late joiner's
// subscribe with snapshot from the subscribe call to EndOfSnapshot, with every cached message
// received.
//
// --flood measures the well-behaved pair twice in one run, each time for --duration
// seconds: first alone, then while an extra publisher with a tiny rate limit (--flood-rate
// messages/s in the policy) publishes as fast as it can and the broker refuses nearly all
// of it. It reports both latency distributions, the broker's CPU in each phase, and what
// the broker did with the flood (refusals counted, answered, the session cut off). The
// flooder runs on this host: its own encoding and CURVE encryption compete with the pair
// for the CPU. --flood-nice N runs its threads at that nice value, standing for a flooder
// on another host, so that what remains is the broker's share.
//
// Messages are realistic radar Track envelopes (320 bytes), or with --size B envelopes of
// B bytes in all (an Opaque payload sized to fit), to compare with peers sending B-byte
// payloads.
//
// The throughput publisher does not wait for its subscribers: when it outpaces one by more
// than that session's queue at the broker (max_session_queue_bytes, 4 MiB by default), the
// broker drops deliveries for it and the run reports them as lost. --session-queue-bytes
// sets that limit in the bench's policy, e.g. 67108864 to measure the broker without losses
// (NATS, by comparison, lets a subscription hold 64 MB by default).
#include <poll.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bench_messages.hpp"
#include "bench_setup.hpp"
#include "durable_bench.hpp"
#include "histogram.hpp"
#include "http_client.hpp"

using namespace enlace;
using namespace enlace::bench;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

struct Options {
  std::string scenario = "throughput";
  std::uint64_t messages = 500000;
  int publishers = 1;
  int subscribers = 1;
  std::uint64_t topics = 1;             // distinct track topics the publishers cycle through
  bool wildcard = false;                // subscribers use track.> instead of the literal topic(s)
  int nations = 5;                      // coalition size (the test coalition has 5)
  int systems = 0;                      // filler systems added to the policy
  double rate = 10000;                  // latency: offered messages per second
  double duration = 5;                  // latency: seconds
  int size = 0;                         // envelope bytes; 0: a realistic Track
  std::size_t session_queue_bytes = 0;  // max_session_queue_bytes; 0: the policy default
  bool json = false;
  bool flood = false;           // latency: a second phase beside a flooding publisher
  double flood_rate = 10;       // the flooder's rate limit in the policy (messages/s)
  int flood_nice = 0;           // nice value of the flooder's threads (0: as the pair's)
  bool cop = false;             // the broker caches the track topics (policy [cop])
  std::uint64_t snapshot = 0;   // snapshot scenario: cached entries
  int stalled = 0;              // latency: stalled subscribers in the second phase
  int rounds = 1;               // stalled: pairs of phases (alone, beside), interleaved
  bool scrape_metrics = false;  // throughput with and without a /metrics scraper
};

constexpr const char* kUsage =
    "usage: enlace-bench [--scenario throughput|latency] [--messages N] [--publishers P]\n"
    "                    [--subscribers S] [--topics T] [--wildcard] [--nations N] [--systems N]\n"
    "                    [--rate R] [--duration SECONDS] [--size BYTES]\n"
    "                    [--session-queue-bytes BYTES] [--json]\n"
    "                    [--flood [--flood-rate R] [--flood-nice N]] [--cop]\n"
    "       enlace-bench --snapshot N [--size BYTES] [--json]\n"
    "       enlace-bench --scenario latency --stalled K [--rounds N] [--rate R] [--duration S]\n"
    "                    [--json]\n"
    "       enlace-bench --scrape-metrics [--rounds N] [--messages N] [--session-queue-bytes B]\n"
    "                    [--json]\n"
    "       enlace-bench --durable [--messages N] [--window W] [--size BYTES] [--rounds R]\n"
    "                    [--rate R] [--duration SECONDS] [--recovery-mib M] [--dir DIR] [--json]\n";

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "enlace-bench: %s needs a value\n%s", a.c_str(), kUsage);
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--scenario")
      o.scenario = value();
    else if (a == "--messages")
      o.messages = std::stoull(value());
    else if (a == "--publishers")
      o.publishers = std::stoi(value());
    else if (a == "--subscribers")
      o.subscribers = std::stoi(value());
    else if (a == "--topics")
      o.topics = std::stoull(value());
    else if (a == "--wildcard")
      o.wildcard = true;
    else if (a == "--nations")
      o.nations = std::stoi(value());
    else if (a == "--systems")
      o.systems = std::stoi(value());
    else if (a == "--rate")
      o.rate = std::stod(value());
    else if (a == "--duration")
      o.duration = std::stod(value());
    else if (a == "--size")
      o.size = std::stoi(value());
    else if (a == "--session-queue-bytes")
      o.session_queue_bytes = std::stoull(value());
    else if (a == "--json")
      o.json = true;
    else if (a == "--flood")
      o.flood = true;
    else if (a == "--flood-rate")
      o.flood_rate = std::stod(value());
    else if (a == "--flood-nice")
      o.flood_nice = std::stoi(value());
    else if (a == "--cop")
      o.cop = true;
    else if (a == "--stalled")
      o.stalled = std::stoi(value());
    else if (a == "--rounds")
      o.rounds = std::stoi(value());
    else if (a == "--scrape-metrics")
      o.scrape_metrics = true;
    else if (a == "--snapshot") {
      o.scenario = "snapshot";
      o.snapshot = std::stoull(value());
    } else {
      std::fputs(kUsage, a == "--help" ? stdout : stderr);
      std::exit(a == "--help" ? 0 : 2);
    }
  }
  if ((o.scenario != "throughput" && o.scenario != "latency" && o.scenario != "snapshot") ||
      (o.scenario == "snapshot" && o.snapshot < 1) || o.publishers < 1 || o.subscribers < 1 ||
      o.topics < 1 || o.nations < 5 || o.nations > 64 || o.rate <= 0 || o.flood_rate <= 0 ||
      (o.flood && o.scenario != "latency") || o.stalled < 0 || o.rounds < 1 ||
      (o.rounds > 1 && o.stalled == 0 && !o.scrape_metrics) ||
      (o.stalled > 0 && (o.scenario != "latency" || o.flood))) {
    std::fputs(kUsage, stderr);
    std::exit(2);
  }
  return o;
}

std::vector<std::string> make_topics(std::uint64_t count) {
  std::vector<std::string> topics;
  topics.reserve(count);
  for (std::uint64_t i = 0; i < count; ++i)
    topics.push_back("track.COL.radar.rx17.T" + std::to_string(i));
  return topics;
}

// Publishes until accepted, backing off on queue_full: the SDK's bounded outbox is the
// flow control.
template <class Build>
bool publish_blocking(Client& client, const std::string& topic, Build&& build) {
  while (true) {
    auto r = client.publish(topic, build);
    if (r) return true;
    if (r.code() != Errc::queue_full) {
      std::fprintf(stderr, "publish failed: %s\n", r.error().reason.c_str());
      return false;
    }
    std::this_thread::yield();
  }
}

// Waits for `received` to reach `expected`, showing progress; gives up after 2 s without
// progress. Returns when the last delivery was seen.
Clock::time_point await_deliveries(const std::atomic<std::uint64_t>& received,
                                   std::uint64_t expected) {
  std::uint64_t last = received.load();
  auto last_progress = Clock::now();
  auto last_report = Clock::now();
  while (received.load() < expected && Clock::now() - last_progress < 2s) {
    std::this_thread::sleep_for(5ms);  // progress poll of a counter, bounded by the 2 s idle limit
    if (received.load() != last) {
      last = received.load();
      last_progress = Clock::now();
    }
    if (Clock::now() - last_report > 1s) {
      std::fprintf(stderr, "\r  %llu / %llu delivered", static_cast<unsigned long long>(last),
                   static_cast<unsigned long long>(expected));
      last_report = Clock::now();
    }
  }
  std::fprintf(stderr, "\r%60s\r", "");
  return received.load() >= expected ? Clock::now() : last_progress;
}

int run_throughput(const Options& o) {
  BenchBed bed(
      {o.publishers, o.subscribers, o.nations - 5, o.systems, o.session_queue_bytes, o.cop});
  const auto topics = make_topics(o.topics);
  std::atomic<std::uint64_t> received{0};
  for (auto& subscriber : bed.subscribers) {
    const auto count = [&](const Delivery&) { received.fetch_add(1, std::memory_order_relaxed); };
    if (o.wildcard || o.topics > 1) {
      if (!subscriber->subscribe(o.wildcard ? "track.>" : "track.COL.radar.rx17.*", count))
        return 1;
    } else if (!subscriber->subscribe(topics.front(), count)) {
      return 1;
    }
  }
  const Messages messages(o.size, topics.front());
  const std::uint64_t per_publisher = o.messages / static_cast<std::uint64_t>(o.publishers);
  const std::uint64_t expected =
      per_publisher * static_cast<std::uint64_t>(o.publishers * o.subscribers);

  const double cpu_before = process_cpu_us(bed.broker->pid());
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int p = 0; p < o.publishers; ++p) {
    threads.emplace_back([&, p] {
      Client& client = *bed.publishers[static_cast<std::size_t>(p)];
      for (std::uint64_t n = 0; n < per_publisher; ++n) {
        const std::string& topic = topics[n % topics.size()];
        const auto publish = [&](auto&& build) { return publish_blocking(client, topic, build); };
        if (!messages.publish(publish, 0, n)) return;
      }
      (void)client.flush(60s);
    });
  }
  for (auto& t : threads) t.join();
  const auto published_at = Clock::now();
  const auto done = await_deliveries(received, expected);
  const double cpu_us = process_cpu_us(bed.broker->pid()) - cpu_before;

  const std::uint64_t got = received.load();
  const double publish_rate =
      static_cast<double>(per_publisher * static_cast<std::uint64_t>(o.publishers)) /
      std::chrono::duration<double>(published_at - start).count();
  const double delivered_rate =
      static_cast<double>(got) / std::chrono::duration<double>(done - start).count();
  const double cpu_per_delivery = cpu_us / static_cast<double>(std::max<std::uint64_t>(got, 1));
  // Messages per ZeroMQ frame on each hop: how much the batching saves in CURVE operations.
  double sent_frames = 0, received_frames = 0;
  for (const auto& c : bed.publishers) sent_frames += static_cast<double>(c->stats().frames_sent);
  for (const auto& c : bed.subscribers)
    received_frames += static_cast<double>(c->stats().frames_received);
  const double per_sent_frame =
      static_cast<double>(per_publisher) * o.publishers / std::max(sent_frames, 1.0);
  const double per_received_frame = static_cast<double>(got) / std::max(received_frames, 1.0);
  if (o.json) {
    std::printf(
        "{\"system\":\"enlace\",\"scenario\":\"throughput\",\"publishers\":%d,\"subscribers\":%d,"
        "\"messages\":%llu,\"topics\":%llu,\"wildcard\":%s,\"nations\":%d,\"systems\":%d,"
        "\"delivered\":%llu,\"lost\":%llu,\"publish_rate\":%.0f,\"delivered_rate\":%.0f,"
        "\"broker_cpu_us_per_delivery\":%.3f,\"messages_per_publish_frame\":%.1f,"
        "\"messages_per_delivery_frame\":%.1f,\"envelope_bytes\":%zu}\n",
        o.publishers, o.subscribers, static_cast<unsigned long long>(o.messages),
        static_cast<unsigned long long>(o.topics), o.wildcard ? "true" : "false", o.nations,
        o.systems, static_cast<unsigned long long>(got),
        static_cast<unsigned long long>(expected - got), publish_rate, delivered_rate,
        cpu_per_delivery, per_sent_frame, per_received_frame, messages.envelope_bytes());
  } else {
    std::printf(
        "throughput %d -> %d, %llu messages of %zu B (%s) on %llu topic(s)%s, CURVE on, "
        "policy of %d nations + %d filler systems\n",
        o.publishers, o.subscribers, static_cast<unsigned long long>(o.messages),
        messages.envelope_bytes(), messages.kind(), static_cast<unsigned long long>(o.topics),
        o.wildcard ? ", wildcard subscribers" : "", o.nations, o.systems);
    std::printf("  published:  %.0f msgs/s\n", publish_rate);
    std::printf("  delivered:  %.0f deliveries/s (%llu of %llu, lost %llu)\n", delivered_rate,
                static_cast<unsigned long long>(got), static_cast<unsigned long long>(expected),
                static_cast<unsigned long long>(expected - got));
    std::printf("  broker CPU: %.2f us per delivery\n", cpu_per_delivery);
    std::printf("  batching:   %.1f messages per frame published, %.1f per frame delivered\n",
                per_sent_frame, per_received_frame);
  }
  return got == expected ? 0 : 3;
}

int run_latency(const Options& o) {
  BenchBed bed({1, 1, o.nations - 5, o.systems, o.session_queue_bytes, o.cop});
  const std::string topic = "track.COL.radar.rx17.T0042";
  const Messages messages(o.size, topic);
  std::atomic<std::uint64_t> received{0};
  // Written by the subscriber's I/O thread only, read after. End to end from the
  // monotonic time carried in the payload; the two legs from the wall-clock times of the
  // envelope (publish) and the delivery (broker receive), all on this one host.
  LogHistogram histogram, to_broker, from_broker;
  if (!bed.subscribers.front()->subscribe(topic, [&](const Delivery& d) {
        if (const auto stamp = Messages::stamp(d))
          histogram.record(static_cast<double>(steady_ns() - *stamp) / 1000.0);
        const std::int64_t received_at = now_ns();
        to_broker.record(static_cast<double>(d.receive_time_ns() - d.envelope().publish_time_ns()) /
                         1000.0);
        from_broker.record(static_cast<double>(received_at - d.receive_time_ns()) / 1000.0);
        received.fetch_add(1, std::memory_order_release);
      })) {
    return 1;
  }
  const auto total = static_cast<std::uint64_t>(o.rate * o.duration);
  const auto period = std::chrono::nanoseconds(static_cast<std::int64_t>(1e9 / o.rate));
  Client& publisher = *bed.publishers.front();
  const double cpu_before = process_cpu_us(bed.broker->pid());
  const auto start = Clock::now();
  for (std::uint64_t n = 0; n < total; ++n) {
    // An absolute schedule: a late send does not push every later one back.
    std::this_thread::sleep_until(start + period * static_cast<std::int64_t>(n));
    const auto publish = [&](auto&& build) { return publish_blocking(publisher, topic, build); };
    if (!messages.publish(publish, steady_ns(), n)) return 1;
    if (n % static_cast<std::uint64_t>(o.rate) == 0) {
      std::fprintf(stderr, "\r  %llu / %llu sent", static_cast<unsigned long long>(n),
                   static_cast<unsigned long long>(total));
    }
  }
  (void)await_deliveries(received, total);
  const std::uint64_t got = received.load(std::memory_order_acquire);
  const double cpu_per_delivery = (process_cpu_us(bed.broker->pid()) - cpu_before) /
                                  static_cast<double>(std::max<std::uint64_t>(got, 1));
  const auto q = [&](double quantile) { return histogram.quantile(quantile); };
  if (o.json) {
    std::printf(
        "{\"system\":\"enlace\",\"scenario\":\"latency\",\"rate\":%.0f,\"sent\":%llu,\"received\":%"
        "llu,"
        "\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,\"max_us\":%.1f,"
        "\"to_broker_p50_us\":%.1f,\"to_broker_p99_us\":%.1f,\"from_broker_p50_us\":%.1f,"
        "\"from_broker_p99_us\":%.1f,\"envelope_bytes\":%zu,"
        "\"broker_cpu_us_per_delivery\":%.3f}\n",
        o.rate, static_cast<unsigned long long>(total), static_cast<unsigned long long>(got),
        q(0.5), q(0.9), q(0.99), q(0.999), histogram.max(), to_broker.quantile(0.5),
        to_broker.quantile(0.99), from_broker.quantile(0.5), from_broker.quantile(0.99),
        messages.envelope_bytes(), cpu_per_delivery);
  } else {
    std::printf("latency at %.0f msgs/s for %.0f s, 1 -> 1, %zu B envelopes (%s), CURVE on\n",
                o.rate, o.duration, messages.envelope_bytes(), messages.kind());
    std::printf("  received %llu of %llu\n", static_cast<unsigned long long>(got),
                static_cast<unsigned long long>(total));
    std::printf("  p50 %.0f us  p90 %.0f us  p99 %.0f us  p99.9 %.0f us  max %.0f us\n", q(0.5),
                q(0.9), q(0.99), q(0.999), histogram.max());
    std::printf(
        "  legs: publish -> broker p50 %.0f us, p99 %.0f us; broker -> callback p50 %.0f "
        "us, p99 %.0f us\n",
        to_broker.quantile(0.5), to_broker.quantile(0.99), from_broker.quantile(0.5),
        from_broker.quantile(0.99));
    std::printf("  broker CPU: %.2f us per delivery\n", cpu_per_delivery);
  }
  return got == total ? 0 : 3;
}

// --- the flood scenario -----------------------------------------------------------------

// One phase's latency samples: when each arrived (steady clock) and its end-to-end latency,
// kept so the flood phase can be split at the moment the broker cut the flooder off.
// Written by the subscriber's I/O thread only, read after the phase.
struct Phase {
  explicit Phase(std::size_t capacity) : samples(capacity) {}
  std::vector<std::pair<std::int64_t, double>> samples;
  std::size_t count = 0;
  double broker_cpu_us = 0;  // the broker's CPU time during the phase (all its rounds)

  LogHistogram histogram(std::int64_t from_ns, std::int64_t to_ns) const {
    LogHistogram h;
    for (std::size_t i = 0; i < count; ++i) {
      if (samples[i].first >= from_ns && samples[i].first < to_ns) h.record(samples[i].second);
    }
    return h;
  }
  // The samples recorded from index `first` up to `last`: one round of a phase.
  LogHistogram slice(std::size_t first, std::size_t last) const {
    LogHistogram h;
    for (std::size_t i = first; i < last && i < count; ++i) h.record(samples[i].second);
    return h;
  }
};

// The counter `name` of the broker's metrics file, by text search (the bench reads a few
// numbers; it needs no JSON parser). 0 when absent. Inside "refusals" the names are codes.
std::uint64_t metric(const std::string& json, const std::string& name) {
  const std::string key = "\"" + name + "\":";
  const auto at = json.find(key);
  return at == std::string::npos ? 0 : std::stoull(json.substr(at + key.size()));
}

std::string read_metrics(const test::BrokerProcess& broker) {
  std::ifstream in(broker.directory() / "metrics.json");
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The metrics file once the broker has rewritten it (every second, by rename) after now:
// a bounded wait, so that it holds what happened up to now.
std::string read_fresh_metrics(const test::BrokerProcess& broker) {
  const auto metrics_file = broker.directory() / "metrics.json";
  const auto now = std::filesystem::file_time_type::clock::now();
  for (int i = 0; i < 1000; ++i) {
    std::error_code ec;
    if (std::filesystem::last_write_time(metrics_file, ec) > now && !ec) break;
    poll(nullptr, 0, 10);  // a bounded wait for the broker's next write, not a settle time
  }
  return read_metrics(broker);
}

// Subscribes the measuring subscriber: each delivery's latency goes into the current phase
// (if any) and `received` counts it.
bool subscribe_recording(Client& subscriber, const std::string& topic, std::atomic<Phase*>& current,
                         std::atomic<std::uint64_t>& received) {
  return subscriber
      .subscribe(
          topic,
          [&](const Delivery& d) {
            Phase* phase = current.load(std::memory_order_acquire);
            const auto stamp = Messages::stamp(d);
            if (phase != nullptr && stamp && phase->count < phase->samples.size()) {
              const std::int64_t now = steady_ns();
              phase->samples[phase->count++] = {now, static_cast<double>(now - *stamp) / 1000.0};
            }
            received.fetch_add(1, std::memory_order_release);
          })
      .ok();
}

// Gives the calling thread (and the threads it creates later) the nice value `nice`.
void set_nice(int nice) {
  if (nice != 0 && ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), nice) != 0)
    std::fprintf(stderr, "enlace-bench: setpriority failed; the flooder runs at nice 0\n");
}

// A flooding publisher: a COL sensor whose policy entry allows `rate` messages/s, added
// to the running broker's policy by a reload (the bench bed's policy is fixed at start).
std::unique_ptr<Client> connect_flooder(BenchBed& bed, double rate,
                                        std::atomic<std::int64_t>& cut_off_ns) {
  const KeyPair keys = generate_keypair();
  bed.coalition.extra +=
      "\n[[systems]]\nid = \"flooder\"\nnation = \"COL\"\nrole = \"sensor\"\n"
      "public_key = \"" +
      keys.public_key + "\"\nrate = " + std::to_string(rate) + "\nburst = " + std::to_string(rate) +
      "\n";
  bed.broker->reload(bed.coalition);
  ClientOptions options = bed.broker->options_for({"flooder", "COL", "sensor", keys});
  options.heartbeat = std::chrono::seconds(5);
  // As fast as the SDK takes it: a full send queue blocks the publisher until there is
  // room, as a full ZeroMQ socket would, instead of spinning beside the measured pair.
  options.send_queue_wait = std::chrono::seconds(1);
  options.on_error = [&cut_off_ns](const ErrorInfo& error) {
    if (error.code == Errc::rate_limited && error.reason.find("cut off") != std::string::npos) {
      std::int64_t none = 0;
      cut_off_ns.compare_exchange_strong(none, steady_ns());
    }
  };
  auto client = std::make_unique<Client>(options);
  // The reload is asynchronous: the handshake is refused until it took effect, and the
  // client retries.
  if (!client->wait_connected(std::chrono::seconds(20)))
    throw std::runtime_error("the flooder did not connect");
  return client;
}

// Publishes `duration` seconds at `rate` from the bed's publisher, the subscriber recording
// into `phase`; waits for the deliveries. Returns how many arrived.
std::uint64_t measure_phase(BenchBed& bed, const Messages& messages, const std::string& topic,
                            const Options& o, std::atomic<Phase*>& current, Phase& phase,
                            const std::atomic<std::uint64_t>& received) {
  const auto total = static_cast<std::uint64_t>(o.rate * o.duration);
  const auto period = std::chrono::nanoseconds(static_cast<std::int64_t>(1e9 / o.rate));
  Client& publisher = *bed.publishers.front();
  const std::uint64_t before = received.load();
  const double cpu_before = process_cpu_us(bed.broker->pid());
  current.store(&phase, std::memory_order_release);
  const auto start = Clock::now();
  for (std::uint64_t n = 0; n < total; ++n) {
    std::this_thread::sleep_until(start + period * static_cast<std::int64_t>(n));
    const auto publish = [&](auto&& build) { return publish_blocking(publisher, topic, build); };
    if (!messages.publish(publish, steady_ns(), n)) break;
  }
  (void)await_deliveries(received, before + total);
  current.store(nullptr, std::memory_order_release);
  phase.broker_cpu_us += process_cpu_us(bed.broker->pid()) - cpu_before;
  return received.load() - before;
}

int run_flood(const Options& o) {
  BenchBed bed({1, 1, o.nations - 5, o.systems});
  const std::string topic = "track.COL.radar.rx17.T0042";
  const Messages messages(o.size, topic);
  const auto capacity = static_cast<std::size_t>(o.rate * o.duration) + 1;
  Phase alone(capacity), flooded(capacity);
  std::atomic<Phase*> current{nullptr};
  std::atomic<std::uint64_t> received{0};
  if (!subscribe_recording(*bed.subscribers.front(), topic, current, received)) return 1;
  std::atomic<std::int64_t> cut_off_ns{0};
  // Made on a thread at the flooder's nice value: the SDK's and ZeroMQ's threads inherit it.
  std::unique_ptr<Client> flooder;
  std::thread([&] {
    set_nice(o.flood_nice);
    flooder = connect_flooder(bed, o.flood_rate, cut_off_ns);
  }).join();

  // Phase 1: the pair alone (the flooder connected, silent).
  const std::uint64_t got_alone = measure_phase(bed, messages, topic, o, current, alone, received);

  // Phase 2: the same, while the flooder publishes as fast as it can on its own topic.
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> flood_queued{0};
  const std::int64_t flood_start_ns = steady_ns();
  std::thread flood([&] {
    set_nice(o.flood_nice);
    const std::string flood_topic = "track.COL.flood.T1";
    std::uint64_t n = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      if (flooder->publish(flood_topic, track(0, n++))) {
        flood_queued.fetch_add(1, std::memory_order_relaxed);
      }
    }
  });
  const std::string metrics_before = read_metrics(*bed.broker);
  const std::uint64_t got_flooded =
      measure_phase(bed, messages, topic, o, current, flooded, received);
  stop.store(true);
  flood.join();
  const std::int64_t flood_end_ns = steady_ns();
  const std::string metrics_after = read_fresh_metrics(*bed.broker);
  const auto delta = [&](const std::string& name) {
    return metric(metrics_after, name) - metric(metrics_before, name);
  };

  const std::int64_t cut = cut_off_ns.load();
  const LogHistogram h_alone = alone.histogram(0, INT64_MAX);
  const LogHistogram h_flooded = flooded.histogram(0, INT64_MAX);
  const LogHistogram h_flooding = flooded.histogram(0, cut ? cut : INT64_MAX);
  const LogHistogram h_after = flooded.histogram(cut ? cut : INT64_MAX, INT64_MAX);
  const double seconds = static_cast<double>(flood_end_ns - flood_start_ns) / 1e9;
  const auto ratio = [](double a, double b) { return b > 0 ? a / b : 0.0; };
  if (o.json) {
    std::printf(
        "{\"system\":\"enlace\",\"scenario\":\"flood\",\"rate\":%.0f,\"flood_rate_limit\":%.0f,"
        "\"flood_nice\":%d,\"alone_p50_us\":%.1f,\"alone_p99_us\":%.1f,\"flooded_p50_us\":%.1f,"
        "\"flooded_p99_us\":%.1f,\"flooding_p50_us\":%.1f,\"flooding_p99_us\":%.1f,"
        "\"after_cut_off_p50_us\":%.1f,\"after_cut_off_p99_us\":%.1f,"
        "\"p99_ratio\":%.2f,\"alone_broker_cpu_us\":%.0f,\"flooded_broker_cpu_us\":%.0f,"
        "\"flood_queued\":%llu,\"flood_refused\":%llu,\"errors_sent\":%llu,"
        "\"cut_off_after_s\":%.2f,\"received_alone\":%llu,\"received_flooded\":%llu}\n",
        o.rate, o.flood_rate, o.flood_nice, h_alone.quantile(0.5), h_alone.quantile(0.99),
        h_flooded.quantile(0.5), h_flooded.quantile(0.99), h_flooding.quantile(0.5),
        h_flooding.quantile(0.99), h_after.quantile(0.5), h_after.quantile(0.99),
        ratio(h_flooded.quantile(0.99), h_alone.quantile(0.99)), alone.broker_cpu_us,
        flooded.broker_cpu_us, static_cast<unsigned long long>(flood_queued.load()),
        static_cast<unsigned long long>(delta("rate_limited")),
        static_cast<unsigned long long>(delta("errors_sent")),
        cut ? static_cast<double>(cut - flood_start_ns) / 1e9 : -1.0,
        static_cast<unsigned long long>(got_alone), static_cast<unsigned long long>(got_flooded));
  } else {
    std::printf(
        "flood: latency at %.0f msgs/s for %.0f s per phase, 1 -> 1, %zu B envelopes (%s), "
        "CURVE on; flooder limited to %.0f msgs/s, at nice %d\n",
        o.rate, o.duration, messages.envelope_bytes(), messages.kind(), o.flood_rate, o.flood_nice);
    const auto line = [](const char* name, const LogHistogram& h) {
      std::printf("  %-26s p50 %6.0f us  p90 %6.0f us  p99 %6.0f us  p99.9 %6.0f us  (%llu)\n",
                  name, h.quantile(0.5), h.quantile(0.9), h.quantile(0.99), h.quantile(0.999),
                  static_cast<unsigned long long>(h.count()));
    };
    line("without flooder:", h_alone);
    line("with flooder (phase):", h_flooded);
    if (cut) {
      line("  until the cut-off:", h_flooding);
      line("  after the cut-off:", h_after);
    }
    std::printf("  p50 x%.2f, p99 x%.2f with the flooder\n",
                ratio(h_flooded.quantile(0.5), h_alone.quantile(0.5)),
                ratio(h_flooded.quantile(0.99), h_alone.quantile(0.99)));
    std::printf("  broker CPU: %.0f ms without, %.0f ms with the flooder\n",
                alone.broker_cpu_us / 1000, flooded.broker_cpu_us / 1000);
    std::printf(
        "  flooder: %llu publishes queued in %.1f s; broker refused %llu (rate_limited), "
        "answered %llu errors in all; %s\n",
        static_cast<unsigned long long>(flood_queued.load()), seconds,
        static_cast<unsigned long long>(delta("rate_limited")),
        static_cast<unsigned long long>(delta("errors_sent")),
        cut ? ("cut off after " + std::to_string(static_cast<double>(cut - flood_start_ns) / 1e9) +
               " s")
                  .c_str()
            : "never cut off");
  }
  const auto expected = static_cast<std::uint64_t>(o.rate * o.duration);
  return got_alone == expected && got_flooded == expected ? 0 : 3;
}

// --- the stalled-subscribers scenario ----------------------------------------------------

// A field of /proc/PID/status in KiB ("VmHWM": peak resident set size).
std::uint64_t status_kib(int pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stoull(line.substr(field.size() + 1));
  }
  return 0;
}

int run_stalled(const Options& o) {
  BenchBed bed({1, 1 + o.stalled, o.nations - 5, o.systems, o.session_queue_bytes});
  const std::string topic = "track.COL.radar.rx17.T0042";
  const Messages messages(o.size, topic);
  const auto per_phase = static_cast<std::uint64_t>(o.rate * o.duration);
  const auto capacity = per_phase * static_cast<std::uint64_t>(o.rounds) + 1;
  Phase alone(capacity), beside(capacity);
  std::atomic<Phase*> current{nullptr};
  std::atomic<std::uint64_t> received{0};
  if (!subscribe_recording(*bed.subscribers.front(), topic, current, received)) return 1;
  for (std::size_t i = 1; i < bed.subscribers.size(); ++i) bed.subscribers[i].reset();
  const std::string metrics_before = read_metrics(*bed.broker);
  std::uint64_t got_alone = 0, got_beside = 0, rss_alone_kib = 0;
  // Each round's p99 beside the stalled over its p99 alone, the two phases measured back to
  // back: a host hiccup moves one round's ratio, where it would move the pooled p99 of a
  // whole phase kind.
  std::vector<double> round_ratios;
  for (int round = 0; round < o.rounds; ++round) {
    const std::size_t alone_first = alone.count, beside_first = beside.count;
    got_alone += measure_phase(bed, messages, topic, o, current, alone, received);
    if (round == 0) rss_alone_kib = status_kib(bed.broker->pid(), "VmHWM");

    // The stalled subscribers, connected afresh for each round: each callback blocks until
    // the phase is over, so that its client stops reading at the first delivery.
    std::mutex mutex;
    std::condition_variable released_cv;
    bool released = false;
    for (std::size_t i = 1; i < bed.subscribers.size(); ++i) {
      bed.subscribers[i] = bed.connect("sub" + std::to_string(i));
      if (!bed.subscribers[i]->subscribe(topic, [&](const Delivery&) {
            std::unique_lock lock(mutex);
            released_cv.wait(lock, [&] { return released; });
          })) {
        return 1;
      }
    }
    got_beside += measure_phase(bed, messages, topic, o, current, beside, received);
    const double p99_alone = alone.slice(alone_first, alone.count).quantile(0.99);
    round_ratios.push_back(
        p99_alone > 0 ? beside.slice(beside_first, beside.count).quantile(0.99) / p99_alone : 0.0);
    {
      std::lock_guard lock(mutex);
      released = true;
    }
    released_cv.notify_all();
    // Each says Bye: the broker ends its session and discards its queue, so the next
    // phase alone is alone.
    for (std::size_t i = 1; i < bed.subscribers.size(); ++i) bed.subscribers[i].reset();
  }
  const std::uint64_t rss_peak_kib = status_kib(bed.broker->pid(), "VmHWM");
  const std::string metrics_after = read_fresh_metrics(*bed.broker);
  const auto delta = [&](const std::string& name) {
    return metric(metrics_after, name) - metric(metrics_before, name);
  };
  const LogHistogram h_alone = alone.histogram(0, INT64_MAX);
  const LogHistogram h_beside = beside.histogram(0, INT64_MAX);
  const double ratio =
      h_alone.quantile(0.99) > 0 ? h_beside.quantile(0.99) / h_alone.quantile(0.99) : 0.0;
  std::vector<double> sorted_ratios = round_ratios;
  std::sort(sorted_ratios.begin(), sorted_ratios.end());
  const std::size_t mid = sorted_ratios.size() / 2;
  const double median_ratio = sorted_ratios.size() % 2 == 1
                                  ? sorted_ratios[mid]
                                  : (sorted_ratios[mid - 1] + sorted_ratios[mid]) / 2;
  std::string ratios_listed;
  for (const double r : round_ratios) {
    char one[32];
    std::snprintf(one, sizeof one, "%s%.2f", ratios_listed.empty() ? "" : ", ", r);
    ratios_listed += one;
  }
  if (o.json) {
    std::printf(
        "{\"system\":\"enlace\",\"scenario\":\"stalled\",\"rate\":%.0f,\"stalled\":%d,"
        "\"rounds\":%d,"
        "\"alone_p50_us\":%.1f,\"alone_p99_us\":%.1f,\"stalled_p50_us\":%.1f,"
        "\"stalled_p99_us\":%.1f,\"p99_ratio\":%.2f,\"round_p99_ratios\":[%s],"
        "\"median_round_p99_ratio\":%.2f,\"alone_broker_cpu_us\":%.0f,"
        "\"stalled_broker_cpu_us\":%.0f,\"broker_peak_rss_kib\":%llu,"
        "\"broker_peak_rss_alone_kib\":%llu,\"dropped\":%llu,\"drop_notices\":%llu,"
        "\"sessions_closed_slow\":%llu,\"received_alone\":%llu,\"received_stalled\":%llu}\n",
        o.rate, o.stalled, o.rounds, h_alone.quantile(0.5), h_alone.quantile(0.99),
        h_beside.quantile(0.5), h_beside.quantile(0.99), ratio, ratios_listed.c_str(), median_ratio,
        alone.broker_cpu_us, beside.broker_cpu_us, static_cast<unsigned long long>(rss_peak_kib),
        static_cast<unsigned long long>(rss_alone_kib),
        static_cast<unsigned long long>(delta("dropped_slow_consumer")),
        static_cast<unsigned long long>(delta("drop_notices")),
        static_cast<unsigned long long>(delta("sessions_closed_slow")),
        static_cast<unsigned long long>(got_alone), static_cast<unsigned long long>(got_beside));
  } else {
    std::printf(
        "stalled: latency at %.0f msgs/s for %.0f s per phase, 1 -> 1 healthy, %zu B envelopes "
        "(%s), CURVE on; %d round(s) of a phase alone, then one beside %d subscribers that "
        "stop reading\n",
        o.rate, o.duration, messages.envelope_bytes(), messages.kind(), o.rounds, o.stalled);
    const auto line = [](const char* name, const LogHistogram& h) {
      std::printf("  %-22s p50 %6.0f us  p90 %6.0f us  p99 %6.0f us  p99.9 %6.0f us  (%llu)\n",
                  name, h.quantile(0.5), h.quantile(0.9), h.quantile(0.99), h.quantile(0.999),
                  static_cast<unsigned long long>(h.count()));
    };
    line("alone:", h_alone);
    line("beside the stalled:", h_beside);
    std::printf("  p99 ratio: %.2f over all rounds; per round %s, median %.2f\n", ratio,
                ratios_listed.c_str(), median_ratio);
    std::printf("  broker CPU: %.0f ms alone, %.0f ms beside the stalled\n",
                alone.broker_cpu_us / 1000, beside.broker_cpu_us / 1000);
    std::printf("  broker peak RSS: %llu KiB (%llu KiB after the first phase)\n",
                static_cast<unsigned long long>(rss_peak_kib),
                static_cast<unsigned long long>(rss_alone_kib));
    std::printf(
        "  for the stalled: %llu deliveries dropped, %llu notices, %llu sessions closed "
        "as slow consumers\n",
        static_cast<unsigned long long>(delta("dropped_slow_consumer")),
        static_cast<unsigned long long>(delta("drop_notices")),
        static_cast<unsigned long long>(delta("sessions_closed_slow")));
  }
  const std::uint64_t total = per_phase * static_cast<std::uint64_t>(o.rounds);
  return got_alone == total && got_beside == total ? 0 : 3;
}

// --- the snapshot scenario --------------------------------------------------------------

int run_snapshot(const Options& o) {
  SetupOptions setup{1, 1, o.nations - 5, o.systems, o.session_queue_bytes};
  setup.cop = true;
  setup.cop_entries = o.snapshot;
  BenchBed bed(setup);
  const auto topics = make_topics(o.snapshot);
  const Messages messages(o.size, topics.back());  // the longest topic: a bound on the size
  Client& publisher = *bed.publishers.front();
  // Fills the cache up to `entries` and waits until the broker holds them all.
  std::uint64_t filled = 0;
  const auto fill_to = [&](std::uint64_t entries) {
    for (; filled < entries; ++filled) {
      // Every 256th publish waits for its acknowledgement, so that no more than that is
      // ever in flight and the broker's inbound buffers stay small.
      const auto publish = [&](auto&& build) {
        if (filled % 256 == 255) return publisher.publish_and_wait(topics[filled], build).ok();
        return publish_blocking(publisher, topics[filled], build);
      };
      if (!messages.publish(publish, 0, filled)) return false;
    }
    if (!publisher.flush(120s)) return false;
    if (bed.broker->wait_metric(
            "cop_entries", [&](auto n) { return n >= entries; }, 120s)) {
      return true;
    }
    std::fprintf(stderr, "enlace-bench: the cache holds %llu of %llu entries\n",
                 static_cast<unsigned long long>(bed.broker->metric("cop_entries").value_or(0)),
                 static_cast<unsigned long long>(entries));
    return false;
  };
  // The cost of an entry is the RSS growth while the second half is stored: by then the
  // buffers that publishing needs (sockets, pipes, the allocator's arenas) have grown
  // already, so what grows is the cache. The envelope bytes are the cache's own count.
  const auto fill_start = Clock::now();
  const std::uint64_t half = o.snapshot / 2;
  if (!fill_to(half)) return 3;
  const std::uint64_t rss_half_kib = bed.broker->rss_kib();
  const std::uint64_t bytes_half = bed.broker->metric("cop_bytes").value_or(0);
  if (!fill_to(o.snapshot)) return 3;
  const double fill_s = std::chrono::duration<double>(Clock::now() - fill_start).count();
  const std::uint64_t rss_after_kib = bed.broker->rss_kib();
  const double measured = static_cast<double>(o.snapshot - half);
  const double per_entry = static_cast<double>(rss_after_kib - rss_half_kib) * 1024.0 / measured;
  const double envelope =
      static_cast<double>(bed.broker->metric("cop_bytes").value_or(0) - bytes_half) / measured;
  const double overhead = per_entry - envelope;

  std::atomic<std::uint64_t> received{0};
  std::atomic<std::uint32_t> counted{0};
  std::atomic<bool> ended{false};
  std::mutex mutex;
  std::condition_variable ended_cv;
  SubscribeOptions options;
  options.snapshot = true;
  options.on_snapshot_end = [&](std::uint32_t count) {
    std::lock_guard lock(mutex);
    counted = count;
    ended = true;
    ended_cv.notify_all();
  };
  const auto start = Clock::now();
  if (!bed.subscribers.front()->subscribe(
          "track.>", [&](const Delivery&) { received.fetch_add(1, std::memory_order_relaxed); },
          options)) {
    return 1;
  }
  {
    std::unique_lock lock(mutex);
    if (!ended_cv.wait_for(lock, 120s, [&] { return ended.load(); })) {
      std::fprintf(stderr, "enlace-bench: no EndOfSnapshot within 120 s\n");
      return 3;
    }
  }
  const double snapshot_ms =
      std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  if (o.json) {
    std::printf(
        "{\"system\":\"enlace\",\"scenario\":\"snapshot\",\"entries\":%llu,"
        "\"envelope_bytes\":%zu,\"received\":%llu,\"end_of_snapshot_count\":%u,"
        "\"snapshot_ms\":%.1f,\"rss_second_half_kib\":%llu,\"bytes_per_entry\":%.0f,"
        "\"envelope_bytes_per_entry\":%.0f,\"overhead_bytes_per_entry\":%.0f,\"fill_s\":%.2f}\n",
        static_cast<unsigned long long>(o.snapshot), messages.envelope_bytes(),
        static_cast<unsigned long long>(received.load()), counted.load(), snapshot_ms,
        static_cast<unsigned long long>(rss_after_kib - rss_half_kib), per_entry, envelope,
        overhead, fill_s);
  } else {
    std::printf("snapshot of %llu cached %s messages of at most %zu B, CURVE on\n",
                static_cast<unsigned long long>(o.snapshot), messages.kind(),
                messages.envelope_bytes());
    std::printf("  subscribe -> EndOfSnapshot: %.1f ms (%llu deliveries, count %u)\n", snapshot_ms,
                static_cast<unsigned long long>(received.load()), counted.load());
    std::printf(
        "  broker RSS: +%llu KiB for the second half: %.0f B per entry, of which %.0f B "
        "envelope and %.0f B overhead\n",
        static_cast<unsigned long long>(rss_after_kib - rss_half_kib), per_entry, envelope,
        overhead);
    std::printf("  filling the cache took %.2f s\n", fill_s);
  }
  return received.load() == o.snapshot && counted.load() == o.snapshot ? 0 : 3;
}

// --- the scrape-cost scenario ------------------------------------------------------------

/// Fetches /metrics from `address` once a second until stopped; counts the good answers.
class Scraper {
 public:
  explicit Scraper(std::string address) : address_(std::move(address)) {
    thread_ = std::thread([this] {
      auto next = Clock::now();
      std::unique_lock lock(mutex_);
      while (!stop_) {
        lock.unlock();
        const auto response = test::http_get(address_, "/metrics");
        if (response.status == 200 && !response.body.empty()) ++scrapes_;
        bytes_ = response.body.size();
        lock.lock();
        next += 1s;
        stopped_.wait_until(lock, next, [this] { return stop_; });
      }
    });
  }
  ~Scraper() { stop(); }
  void stop() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    stopped_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  std::uint64_t scrapes() const { return scrapes_; }
  std::size_t bytes() const { return bytes_; }

 private:
  std::string address_;
  std::mutex mutex_;
  std::condition_variable stopped_;
  bool stop_ = false;
  std::atomic<std::uint64_t> scrapes_{0};
  std::atomic<std::size_t> bytes_{0};
  std::thread thread_;
};

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n == 0 ? 0 : (n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2);
}

int run_scrape_metrics(const Options& o) {
  BenchBed bed({1, 1, o.nations - 5, o.systems, o.session_queue_bytes, o.cop});
  if (bed.broker->http_address().empty())
    throw std::runtime_error("the broker has no HTTP endpoint");
  const std::string topic = "track.COL.radar.rx17.T0042";
  const Messages messages(o.size, topic);
  std::atomic<std::uint64_t> received{0};
  if (!bed.subscribers.front()->subscribe(
          topic, [&](const Delivery&) { received.fetch_add(1, std::memory_order_relaxed); }))
    return 1;
  Client& publisher = *bed.publishers.front();
  std::uint64_t sequence = 0;
  // One phase: o.messages published as fast as the publisher can, the delivered rate.
  const auto phase = [&](std::uint64_t& lost) {
    received.store(0);
    const auto start = Clock::now();
    for (std::uint64_t n = 0; n < o.messages; ++n) {
      const auto publish = [&](auto&& build) { return publish_blocking(publisher, topic, build); };
      if (!messages.publish(publish, 0, sequence++)) break;
    }
    (void)publisher.flush(60s);
    const auto done = await_deliveries(received, o.messages);
    lost += o.messages - received.load();
    return static_cast<double>(received.load()) /
           std::chrono::duration<double>(done - start).count();
  };
  std::vector<double> without, with;
  std::uint64_t lost = 0, scrapes = 0;
  std::size_t scrape_bytes = 0;
  // The broker's CPU per delivery in each kind of phase: less noisy than the rate on a
  // shared machine.
  double cpu_without = 0, cpu_with = 0;
  std::uint64_t delivered_without = 0, delivered_with = 0;
  const auto measured = [&](bool scraping) {
    const double cpu_before = process_cpu_us(bed.broker->pid());
    std::optional<Scraper> scraper;
    if (scraping) scraper.emplace(bed.broker->http_address());
    const double rate = phase(lost);
    if (scraper) {
      scraper->stop();
      scrapes += scraper->scrapes();
      scrape_bytes = scraper->bytes();
    }
    (scraping ? cpu_with : cpu_without) += process_cpu_us(bed.broker->pid()) - cpu_before;
    (scraping ? delivered_with : delivered_without) += received.load();
    (scraping ? with : without).push_back(rate);
  };
  for (int round = 0; round < o.rounds; ++round) {
    // Each kind goes first in every other round, so that neither always follows the other.
    const bool scraping_first = round % 2 == 1;
    measured(scraping_first);
    measured(!scraping_first);
  }
  const double cpu_per_delivery_without =
      cpu_without / static_cast<double>(std::max<std::uint64_t>(delivered_without, 1));
  const double cpu_per_delivery_with =
      cpu_with / static_cast<double>(std::max<std::uint64_t>(delivered_with, 1));
  const double rate_without = median(without), rate_with = median(with);
  const double cost = 1.0 - rate_with / rate_without;
  if (o.json) {
    std::printf(
        "{\"system\":\"enlace\",\"scenario\":\"scrape_metrics\",\"rounds\":%d,\"messages\":%llu,"
        "\"rate_without\":%.0f,\"rate_with\":%.0f,\"cost\":%.4f,\"scrapes\":%llu,"
        "\"metrics_bytes\":%zu,\"lost\":%llu,\"broker_cpu_us_per_delivery_without\":%.3f,"
        "\"broker_cpu_us_per_delivery_with\":%.3f}\n",
        o.rounds, static_cast<unsigned long long>(o.messages), rate_without, rate_with, cost,
        static_cast<unsigned long long>(scrapes), scrape_bytes,
        static_cast<unsigned long long>(lost), cpu_per_delivery_without, cpu_per_delivery_with);
  } else {
    std::printf(
        "scrape cost: throughput 1 -> 1, %llu messages of %zu B (%s) per phase, %d round(s)\n",
        static_cast<unsigned long long>(o.messages), messages.envelope_bytes(), messages.kind(),
        o.rounds);
    for (int round = 0; round < o.rounds; ++round)
      std::printf("  round %d: %.0f msgs/s without scraping, %.0f with\n", round + 1,
                  without[static_cast<std::size_t>(round)], with[static_cast<std::size_t>(round)]);
    std::printf("  median: %.0f msgs/s without, %.0f with: cost %.1f %%\n", rate_without, rate_with,
                100 * cost);
    std::printf("  broker CPU: %.3f us per delivery without, %.3f with\n", cpu_per_delivery_without,
                cpu_per_delivery_with);
    std::printf("  %llu scrapes of /metrics (%zu B each), %llu deliveries lost\n",
                static_cast<unsigned long long>(scrapes), scrape_bytes,
                static_cast<unsigned long long>(lost));
  }
  return lost == 0 ? 0 : 3;
}

}  // namespace

int main(int argc, char** argv) {
  if (std::any_of(argv + 1, argv + argc,
                  [](const char* a) { return a == std::string("--durable"); })) {
    try {
      return run_durable(argc, argv);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "enlace-bench: %s\n", e.what());
      return 1;
    }
  }
  const Options options = parse(argc, argv);
  try {
    if (options.flood) return run_flood(options);
    if (options.stalled > 0) return run_stalled(options);
    if (options.scrape_metrics) return run_scrape_metrics(options);
    if (options.scenario == "snapshot") return run_snapshot(options);
    return options.scenario == "latency" ? run_latency(options) : run_throughput(options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "enlace-bench: %s\n", e.what());
    return 1;
  }
}
