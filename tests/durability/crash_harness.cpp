// enlace-crash-harness: kill -9 of the broker while durable publishes are acknowledged at
// full rate, then proof by a replay from the restarted broker that nothing acknowledged was
// lost.
//
//   enlace-crash-harness [--trials N] [--publishers P] [--seed S]
//
// Each trial starts a broker with a fresh data directory and a durable stream, runs P
// publishers (each its own system and connection, publishing and waiting for each Ack in
// turn), and SIGKILLs the broker once a random number of Acks (50 to 3,000) has come in:
// at a random point of the message flow, mid-write as likely as not. It then restarts the
// broker (which recovers the journal), replays the stream from the earliest record over a
// subscription of another system (docs/protocol.md 5.3, "Replay"), and publishes once more.
// A trial passes when
//   - every acknowledged message is replayed exactly once,
//   - each publisher's acknowledged messages are replayed in the order it published them
//     (their sequences increase),
//   - no message is replayed twice (unacknowledged ones may be there or not),
//   - after the restart the broker numbers above every replayed sequence.
// Prints one line per trial with the counts, then "N passed, M failed"; exits 1 if any
// trial failed. scripts/test.sh runs it with 10 trials (CTest); 100 by hand.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "broker_process.hpp"

using namespace enlace;
using namespace enlace::test;

namespace {

constexpr const char* kDurable = R"(
[[durable]]
name = "log"
topics = ["text.*.log.>"]
)";

using Id = std::pair<std::uint64_t, std::uint64_t>;

struct Outcome {
  std::size_t acked = 0, replayed = 0, unacked_kept = 0, missing = 0, duplicates = 0,
              out_of_order = 0;
  bool sequence_continues = false;
  std::string after_restart;  // what the publish after the restart got
  bool passed() const {
    return missing == 0 && duplicates == 0 && out_of_order == 0 && sequence_continues;
  }
};

/// Message id -> sequences of every message the restarted broker replays from the stream,
/// and the highest sequence; through a subscription of `reader`.
std::map<Id, std::vector<std::uint64_t>> replay_stream(BrokerProcess& broker,
                                                       const TestSystem& reader,
                                                       std::uint64_t& last) {
  Client client(broker.options_for(reader));
  if (auto connected = client.wait_connected(10s); !connected)
    throw std::runtime_error("reader not connected: " + connected.error().reason);
  std::mutex mutex;
  std::map<Id, std::vector<std::uint64_t>> found;
  std::atomic<bool> ended{false};
  SubscribeOptions options;
  options.replay_from = wire::ReplayFrom::Earliest;
  options.on_replay_end = [&](const ReplayEnd&) { ended = true; };
  auto subscribed = client.subscribe(
      "text.COL.log.>",
      [&](const Delivery& delivery) {
        if (!delivery.replayed()) return;  // live: the publish after the restart
        const wire::Uuid& id = *delivery.envelope().id();
        std::lock_guard lock(mutex);
        found[{id.hi(), id.lo()}].push_back(delivery.sequence());
        last = std::max(last, delivery.sequence());
      },
      options);
  if (!subscribed) throw std::runtime_error("replay refused: " + subscribed.error().reason);
  if (!eventually([&] { return ended.load(); }, 120s))
    throw std::runtime_error("the replay did not end within 120 s");
  std::lock_guard lock(mutex);
  return found;
}

Outcome run_trial(std::mt19937_64& random, int publishers) {
  char templ[] = "/tmp/enlace-crash-XXXXXX";
  if (::mkdtemp(templ) == nullptr) throw std::runtime_error("mkdtemp failed");
  const std::filesystem::path data = templ;
  TestCoalition coalition;
  coalition.extra = kDurable;
  for (int p = 0; p < publishers; ++p)
    coalition.add("col-pub" + std::to_string(p), "COL", "command_post");
  const TestSystem& reader = coalition.add("col-reader", "COL", "command_post");
  BrokerProcess broker(coalition, {"--data-dir", data.string()});

  const std::size_t kill_after = std::uniform_int_distribution<std::size_t>(50, 3000)(random);
  std::atomic<std::size_t> total_acked{0};
  std::atomic<bool> stop{false};
  std::vector<std::vector<Id>> acked(static_cast<std::size_t>(publishers));
  std::vector<std::thread> threads;
  for (int p = 0; p < publishers; ++p) {
    threads.emplace_back([&, p] {
      ClientOptions options = broker.options_for(coalition["col-pub" + std::to_string(p)]);
      Client client(options);
      if (!client.wait_connected(10s).ok()) return;
      const std::string topic = "text.COL.log.p" + std::to_string(p);
      for (std::uint64_t n = 0; !stop.load(); ++n) {
        auto ack = client.publish_and_wait(
            topic,
            [&](flatbuffers::FlatBufferBuilder& fbb) {
              return wire::CreateTextDirect(fbb, std::to_string(n).c_str());
            },
            {}, 2s);
        if (!ack) break;  // the broker is gone
        acked[static_cast<std::size_t>(p)].push_back({ack->message_id.hi(), ack->message_id.lo()});
        ++total_acked;
      }
    });
  }
  if (!eventually([&] { return total_acked.load() >= kill_after; }, 60s))
    throw std::runtime_error("the publishers did not get going");
  broker.stop(true);  // SIGKILL, at a random point of the flow
  stop = true;
  for (auto& t : threads) t.join();

  Outcome outcome;
  std::uint64_t last_replayed = 0;
  broker.start();
  const auto found = replay_stream(broker, reader, last_replayed);
  outcome.replayed = found.size();
  std::set<Id> all_acked;
  for (const auto& list : acked) {
    std::uint64_t previous = 0;
    for (const Id& id : list) {
      all_acked.insert(id);
      ++outcome.acked;
      const auto at = found.find(id);
      if (at == found.end()) {
        ++outcome.missing;
        continue;
      }
      if (at->second.front() <= previous) ++outcome.out_of_order;
      previous = at->second.front();
    }
  }
  for (const auto& [id, sequences] : found) {
    if (sequences.size() > 1) ++outcome.duplicates;
    if (!all_acked.count(id)) ++outcome.unacked_kept;
  }

  Client again(broker.options_for(coalition["col-pub0"]));
  if (auto connected = again.wait_connected(10s); !connected) {
    outcome.after_restart = "not connected: " + connected.error().reason;
  } else if (auto ack = publish_text(again, "text.COL.log.after", "after", {}); !ack) {
    outcome.after_restart = std::string(to_string(ack.error().code)) + ": " + ack.error().reason;
  } else {
    outcome.sequence_continues = ack->sequence > last_replayed;
    outcome.after_restart = "sequence " + std::to_string(ack->sequence) + ", last replayed " +
                            std::to_string(last_replayed);
  }
  broker.stop();
  std::error_code ignored;
  std::filesystem::remove_all(data, ignored);
  return outcome;
}

}  // namespace

int main(int argc, char** argv) {
  int trials = 10, publishers = 4;
  std::uint64_t seed = std::random_device{}();
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--trials") {
      trials = std::atoi(argv[i + 1]);
    } else if (flag == "--publishers") {
      publishers = std::atoi(argv[i + 1]);
    } else if (flag == "--seed") {
      seed = std::strtoull(argv[i + 1], nullptr, 10);
    } else {
      std::fprintf(stderr,
                   "usage: enlace-crash-harness [--trials N] [--publishers P] [--seed S]\n");
      return 2;
    }
  }
  if (trials < 1 || publishers < 1) {
    std::fprintf(stderr, "crash harness: --trials and --publishers take positive numbers\n");
    return 2;
  }
  std::printf("crash harness: %d trials, %d publishers, seed %llu\n", trials, publishers,
              static_cast<unsigned long long>(seed));
  std::mt19937_64 random(seed);
  int passed = 0, failed = 0;
  std::size_t acked = 0, unacked_kept = 0;
  for (int t = 1; t <= trials; ++t) {
    try {
      const Outcome o = run_trial(random, publishers);
      acked += o.acked;
      unacked_kept += o.unacked_kept;
      std::printf(
          "trial %d: %zu acknowledged, %zu replayed (%zu of them unacknowledged), %zu missing, "
          "%zu twice, %zu out of order, after the restart %s (%s): %s\n",
          t, o.acked, o.replayed, o.unacked_kept, o.missing, o.duplicates, o.out_of_order,
          o.sequence_continues ? "numbered above the replay" : "NOT numbered above the replay",
          o.after_restart.c_str(), o.passed() ? "passed" : "FAILED");
      ++(o.passed() ? passed : failed);
    } catch (const std::exception& e) {
      std::printf("trial %d: FAILED: %s\n", t, e.what());
      ++failed;
    }
    std::fflush(stdout);
  }
  std::printf("%zu acknowledged in all trials; %zu unacknowledged ones kept and replayed\n", acked,
              unacked_kept);
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
