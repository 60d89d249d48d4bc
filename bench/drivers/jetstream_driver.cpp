// enlace-jetstream-driver: the durable scenarios of bench/compare against NATS JetStream's file
// store, with the NATS C client (libnats) and its JetStream API.
//
//   enlace-jetstream-driver --url nats://127.0.0.1:PORT [--mode file|synced] [--flush-each]
//                           [--json]
//       --scenario durable-throughput [--messages N] [--window W] [--size BYTES]
//       --scenario durable-latency [--rate R] [--duration SECONDS] [--window W] [--size BYTES]
//       --scenario durable-replay [--messages N] [--window W] [--size BYTES]
//                                 [--consumer ordered|pull] [--batch B]
//
// Every scenario starts from a fresh stream (deleted if it exists, then created): file storage,
// one subject (the bench topic), every other setting the server's default; the stream is
// deleted again at the end. Publishing is js_PublishAsync with at most --window publishes
// awaiting their acknowledgement (jsOptions.PublishAsync.MaxPending: the call blocks while the
// window is full), each acknowledgement reported to an ack handler; that is how JetStream's
// users publish fast with acknowledgements. The client keeps libnats's default buffering (a
// flusher thread writes the connection's buffer out, about 1 ms after a lone publish), the
// NATS users' throughput configuration; --flush-each turns on natsOptions_SetSendAsap, each
// publish written at once, the configuration for the lowest acknowledgement latency.
//
//   durable-throughput: N messages as fast as the window allows; acked_rate = acknowledged
//     messages / (first publish to last acknowledgement).
//   durable-latency: publishes paced at R msgs/s on an absolute schedule (as harness.hpp's
//     latency loop), for S seconds; the histogram (harness.hpp's) holds, per message, the time
//     from just before the js_PublishAsync call to its ack handler.
//   durable-replay: fills the stream as durable-throughput does (its rate goes to stderr), then
//     a new consumer reads the whole stream from the start: `ordered` (default) is an ordered
//     push consumer (js_Subscribe with Ordered: no acks, flow control, the client's own way to
//     read a stream end to end), `pull` an ephemeral pull consumer without acks fetching
//     --batch messages per request (default 1000); replay_rate = messages read / (subscribe
//     call to the last message).
//
// --mode only labels the line (the client cannot check it): what the acknowledgement means is
// the server's configuration. `file` is nats-server's default (the 2.9.10 file store writes
// each record before acknowledging it and syncs to disk every 2 minutes); `synced` is for a
// server started with `jetstream { sync_interval: always }`, which nats-server 2.9.10 refuses
// ("unknown field"): bench/compare starts that server and skips the mode, saying so, when it
// does not start.
//
// One JSON line on stdout with --json (a readable line without), progress on stderr. Exit status
// 0 when the run happened, 1 when the system failed, 2 on a usage error.
#include <nats/nats.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "harness.hpp"

namespace {

using namespace enlace::bench;

constexpr const char* subject = "track.COL.radar.rx17.T0042";

struct Config {
  std::string url = "nats://127.0.0.1:4222";
  std::string scenario;
  std::string mode = "file";
  std::string stream = "ENLACE_BENCH";
  std::string consumer = "ordered";
  std::uint64_t messages = 200000;
  std::int64_t window = 256;
  std::size_t size = 200;
  double rate = 10000;
  double duration_s = 5;
  int batch = 1000;
  bool flush_each = false;
  bool json = false;
};

[[noreturn]] void usage(const char* name, int code) {
  std::fprintf(code ? stderr : stdout,
               "usage: %s --url nats://HOST:PORT [--mode file|synced] [--flush-each] [--json]\n"
               "         --scenario durable-throughput [--messages N] [--window W] [--size B]\n"
               "         --scenario durable-latency [--rate R] [--duration S] [--window W] "
               "[--size B]\n"
               "         --scenario durable-replay [--messages N] [--window W] [--size B]\n"
               "                                   [--consumer ordered|pull] [--batch B]\n"
               "  [--stream NAME] (default ENLACE_BENCH; deleted and created afresh)\n",
               name);
  std::exit(code);
}

bool check(natsStatus s, const char* what, jsErrCode jerr = static_cast<jsErrCode>(0)) {
  if (s == NATS_OK) return true;
  std::fprintf(stderr, "jetstream: %s: %s (%s)", what, natsStatus_GetText(s),
               nats_GetLastError(nullptr));
  if (jerr != 0) std::fprintf(stderr, " [JetStream error %d]", static_cast<int>(jerr));
  std::fprintf(stderr, "\n");
  return false;
}

// What the ack handler (a client-library thread) reports to.
struct Acks {
  std::atomic<std::uint64_t> acked{0};
  std::atomic<std::uint64_t> errors{0};
  std::atomic<std::int64_t> last_ack_ns{0};
  Histogram* latency = nullptr;  // set before the first publish, never changed after
};

void on_ack(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure) {
  auto* acks = static_cast<Acks*>(closure);
  const std::int64_t now = now_ns();
  if (pa != nullptr && pae == nullptr) {
    if (acks->latency != nullptr && msg != nullptr &&
        natsMsg_GetDataLength(msg) >= static_cast<int>(header_size)) {
      std::int64_t sent = 0;
      std::memcpy(&sent, natsMsg_GetData(msg) + 9, sizeof sent);
      acks->latency->record(static_cast<double>(now - sent) / 1e3);
    }
    acks->acked.fetch_add(1, std::memory_order_relaxed);
    acks->last_ack_ns.store(now, std::memory_order_relaxed);
  } else if (acks->errors.fetch_add(1) == 0 && pae != nullptr) {
    std::fprintf(stderr, "jetstream: publish not acknowledged: %s (%s, JetStream error %d)\n",
                 natsStatus_GetText(pae->Err), pae->ErrText ? pae->ErrText : "",
                 static_cast<int>(pae->ErrCode));
  }
  natsMsg_Destroy(msg);  // the ack handler owns the published message
}

// One connection, one JetStream context, the bench stream.
class JetStream {
 public:
  JetStream(const Config& config, Acks& acks) : config_(config), acks_(acks) {}
  ~JetStream() { close(); }

  bool open() {
    if (!check(natsOptions_Create(&options_), "options")) return false;
    if (!check(natsOptions_SetURL(options_, config_.url.c_str()), "url")) return false;
    if (config_.flush_each && !check(natsOptions_SetSendAsap(options_, true), "send asap"))
      return false;
    if (!check(natsConnection_Connect(&connection_, options_), "connect")) return false;
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.PublishAsync.MaxPending = config_.window;
    jo.PublishAsync.AckHandler = on_ack;
    jo.PublishAsync.AckHandlerClosure = &acks_;
    // A full window makes js_PublishAsync wait; it gives up (and the run fails) only if no
    // acknowledgement frees a slot for 10 s, the harness's rule for a client that stays busy.
    jo.PublishAsync.StallWait = 10000;
    if (!check(natsConnection_JetStream(&js_, connection_, &jo), "JetStream context")) return false;
    return fresh_stream();
  }

  // Deletes the bench stream if it exists and creates it: file storage, server defaults.
  bool fresh_stream() {
    jsErrCode jerr = static_cast<jsErrCode>(0);
    const natsStatus d = js_DeleteStream(js_, config_.stream.c_str(), nullptr, &jerr);
    if (d != NATS_OK && d != NATS_NOT_FOUND) {
      check(d, "delete the old stream", jerr);
      return false;
    }
    jsStreamConfig sc;
    jsStreamConfig_Init(&sc);
    const char* subjects[] = {subject};
    sc.Name = config_.stream.c_str();
    sc.Subjects = subjects;
    sc.SubjectsLen = 1;
    sc.Storage = js_FileStorage;
    jsStreamInfo* info = nullptr;
    jerr = static_cast<jsErrCode>(0);
    if (!check(js_AddStream(&info, js_, &sc, nullptr, &jerr), "create the stream", jerr)) {
      return false;
    }
    if (info != nullptr && info->Config != nullptr) {  // what the server made of the defaults
      const jsStreamConfig& c = *info->Config;
      std::fprintf(stderr,
                   "jetstream: stream %s: %s storage, %lld replica(s), %s retention, max msgs "
                   "%lld, max bytes %lld, max age %lld ns, duplicate window %lld ns\n",
                   c.Name, c.Storage == js_FileStorage ? "file" : "memory",
                   static_cast<long long>(c.Replicas),
                   c.Retention == js_LimitsPolicy ? "limits" : "interest or work-queue",
                   static_cast<long long>(c.MaxMsgs), static_cast<long long>(c.MaxBytes),
                   static_cast<long long>(c.MaxAge), static_cast<long long>(c.Duplicates));
    }
    jsStreamInfo_Destroy(info);
    created_ = true;
    return true;
  }

  // Publishes one message asynchronously (blocks while the window is full).
  bool publish(const std::uint8_t* data, std::size_t size) {
    return check(js_PublishAsync(js_, subject, data, static_cast<int>(size), nullptr), "publish");
  }

  // Waits for the acknowledgements still due: until none is pending, or none arrived for 2 s.
  void complete() {
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = 2000;
    for (std::uint64_t before = acks_.acked.load() + acks_.errors.load();;) {
      if (js_PublishAsyncComplete(js_, &po) == NATS_OK) return;
      const std::uint64_t now = acks_.acked.load() + acks_.errors.load();
      if (now == before) {
        std::fprintf(stderr, "jetstream: no acknowledgement for 2 s, giving up on the rest\n");
        return;
      }
      before = now;
    }
  }

  jsCtx* js() const { return js_; }

  void close() {
    if (js_ != nullptr) {
      if (created_) js_DeleteStream(js_, config_.stream.c_str(), nullptr, nullptr);
      jsCtx_Destroy(js_);
    }
    js_ = nullptr;
    created_ = false;
    if (connection_ != nullptr) natsConnection_Destroy(connection_);
    connection_ = nullptr;
    if (options_ != nullptr) natsOptions_Destroy(options_);
    options_ = nullptr;
  }

 private:
  const Config& config_;
  Acks& acks_;
  natsOptions* options_ = nullptr;
  natsConnection* connection_ = nullptr;
  jsCtx* js_ = nullptr;
  bool created_ = false;
};

struct Fill {
  std::uint64_t sent = 0;
  std::int64_t start_ns = 0;
  bool failed = false;
};

// Publishes config.messages messages as fast as the window allows, then waits for their acks.
Fill fill(const Config& config, JetStream& stream) {
  std::vector<std::uint8_t> buf(config.size, 0xA5);
  Fill f;
  f.start_ns = now_ns();
  for (; f.sent < config.messages; ++f.sent) {
    write_header(buf.data(), Kind::data, f.sent, now_ns());
    if (!stream.publish(buf.data(), buf.size())) {
      std::fprintf(stderr, "jetstream: publish failed after %llu messages\n",
                   static_cast<unsigned long long>(f.sent));
      f.failed = true;
      break;
    }
  }
  stream.complete();
  return f;
}

// The client's buffering, as the JSON lines name it: libnats's default, or natsOptions_SetSendAsap.
const char* client(const Config& config) {
  return config.flush_each ? "send-asap" : "default";
}

double per_second(std::uint64_t count, std::int64_t from_ns, std::int64_t to_ns) {
  if (count == 0 || to_ns <= from_ns) return 0;
  return static_cast<double>(count) / (static_cast<double>(to_ns - from_ns) / 1e9);
}

int durable_throughput(const Config& config, JetStream& stream, const Acks& acks) {
  const Fill f = fill(config, stream);
  const std::uint64_t acked = acks.acked.load();
  const double rate = per_second(acked, f.start_ns, acks.last_ack_ns.load());
  if (config.json) {
    std::printf(
        "{\"system\":\"jetstream\",\"scenario\":\"durable_throughput\",\"mode\":\"%s\","
        "\"client\":\"%s\","
        "\"window\":%lld,\"messages\":%llu,\"acked\":%llu,\"acked_rate\":%.0f,\"size\":%zu}\n",
        config.mode.c_str(), client(config), static_cast<long long>(config.window),
        static_cast<unsigned long long>(config.messages), static_cast<unsigned long long>(acked),
        rate, config.size);
  } else {
    std::printf(
        "jetstream durable_throughput (%s, %s client): %llu of %llu acked, window %lld, %zu B: "
        "%.0f acked msgs/s\n",
        config.mode.c_str(), client(config), static_cast<unsigned long long>(acked),
        static_cast<unsigned long long>(config.messages), static_cast<long long>(config.window),
        config.size, rate);
  }
  return f.failed || acked == 0 ? 1 : 0;
}

int durable_latency(const Config& config, JetStream& stream, const Acks& acks,
                    const Histogram& histogram) {
  const auto count = static_cast<std::uint64_t>(config.rate * config.duration_s);
  const std::uint64_t sent = paced_publish(
      count, config.rate, config.size,
      [&](const std::uint8_t* data, std::size_t size) { return stream.publish(data, size); });
  const bool failed = sent < count;
  if (failed) {
    std::fprintf(stderr, "jetstream: publish failed after %llu messages\n",
                 static_cast<unsigned long long>(sent));
  }
  stream.complete();
  const std::uint64_t acked = acks.acked.load();
  if (config.json) {
    std::printf(
        "{\"system\":\"jetstream\",\"scenario\":\"durable_latency\",\"mode\":\"%s\","
        "\"client\":\"%s\",\"rate\":%.0f,"
        "\"duration\":%.1f,\"window\":%lld,\"size\":%zu,\"sent\":%llu,\"acked\":%llu,"
        "\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,\"max_us\":%.1f}\n",
        config.mode.c_str(), client(config), config.rate, config.duration_s,
        static_cast<long long>(config.window), config.size, static_cast<unsigned long long>(sent),
        static_cast<unsigned long long>(acked), histogram.percentile(0.50),
        histogram.percentile(0.90), histogram.percentile(0.99), histogram.percentile(0.999),
        histogram.max_us());
  } else {
    std::printf(
        "jetstream durable_latency (%s, %s client): %.0f msgs/s for %.1f s, %llu sent, %llu "
        "acked: ack p50 %.1f us, p99 %.1f us, p99.9 %.1f us, max %.1f us\n",
        config.mode.c_str(), client(config), config.rate, config.duration_s,
        static_cast<unsigned long long>(sent), static_cast<unsigned long long>(acked),
        histogram.percentile(0.50), histogram.percentile(0.99), histogram.percentile(0.999),
        histogram.max_us());
  }
  return failed || acked == 0 ? 1 : 0;
}

// What the replaying consumer's thread reports to.
struct Replay {
  std::atomic<std::uint64_t> received{0};
  std::atomic<std::int64_t> last_ns{0};

  void count(natsMsg* msg) {
    if (natsMsg_GetDataLength(msg) >= static_cast<int>(header_size) &&
        static_cast<std::uint8_t>(natsMsg_GetData(msg)[0]) ==
            static_cast<std::uint8_t>(Kind::data)) {
      received.fetch_add(1, std::memory_order_relaxed);
      last_ns.store(now_ns(), std::memory_order_relaxed);
    }
  }
};

void on_replay(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  static_cast<Replay*>(closure)->count(msg);
  natsMsg_Destroy(msg);
}

// Ordered push consumer: the server pushes the stream from the start, under flow control.
bool replay_ordered(const Config& config, JetStream& stream, Replay& replay, std::uint64_t expected,
                    std::int64_t& start_ns) {
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = config.stream.c_str();
  so.Ordered = true;
  so.Config.DeliverPolicy = js_DeliverAll;
  natsSubscription* sub = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  start_ns = now_ns();
  if (!check(js_Subscribe(&sub, stream.js(), subject, on_replay, &replay, nullptr, &so, &jerr),
             "ordered consumer", jerr)) {
    return false;
  }
  // Until everything arrived, or nothing arrived for 2 s (the harness's stop rule).
  std::uint64_t last = replay.received.load();
  auto last_progress = Clock::now();
  while (replay.received.load() < expected && Clock::now() - last_progress < 2s) {
    std::this_thread::sleep_for(1ms);  // progress poll, bounded by the 2 s idle rule
    if (const auto now = replay.received.load(); now != last) {
      last = now;
      last_progress = Clock::now();
    }
  }
  natsSubscription_Unsubscribe(sub);
  natsSubscription_Destroy(sub);
  return true;
}

// Pull consumer without acks: --batch messages per fetch request, one request at a time.
bool replay_pull(const Config& config, JetStream& stream, Replay& replay, std::uint64_t expected,
                 std::int64_t& start_ns) {
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = config.stream.c_str();
  so.Config.DeliverPolicy = js_DeliverAll;
  so.Config.AckPolicy = js_AckNone;
  natsSubscription* sub = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  start_ns = now_ns();
  if (!check(js_PullSubscribe(&sub, stream.js(), subject, nullptr, nullptr, &so, &jerr),
             "pull consumer", jerr)) {
    return false;
  }
  bool ok = true;
  while (replay.received.load() < expected) {
    natsMsgList list;
    list.Msgs = nullptr;
    list.Count = 0;
    const auto want = static_cast<int>(std::min<std::uint64_t>(
        static_cast<std::uint64_t>(config.batch), expected - replay.received.load()));
    jerr = static_cast<jsErrCode>(0);
    const natsStatus s = natsSubscription_Fetch(&list, sub, want, 2000, &jerr);
    for (int i = 0; i < list.Count; ++i) replay.count(list.Msgs[i]);
    natsMsgList_Destroy(&list);
    if (s == NATS_TIMEOUT) break;  // nothing for 2 s: the stop rule
    if (!check(s, "fetch", jerr)) {
      ok = false;
      break;
    }
  }
  natsSubscription_Unsubscribe(sub);
  natsSubscription_Destroy(sub);
  return ok;
}

int durable_replay(const Config& config, JetStream& stream, const Acks& acks) {
  const Fill f = fill(config, stream);
  const std::uint64_t stored = acks.acked.load();
  std::fprintf(stderr, "jetstream: stream filled: %llu of %llu acked, %.0f acked msgs/s\n",
               static_cast<unsigned long long>(stored),
               static_cast<unsigned long long>(config.messages),
               per_second(stored, f.start_ns, acks.last_ack_ns.load()));
  if (f.failed || stored == 0) return 1;
  Replay replay;
  std::int64_t start = 0;
  const bool ok = config.consumer == "pull" ? replay_pull(config, stream, replay, stored, start)
                                            : replay_ordered(config, stream, replay, stored, start);
  const std::uint64_t got = replay.received.load();
  const double rate = per_second(got, start, replay.last_ns.load());
  if (config.json) {
    std::printf(
        "{\"system\":\"jetstream\",\"scenario\":\"durable_replay\",\"mode\":\"%s\","
        "\"consumer\":\"%s\",\"size\":%zu,\"stored\":%llu,\"messages\":%llu,\"replay_rate\":%.0f}"
        "\n",
        config.mode.c_str(), config.consumer.c_str(), config.size,
        static_cast<unsigned long long>(stored), static_cast<unsigned long long>(got), rate);
  } else {
    std::printf(
        "jetstream durable_replay (%s, %s consumer): %llu of %llu stored messages read: "
        "%.0f msgs/s\n",
        config.mode.c_str(), config.consumer.c_str(), static_cast<unsigned long long>(got),
        static_cast<unsigned long long>(stored), rate);
  }
  return ok && got > 0 ? 0 : 1;
}

Config parse(int argc, char** argv) {
  Config c;
  const char* name = argc > 0 ? argv[0] : "enlace-jetstream-driver";
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(name, 2);
      return argv[++i];
    };
    try {
      if (flag == "--url" || flag == "--endpoint")
        c.url = value();
      else if (flag == "--scenario")
        c.scenario = value();
      else if (flag == "--mode")
        c.mode = value();
      else if (flag == "--stream")
        c.stream = value();
      else if (flag == "--consumer")
        c.consumer = value();
      else if (flag == "--messages")
        c.messages = std::stoull(value());
      else if (flag == "--window")
        c.window = std::stoll(value());
      else if (flag == "--size")
        c.size = std::stoull(value());
      else if (flag == "--rate")
        c.rate = std::stod(value());
      else if (flag == "--duration")
        c.duration_s = std::stod(value());
      else if (flag == "--batch")
        c.batch = std::stoi(value());
      else if (flag == "--flush-each")
        c.flush_each = true;
      else if (flag == "--json")
        c.json = true;
      else if (flag == "--help" || flag == "-h")
        usage(name, 0);
      else
        usage(name, 2);
    } catch (const std::logic_error&) {  // std::stoi and friends on a malformed number
      usage(name, 2);
    }
  }
  const bool known = c.scenario == "durable-throughput" || c.scenario == "durable-latency" ||
                     c.scenario == "durable-replay";
  if (!known || (c.mode != "file" && c.mode != "synced") ||
      (c.consumer != "ordered" && c.consumer != "pull") || c.messages == 0 || c.window < 1 ||
      c.rate <= 0 || c.duration_s <= 0 || c.batch < 1) {
    usage(name, 2);
  }
  if (c.size < header_size) c.size = header_size;
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  const Config config = parse(argc, argv);
  auto histogram = std::make_unique<Histogram>();
  Acks acks;
  if (config.scenario == "durable-latency") acks.latency = histogram.get();
  int rc = 1;
  {
    JetStream stream(config, acks);
    if (stream.open()) {
      std::fprintf(stderr, "jetstream: stream %s ready (file storage, mode %s), running %s\n",
                   config.stream.c_str(), config.mode.c_str(), config.scenario.c_str());
      if (config.mode == "synced") {  // the client cannot see the server's configuration
        std::fprintf(stderr,
                     "jetstream: --mode synced only labels the line: the figures are synced "
                     "ones only if %s runs with jetstream { sync_interval: always }\n",
                     config.url.c_str());
      }
      if (config.scenario == "durable-throughput")
        rc = durable_throughput(config, stream, acks);
      else if (config.scenario == "durable-latency")
        rc = durable_latency(config, stream, acks, *histogram);
      else
        rc = durable_replay(config, stream, acks);
    } else {
      std::fprintf(stderr, "jetstream: could not set up the stream at %s\n", config.url.c_str());
    }
  }
  std::fflush(stdout);
  nats_CloseAndWait(2000);
  return rc;
}
