// enlace-bench --durable: what durable streams cost a publisher, and what replay and
// recovery take, against one real broker with a data directory (docs/performance.md).
//
//   enlace-bench --durable [--messages N] [--window W] [--size B] [--rounds R] [--rate R]
//                [--duration SECONDS] [--recovery-mib M] [--dir DIR] [--json]
//
// The broker's policy has two durable streams, one per durability mode (`write` on
// track.COL.radar.dw01.>, `fsync` on track.COL.radar.df01.>); the bench's third topic,
// track.COL.radar.rx17.T0042, is in no stream (mode "none"). One publisher, one
// subscriber, CURVE on, in a fresh data directory under --dir (default: the system's
// temporary directory), removed at the end.
//
//  1. Acknowledged throughput, in each mode, --rounds times interleaved so that a noisy
//     machine disturbs every mode alike: N messages (default 200000) of B bytes (default
//     200), with at most W (default 256) waiting for their Ack (Client::publish_with_ack).
//     acked_rate = N / (first publish to last Ack). Nobody subscribes: what is measured is
//     the publisher's path through the broker and, for a durable topic, the journal.
//  2. Ack latency in each mode at --rate messages/s (default 10000) for --duration seconds
//     (default 5), on an absolute schedule: from the publish call to its Ack handler.
//  3. Replay: the subscriber replays the `write` stream from its earliest record (all that
//     phases 1 and 2 stored there): replay_rate = messages replayed / (subscribe to
//     EndOfReplay).
//  4. Recovery (skipped with --recovery-mib 0; default 1024): the `write` stream is filled
//     until its journal holds M MiB on disk, the broker is killed (SIGKILL) and started
//     again with the stream's topics cached in its COP cache, as a command post's picture
//     would be: recovery_s is from the new broker's exec to its ready file (journal
//     recovered, COP cache rebuilt from it, serving). The broker's log gives the two parts.
//
// Any answer but an Ack (a refusal, a timeout) fails the run (exit 3).
#include "durable_bench.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench_messages.hpp"
#include "bench_setup.hpp"
#include "histogram.hpp"

namespace enlace::bench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct DurableOptions {
  std::uint64_t messages = 200000;
  std::uint32_t window = 256;
  int size = 200;
  int rounds = 1;
  double rate = 10000;
  double duration = 5;
  std::uint64_t recovery_mib = 1024;
  fs::path dir = fs::temp_directory_path();
  bool json = false;
};

constexpr const char* kUsage =
    "usage: enlace-bench --durable [--messages N] [--window W] [--size BYTES] [--rounds R]\n"
    "                    [--rate R] [--duration SECONDS] [--recovery-mib M] [--dir DIR]\n"
    "                    [--json]\n";

DurableOptions parse(int argc, char** argv) {
  DurableOptions o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "enlace-bench: %s needs a value\n%s", a.c_str(), kUsage);
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--durable") continue;
    if (a == "--messages")
      o.messages = std::stoull(value());
    else if (a == "--window")
      o.window = static_cast<std::uint32_t>(std::stoul(value()));
    else if (a == "--size")
      o.size = std::stoi(value());
    else if (a == "--rounds")
      o.rounds = std::stoi(value());
    else if (a == "--rate")
      o.rate = std::stod(value());
    else if (a == "--duration")
      o.duration = std::stod(value());
    else if (a == "--recovery-mib")
      o.recovery_mib = std::stoull(value());
    else if (a == "--dir")
      o.dir = value();
    else if (a == "--json")
      o.json = true;
    else {
      std::fputs(kUsage, a == "--help" ? stdout : stderr);
      std::exit(a == "--help" ? 0 : 2);
    }
  }
  if (o.messages < 1 || o.window < 1 || o.window > 65536 || o.rounds < 1 || o.rate <= 0 ||
      o.duration <= 0) {
    std::fputs(kUsage, stderr);
    std::exit(2);
  }
  return o;
}

struct Mode {
  const char* name;
  std::string topic;
};

const Mode kModes[] = {{"none", "track.COL.radar.rx17.T0042"},
                       {"write", "track.COL.radar.dw01.T0042"},
                       {"fsync", "track.COL.radar.df01.T0042"}};
const Mode& kWrite = kModes[1];

std::string durable_policy(std::uint64_t write_max_bytes) {
  return "[[durable]]\nname = \"bench-write\"\ntopics = [\"track.COL.radar.dw01.>\"]\n"
         "max_bytes = " +
         std::to_string(write_max_bytes) +
         "\ndurability = \"write\"\n\n"
         "[[durable]]\nname = \"bench-fsync\"\ntopics = [\"track.COL.radar.df01.>\"]\n"
         "durability = \"fsync\"\n";
}

/// A fresh directory under `parent`, removed when done.
class ScratchDir {
 public:
  explicit ScratchDir(const fs::path& parent) {
    std::string pattern = (parent / "enlace-durable-bench-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
      throw std::runtime_error("cannot create a directory in " + parent.string());
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const noexcept { return path_; }

 private:
  fs::path path_;
};

std::uint64_t bytes_under(const fs::path& dir) {
  std::uint64_t total = 0;
  std::error_code error;
  for (const auto& entry : fs::recursive_directory_iterator(dir, error)) {
    if (entry.is_regular_file(error)) total += entry.file_size(error);
  }
  return total;
}

/// Publishes acknowledged with a bounded window. Handlers run on the client's I/O thread;
/// the publishing thread waits on `in_flight` (a futex, no spinning) when the window is full.
class AckWindow {
 public:
  explicit AckWindow(std::uint32_t window) : window_(window) {}

  /// Publishes message `n` on `topic`, waiting first for room in the window. `on_ack(stamp)`
  /// runs in the handler of an Ack, before the window moves; `stamp` is when the publish
  /// call began (steady_ns()).
  template <class OnAck>
  bool publish(Client& client, const Messages& messages, const std::string& topic, std::uint64_t n,
               OnAck on_ack) {
    for (std::uint32_t v = in_flight_.load(); v >= window_; v = in_flight_.load())
      in_flight_.wait(v);
    in_flight_.fetch_add(1);
    const std::int64_t stamp = steady_ns();
    const auto published = messages.publish(
        [&](auto&& build) {
          return client.publish_with_ack(
              topic, build, [this, on_ack, stamp](const Result<PublishAck>& answer) {
                if (answer) {
                  on_ack(stamp);
                  acked_.fetch_add(1, std::memory_order_relaxed);
                } else if (failures_.fetch_add(1) == 0) {
                  first_failure_ = answer.error();  // read after the window drained
                }
                last_answer_ns_.store(steady_ns(), std::memory_order_relaxed);
                in_flight_.fetch_sub(1);
                in_flight_.notify_one();
              });
        },
        stamp, n);
    if (published) return true;
    in_flight_.fetch_sub(1);
    std::fprintf(stderr, "publish failed: %s\n", published.error().reason.c_str());
    return false;
  }

  /// Waits for every answer (each handler runs within ClientOptions::ack_timeout).
  bool drain() {
    const auto deadline = Clock::now() + 120s;
    while (in_flight_.load() != 0) {
      if (Clock::now() > deadline) return false;
      std::this_thread::sleep_for(1ms);  // polled counter; the end time comes from the handler
    }
    return true;
  }

  std::uint64_t acked() const noexcept { return acked_.load(); }
  std::uint64_t failures() const noexcept { return failures_.load(); }
  const ErrorInfo& first_failure() const noexcept { return first_failure_; }
  std::int64_t last_answer_ns() const noexcept { return last_answer_ns_.load(); }

 private:
  const std::uint32_t window_;
  std::atomic<std::uint32_t> in_flight_{0};
  std::atomic<std::uint64_t> acked_{0}, failures_{0};
  std::atomic<std::int64_t> last_answer_ns_{0};
  ErrorInfo first_failure_;
};

bool report_failures(const AckWindow& window, const char* phase, const char* mode) {
  if (window.failures() == 0) return true;
  std::fprintf(stderr, "%s (%s): %llu publishes not acknowledged, the first: %s: %s\n", phase, mode,
               static_cast<unsigned long long>(window.failures()),
               std::string(to_string(window.first_failure().code)).c_str(),
               window.first_failure().reason.c_str());
  return false;
}

bool run_throughput(BenchBed& bed, const DurableOptions& o, const Mode& mode, int round) {
  ::sync();  // what earlier phases wrote is on disk: its writeback does not slow this one
  Client& client = *bed.publishers.front();
  const Messages messages(o.size, mode.topic);
  AckWindow window(o.window);
  const std::int64_t start = steady_ns();
  for (std::uint64_t n = 0; n < o.messages; ++n) {
    if (!window.publish(client, messages, mode.topic, n, [](std::int64_t) {})) return false;
  }
  if (!window.drain()) {
    std::fprintf(stderr, "throughput (%s): answers still missing after 120 s\n", mode.name);
    return false;
  }
  const double seconds = static_cast<double>(window.last_answer_ns() - start) / 1e9;
  const double rate = static_cast<double>(window.acked()) / seconds;
  if (o.json) {
    std::printf(
        "{\"system\":\"enlace\",\"scenario\":\"durable_throughput\",\"mode\":\"%s\","
        "\"round\":%d,\"window\":%u,\"messages\":%llu,\"acked\":%llu,\"acked_rate\":%.0f,"
        "\"envelope_bytes\":%zu}\n",
        mode.name, round, o.window, static_cast<unsigned long long>(o.messages),
        static_cast<unsigned long long>(window.acked()), rate, messages.envelope_bytes());
  } else {
    std::printf("  throughput %-5s round %d: %.0f acked msgs/s (%llu of %llu acked)\n", mode.name,
                round, rate, static_cast<unsigned long long>(window.acked()),
                static_cast<unsigned long long>(o.messages));
  }
  return report_failures(window, "throughput", mode.name);
}

bool run_latency(BenchBed& bed, const DurableOptions& o, const Mode& mode) {
  ::sync();
  Client& client = *bed.publishers.front();
  const Messages messages(o.size, mode.topic);
  // Written by the client's I/O thread only (the handlers), read after drain().
  LogHistogram histogram;
  LogHistogram* recorder = &histogram;
  AckWindow window(65536);
  const auto total = static_cast<std::uint64_t>(o.rate * o.duration);
  const auto period = std::chrono::nanoseconds(static_cast<std::int64_t>(1e9 / o.rate));
  const auto start = Clock::now();
  for (std::uint64_t n = 0; n < total; ++n) {
    // An absolute schedule: a late send does not push every later one back.
    std::this_thread::sleep_until(start + period * static_cast<std::int64_t>(n));
    const bool published =
        window.publish(client, messages, mode.topic, n, [recorder](std::int64_t stamp) {
          recorder->record(static_cast<double>(steady_ns() - stamp) / 1000.0);
        });
    if (!published) return false;
  }
  if (!window.drain()) return false;
  const auto q = [&](double quantile) { return histogram.quantile(quantile); };
  if (o.json) {
    std::printf(
        "{\"system\":\"enlace\",\"scenario\":\"durable_latency\",\"mode\":\"%s\",\"rate\":%.0f,"
        "\"sent\":%llu,\"acked\":%llu,\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f,"
        "\"p999_us\":%.1f,\"max_us\":%.1f}\n",
        mode.name, o.rate, static_cast<unsigned long long>(total),
        static_cast<unsigned long long>(window.acked()), q(0.5), q(0.9), q(0.99), q(0.999),
        histogram.max());
  } else {
    std::printf(
        "  Ack latency %-5s at %.0f msgs/s: p50 %.0f us  p90 %.0f us  p99 %.0f us  p99.9 %.0f "
        "us  max %.0f us\n",
        mode.name, o.rate, q(0.5), q(0.9), q(0.99), q(0.999), histogram.max());
  }
  return report_failures(window, "latency", mode.name);
}

bool run_replay(BenchBed& bed, const DurableOptions& o) {
  Client& subscriber = *bed.subscribers.front();
  std::atomic<std::uint64_t> replayed{0};
  std::atomic<std::int64_t> ended_ns{0};
  std::atomic<std::uint64_t> told{0};
  SubscribeOptions options;
  options.replay_from = wire::ReplayFrom::Earliest;
  options.on_replay_end = [&](const ReplayEnd& end) {
    told.store(end.replayed);
    ended_ns.store(steady_ns());
  };
  const std::int64_t start = steady_ns();
  const auto subscribed = subscriber.subscribe(
      "track.COL.radar.dw01.>",
      [&](const Delivery& d) {
        if (d.replayed()) replayed.fetch_add(1, std::memory_order_relaxed);
      },
      options);
  if (!subscribed) {
    std::fprintf(stderr, "replay: %s\n", subscribed.error().reason.c_str());
    return false;
  }
  const auto deadline = Clock::now() + 600s;
  while (ended_ns.load() == 0) {
    if (Clock::now() > deadline) {
      std::fprintf(stderr, "replay: no EndOfReplay after 600 s (%llu replayed)\n",
                   static_cast<unsigned long long>(replayed.load()));
      return false;
    }
    std::this_thread::sleep_for(1ms);  // polled flag; the end time comes from the callback
  }
  const double seconds = static_cast<double>(ended_ns.load() - start) / 1e9;
  const double rate = static_cast<double>(replayed.load()) / seconds;
  if (o.json) {
    std::printf(
        "{\"system\":\"enlace\",\"scenario\":\"durable_replay\",\"messages\":%llu,"
        "\"replay_rate\":%.0f,\"seconds\":%.3f}\n",
        static_cast<unsigned long long>(replayed.load()), rate, seconds);
  } else {
    std::printf("  replay of the write stream: %llu messages in %.2f s, %.0f msgs/s\n",
                static_cast<unsigned long long>(replayed.load()), seconds, rate);
  }
  (void)subscriber.unsubscribe(*subscribed);
  if (told.load() != replayed.load()) {
    std::fprintf(stderr, "replay: EndOfReplay counts %llu, %llu arrived\n",
                 static_cast<unsigned long long>(told.load()),
                 static_cast<unsigned long long>(replayed.load()));
    return false;
  }
  return true;
}

/// The last number in the broker's log matched by `pattern`'s first group, if any.
std::optional<double> last_logged(const fs::path& log, const std::regex& pattern) {
  std::ifstream in(log);
  std::optional<double> found;
  std::smatch match;
  for (std::string line; std::getline(in, line);) {
    if (std::regex_search(line, match, pattern)) found = std::stod(match[1].str());
  }
  return found;
}

bool run_recovery(BenchBed& bed, const DurableOptions& o, const fs::path& data) {
  Client& client = *bed.publishers.front();
  const Messages messages(o.size, kWrite.topic);
  const fs::path journal = data / "journal" / "bench-write";
  const std::uint64_t target = o.recovery_mib << 20;
  AckWindow window(o.window);
  std::uint64_t n = 0;
  std::fprintf(stderr, "  filling the write stream to %llu MiB...\n",
               static_cast<unsigned long long>(o.recovery_mib));
  while (bytes_under(journal) < target) {
    for (std::uint64_t i = 0; i < 50000; ++i, ++n) {
      if (!window.publish(client, messages, kWrite.topic, n, [](std::int64_t) {})) return false;
    }
  }
  if (!window.drain() || !report_failures(window, "recovery fill", kWrite.name)) return false;
  const std::uint64_t journal_bytes = bytes_under(journal);

  // The picture a command post sees survives the restart: cache the stream's topics, so
  // the new broker rebuilds its COP cache from the journal before it serves.
  bed.coalition.extra += "[cop]\ncached = [\"track.COL.radar.dw01.>\"]\n";
  bed.broker->write_policy(bed.coalition);
  bed.broker->stop(/*kill=*/true);
  const auto start = Clock::now();
  bed.broker->start();  // returns once the ready file is written
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();

  const fs::path log = bed.broker->directory() / "broker.log";
  const auto open_ms =
      last_logged(log, std::regex(R"(durable stream 'bench-write': .*\((\d+) ms\))"));
  const auto cop_ms = last_logged(log, std::regex(R"(COP cache: .* in (\d+) ms)"));
  const auto restored = last_logged(log, std::regex(R"(COP cache: (\d+) messages restored)"));
  if (o.json) {
    std::printf(
        "{\"system\":\"enlace\",\"scenario\":\"durable_recovery\",\"journal_bytes\":%llu,"
        "\"records\":%llu,\"recovery_s\":%.3f,\"journal_open_ms\":%.0f,\"cop_restore_ms\":%.0f,"
        "\"cop_restored\":%.0f}\n",
        static_cast<unsigned long long>(journal_bytes), static_cast<unsigned long long>(n), seconds,
        open_ms.value_or(-1), cop_ms.value_or(-1), restored.value_or(-1));
  } else {
    std::printf(
        "  recovery after kill -9 with %.0f MiB of journal (%llu records appended to fill it): "
        "%.2f s to ready (journal opened in %.0f ms, COP cache rebuilt in %.0f ms)\n",
        static_cast<double>(journal_bytes) / (1 << 20), static_cast<unsigned long long>(n), seconds,
        open_ms.value_or(-1), cop_ms.value_or(-1));
  }
  return open_ms.has_value() && cop_ms.has_value();
}

}  // namespace

int run_durable(int argc, char** argv) {
  const DurableOptions o = parse(argc, argv);
  ScratchDir data(o.dir);
  SetupOptions setup;
  const std::uint64_t write_max_bytes =
      std::max<std::uint64_t>(std::uint64_t{1} << 30, (o.recovery_mib + 512) << 20);
  setup.extra_policy = durable_policy(write_max_bytes);
  setup.broker_args = {"--data-dir", data.path().string()};
  BenchBed bed(setup);
  if (!o.json) {
    std::printf(
        "durable: %llu messages of %d B per round, window %u, %d round(s), CURVE on, data in "
        "%s\n",
        static_cast<unsigned long long>(o.messages), o.size, o.window, o.rounds,
        data.path().c_str());
  }
  for (int round = 0; round < o.rounds; ++round) {
    for (const Mode& mode : kModes) {
      if (!run_throughput(bed, o, mode, round)) return 3;
    }
  }
  for (const Mode& mode : kModes) {
    if (!run_latency(bed, o, mode)) return 3;
  }
  if (!run_replay(bed, o)) return 3;
  if (o.recovery_mib > 0 && !run_recovery(bed, o, data.path())) return 3;
  return 0;
}

}  // namespace enlace::bench
