// The scenario harness shared by every peer driver of bench/compare.
//
// A driver only says how to reach its server (a Transport); the harness owns everything that
// must be identical across systems so the figures compare: the payload layout, the readiness
// probe, the throughput loop with backpressure, the paced latency loop, the log-bucket
// histogram, the stop rule (everything arrived, or 2 s without progress) and the JSON line.
// enlace-bench follows the same contract (bench/README.md).
//
// Threads: the harness's own thread publishes and waits; the Transport's client threads call
// Sink::deliver. Every field a delivery touches is atomic, so a delivery that arrives late
// (after the stop rule fired, while the transport is closing) is harmless.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace enlace::bench {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

inline std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

// Payload layout, the same on every system: kind (1 byte), sequence (8), send time (8), filler.
// A probe is a message the subscribers count as "the route is up", never as a delivery.
enum class Kind : std::uint8_t { probe = 0, data = 1 };
constexpr std::size_t header_size = 17;

inline void write_header(std::uint8_t* buf, Kind kind, std::uint64_t seq, std::int64_t sent_ns) {
  buf[0] = static_cast<std::uint8_t>(kind);
  std::memcpy(buf + 1, &seq, sizeof seq);
  std::memcpy(buf + 9, &sent_ns, sizeof sent_ns);
}

// Latency histogram: 8 buckets per power of two from 1 us to ~10 s (2^(1/8) ratio, so a
// reported percentile is within 9 % of the true value). Fixed storage, no allocation per
// sample; atomics because the recording thread is a client-library thread.
class Histogram {
 public:
  static constexpr int per_octave = 8;
  static constexpr int buckets = 8 * 24;  // 2^24 us ~ 16.7 s

  void record(double us) {
    const double clamped = us < 1.0 ? 1.0 : us;
    int index = static_cast<int>(std::log2(clamped) * per_octave);
    if (index >= buckets) index = buckets - 1;
    counts_[static_cast<std::size_t>(index)].fetch_add(1, std::memory_order_relaxed);
    count_.fetch_add(1, std::memory_order_relaxed);
    auto seen = max_us_.load(std::memory_order_relaxed);
    while (us > seen && !max_us_.compare_exchange_weak(seen, us, std::memory_order_relaxed)) {
    }
  }

  // Upper edge of the bucket holding quantile q, capped at the largest sample seen.
  double percentile(double q) const {
    const std::uint64_t total = count_.load();
    if (total == 0) return 0;
    const auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(total)));
    std::uint64_t running = 0;
    for (int i = 0; i < buckets; ++i) {
      running += counts_[static_cast<std::size_t>(i)].load();
      if (running >= rank && running > 0) {
        return std::min(std::exp2(static_cast<double>(i + 1) / per_octave), max_us());
      }
    }
    return max_us();
  }
  double max_us() const { return max_us_.load(); }

 private:
  std::atomic<std::uint64_t> counts_[buckets] = {};
  std::atomic<std::uint64_t> count_{0};
  std::atomic<double> max_us_{0};
};

// What the transport's client threads report to.
class Sink {
 public:
  explicit Sink(int subscribers)
      : ready_(std::make_unique<std::atomic<bool>[]>(static_cast<std::size_t>(subscribers))),
        subscribers_(subscribers) {}

  // Called from a client-library thread for every message subscriber `index` receives.
  void deliver(int index, const void* data, std::size_t size) {
    if (size < header_size || index < 0 || index >= subscribers_) return;
    const auto* bytes = static_cast<const std::uint8_t*>(data);
    if (bytes[0] == static_cast<std::uint8_t>(Kind::probe)) {
      ready_[static_cast<std::size_t>(index)].store(true, std::memory_order_relaxed);
      return;
    }
    const std::int64_t now = now_ns();
    delivered_.fetch_add(1, std::memory_order_relaxed);
    last_rx_ns_.store(now, std::memory_order_relaxed);
    if (latency_) {
      std::int64_t sent = 0;
      std::memcpy(&sent, bytes + 9, sizeof sent);
      latency_->record(static_cast<double>(now - sent) / 1e3);
    }
  }

  bool all_ready() const {
    for (int i = 0; i < subscribers_; ++i) {
      if (!ready_[static_cast<std::size_t>(i)].load()) return false;
    }
    return true;
  }
  std::uint64_t delivered() const { return delivered_.load(); }
  std::int64_t last_rx_ns() const { return last_rx_ns_.load(); }
  void measure_latency(Histogram* histogram) { latency_ = histogram; }

 private:
  std::unique_ptr<std::atomic<bool>[]> ready_;
  int subscribers_;
  std::atomic<std::uint64_t> delivered_{0};
  std::atomic<std::int64_t> last_rx_ns_{0};
  Histogram* latency_ = nullptr;  // set before open(), never changed after
};

enum class Sent { ok, busy, failed };

// One system's client side: one publisher and N subscribers on one topic.
class Transport {
 public:
  virtual ~Transport() = default;
  // Connects the publisher and `subscribers` subscribers, every one subscribed to the bench
  // topic, deliveries reported to `sink`. False (with a message on stderr) if it cannot.
  virtual bool open(int subscribers, Sink& sink) = 0;
  // Hands one message to the client library. `busy` is the library's backpressure (try again
  // later, nothing was queued); `failed` ends the run.
  virtual Sent publish(const std::uint8_t* data, std::size_t size) = 0;
  // Pushes out whatever the client library still buffers; bounded in time.
  virtual void flush() {}
  // Stops every client thread and disconnects.
  virtual void close() = 0;
};

struct Options {
  std::string system;
  std::string scenario = "throughput";
  std::uint64_t messages = 200000;
  int subscribers = 1;
  std::size_t size = 200;
  double rate = 10000;
  double duration_s = 5;
};

// A driver's own flags: returns true if it consumed `flag` (taking its value through `value`).
using ExtraOption =
    std::function<bool(std::string_view flag, const std::function<std::string()>& value)>;

namespace detail {

[[noreturn]] inline void usage(const std::string& name, const std::string& extra, int code) {
  std::fprintf(code ? stderr : stdout,
               "usage: %s --scenario throughput [--messages N] [--subscribers S] [--size BYTES]\n"
               "       %s --scenario latency [--rate R] [--duration SECONDS] [--size BYTES]\n"
               "       common: [--system LABEL] [--json] %s\n",
               name.c_str(), name.c_str(), extra.c_str());
  std::exit(code);
}

inline bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  const auto deadline = Clock::now() + limit;
  while (!done()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);  // polled condition with a deadline
  }
  return true;
}

// Sends probes until every subscriber has received one (the route is up end to end).
inline bool wait_route(Transport& transport, Sink& sink, std::size_t size) {
  std::vector<std::uint8_t> probe(size, 0);
  write_header(probe.data(), Kind::probe, 0, 0);
  const auto deadline = Clock::now() + 10s;
  while (!sink.all_ready()) {
    if (Clock::now() > deadline) return false;
    if (transport.publish(probe.data(), probe.size()) == Sent::failed) return false;
    transport.flush();
    std::this_thread::sleep_for(20ms);  // probe period; bounded by the 10 s deadline above
  }
  return true;
}

// Waits until `expected` deliveries arrived or none arrived for 2 s.
inline void drain(const Sink& sink, std::uint64_t expected) {
  std::uint64_t last = sink.delivered();
  auto last_progress = Clock::now();
  while (sink.delivered() < expected && Clock::now() - last_progress < 2s) {
    std::this_thread::sleep_for(2ms);  // progress poll, bounded by the 2 s idle rule
    if (const auto now = sink.delivered(); now != last) {
      last = now;
      last_progress = Clock::now();
    }
  }
}

// Publishes one message, yielding while the library pushes back. False if it failed or the
// library stayed busy for 10 s.
inline bool publish_one(Transport& transport, const std::uint8_t* data, std::size_t size) {
  for (auto since = Clock::time_point{};;) {
    switch (transport.publish(data, size)) {
      case Sent::ok:
        return true;
      case Sent::failed:
        return false;
      case Sent::busy:
        if (since == Clock::time_point{})
          since = Clock::now();
        else if (Clock::now() - since > 10s)
          return false;
        std::this_thread::yield();
        break;
    }
  }
}

inline int throughput(const Options& o, Transport& transport, Sink& sink) {
  std::vector<std::uint8_t> buf(o.size, 0xA5);
  const std::uint64_t expected = o.messages * static_cast<std::uint64_t>(o.subscribers);
  std::uint64_t sent = 0;
  bool failed = false;
  const std::int64_t start = now_ns();
  for (; sent < o.messages; ++sent) {
    write_header(buf.data(), Kind::data, sent, 0);
    if (!publish_one(transport, buf.data(), buf.size())) {
      std::fprintf(stderr, "%s: publish failed after %llu messages\n", o.system.c_str(),
                   static_cast<unsigned long long>(sent));
      failed = true;
      break;
    }
  }
  transport.flush();
  const std::int64_t published = now_ns();
  drain(sink, sent * static_cast<std::uint64_t>(o.subscribers));
  const std::uint64_t got = sink.delivered();
  const std::int64_t end = got ? std::max(sink.last_rx_ns(), start + 1) : published;
  const double publish_rate =
      static_cast<double>(sent) / (static_cast<double>(published - start) / 1e9);
  const double delivered_rate = static_cast<double>(got) / (static_cast<double>(end - start) / 1e9);
  std::printf(
      "{\"system\":\"%s\",\"scenario\":\"throughput\",\"subscribers\":%d,\"messages\":%llu,"
      "\"size\":%zu,\"delivered\":%llu,\"lost\":%llu,\"publish_rate\":%.0f,\"delivered_rate\":%.0f}"
      "\n",
      o.system.c_str(), o.subscribers, static_cast<unsigned long long>(o.messages), o.size,
      static_cast<unsigned long long>(got),
      static_cast<unsigned long long>(expected > got ? expected - got : 0), publish_rate,
      delivered_rate);
  std::fflush(stdout);
  return failed ? 1 : 0;
}

}  // namespace detail

// Publishes `count` messages of `size` bytes at `rate` messages/s on an absolute schedule (a
// late wake-up shortens the next wait instead of drifting the rate), each stamped with its
// sequence and send time (write_header). Returns how many were published: `count`, or fewer
// when `publish(data, size)` returned false.
template <class Publish>
std::uint64_t paced_publish(std::uint64_t count, double rate, std::size_t size, Publish&& publish) {
  std::vector<std::uint8_t> buf(size, 0xA5);
  const auto period = std::chrono::duration<double, std::nano>(1e9 / rate);
  const auto start = Clock::now() + 1ms;
  std::uint64_t sent = 0;
  for (; sent < count; ++sent) {
    std::this_thread::sleep_until(
        start + std::chrono::duration_cast<Clock::duration>(period * static_cast<double>(sent)));
    write_header(buf.data(), Kind::data, sent, now_ns());
    if (!publish(buf.data(), buf.size())) break;
  }
  return sent;
}

namespace detail {

inline int latency(const Options& o, Transport& transport, Sink& sink, const Histogram& histogram) {
  const auto count = static_cast<std::uint64_t>(o.rate * o.duration_s);
  const std::uint64_t sent =
      paced_publish(count, o.rate, o.size, [&](const std::uint8_t* data, std::size_t size) {
        return publish_one(transport, data, size);
      });
  const bool failed = sent < count;
  if (failed) {
    std::fprintf(stderr, "%s: publish failed after %llu messages\n", o.system.c_str(),
                 static_cast<unsigned long long>(sent));
  }
  transport.flush();
  drain(sink, sent);
  std::printf(
      "{\"system\":\"%s\",\"scenario\":\"latency\",\"rate\":%.0f,\"duration\":%.1f,\"size\":%zu,"
      "\"sent\":%llu,\"received\":%llu,\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f,"
      "\"p999_us\":%.1f,\"max_us\":%.1f}\n",
      o.system.c_str(), o.rate, o.duration_s, o.size, static_cast<unsigned long long>(sent),
      static_cast<unsigned long long>(sink.delivered()), histogram.percentile(0.50),
      histogram.percentile(0.90), histogram.percentile(0.99), histogram.percentile(0.999),
      histogram.max_us());
  std::fflush(stdout);
  return failed ? 1 : 0;
}

}  // namespace detail

// Parses the common flags (and the driver's through `extra`), runs the scenario against the
// transport `make` builds, prints the JSON line on stdout. Exit codes: 0 ran (losses are
// reported, not an error), 1 the system failed, 2 usage.
// `label` names the system in the JSON line unless --system does; it runs after parsing, so it
// may depend on the driver's flags.
inline int run(int argc, char** argv, const std::function<std::string()>& label,
               const std::string& extra_usage, const ExtraOption& extra,
               const std::function<std::unique_ptr<Transport>()>& make) {
  Options o;
  const std::string name = argc > 0 ? argv[0] : "driver";
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) detail::usage(name, extra_usage, 2);
      return argv[++i];
    };
    try {
      if (flag == "--scenario")
        o.scenario = value();
      else if (flag == "--messages")
        o.messages = std::stoull(value());
      else if (flag == "--subscribers")
        o.subscribers = std::stoi(value());
      else if (flag == "--size")
        o.size = std::stoull(value());
      else if (flag == "--rate")
        o.rate = std::stod(value());
      else if (flag == "--duration")
        o.duration_s = std::stod(value());
      else if (flag == "--system")
        o.system = value();
      else if (flag == "--json") {
      }  // always on
      else if (flag == "--help")
        detail::usage(name, extra_usage, 0);
      else if (!extra(flag, value))
        detail::usage(name, extra_usage, 2);
    } catch (const std::logic_error&) {  // std::stoi and friends on a malformed number
      detail::usage(name, extra_usage, 2);
    }
  }
  if ((o.scenario != "throughput" && o.scenario != "latency") || o.subscribers < 1 ||
      o.subscribers > 64 || o.rate <= 0 || o.duration_s <= 0 || o.messages == 0) {
    detail::usage(name, extra_usage, 2);
  }
  if (o.system.empty()) o.system = label();
  if (o.size < header_size) o.size = header_size;
  if (o.scenario == "latency") o.subscribers = 1;

  auto histogram = std::make_unique<Histogram>();
  Sink sink(o.subscribers);
  if (o.scenario == "latency") sink.measure_latency(histogram.get());
  auto transport = make();
  if (!transport || !transport->open(o.subscribers, sink)) {
    std::fprintf(stderr, "%s: could not connect\n", o.system.c_str());
    return 1;
  }
  if (!detail::wait_route(*transport, sink, o.size)) {
    std::fprintf(stderr, "%s: subscribers did not see the probe within 10 s\n", o.system.c_str());
    transport->close();
    return 1;
  }
  std::fprintf(stderr, "%s: route up, running %s\n", o.system.c_str(), o.scenario.c_str());
  const int rc = o.scenario == "latency" ? detail::latency(o, *transport, sink, *histogram)
                                         : detail::throughput(o, *transport, sink);
  transport->close();
  return rc;
}

}  // namespace enlace::bench
