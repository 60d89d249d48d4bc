#include "bench_setup.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace enlace::bench {
namespace {

// "AAA", "AAB", ...: codes no real nation in the test coalition uses (those are real
// ISO codes), valid as policy nation codes.
std::string filler_code(int i) {
  std::string code = "QAA";
  code[1] = static_cast<char>('A' + i / 26);
  code[2] = static_cast<char>('A' + i % 26);
  return code;
}

std::string filler_policy(const SetupOptions& options) {
  std::string text;
  for (int i = 0; i < options.extra_nations; ++i) {
    text += "[nations." + filler_code(i) + "]\nname = \"Filler " + std::to_string(i) + "\"\n";
  }
  const int nations = options.extra_nations;
  for (int i = 0; i < options.extra_systems; ++i) {
    const std::string nation = nations > 0 ? filler_code(i % nations) : "COL";
    text += "[[systems]]\nid = \"filler-" + std::to_string(i) + "\"\nnation = \"" + nation +
            "\"\nrole = \"sensor\"\npublic_key = \"" + generate_keypair().public_key + "\"\n";
  }
  return text;
}

std::size_t queue_bytes() {
  const char* v = std::getenv("ENLACE_BENCH_QUEUE");
  return v ? std::stoul(v) : 1024 * 1024;
}

}  // namespace

BenchBed::BenchBed(const SetupOptions& options) {
  // No rate limit gets in the way of a benchmark.
  coalition.edits.emplace_back("default_rate = 100000", "default_rate = 100000000");
  coalition.edits.emplace_back("default_burst = 100000", "default_burst = 100000000");
  if (options.session_queue_bytes > 0) {
    coalition.edits.emplace_back("max_subscriptions = 64",
                                 "max_subscriptions = 64\nmax_session_queue_bytes = " +
                                     std::to_string(options.session_queue_bytes));
  }
  for (int i = 0; i < options.publishers; ++i)
    coalition.add("pub" + std::to_string(i), "COL", "sensor");
  for (int i = 0; i < options.subscribers; ++i) {
    coalition.add("sub" + std::to_string(i), i % 2 ? "PER" : "ECU", "command_post");
  }
  coalition.extra = filler_policy(options);
  if (options.cop) {
    coalition.extra +=
        "[cop]\ncached = [\"track.>\"]\nmax_entries = " + std::to_string(options.cop_entries) +
        "\nmax_bytes = " +
        std::to_string(std::max<std::size_t>(options.cop_entries * 4096, 1 << 20)) + "\n";
  }
  coalition.extra += options.extra_policy;
  broker = std::make_unique<test::BrokerProcess>(coalition, options.broker_args);
  for (int i = 0; i < options.subscribers; ++i)
    subscribers.push_back(connect("sub" + std::to_string(i)));
  for (int i = 0; i < options.publishers; ++i)
    publishers.push_back(connect("pub" + std::to_string(i)));
}

std::unique_ptr<Client> BenchBed::connect(const std::string& id) {
  auto options_for = broker->options_for(coalition[id]);
  // Publishers wait for room when the pipeline is full (flow control), as a ZeroMQ
  // socket blocks at its high-water mark, instead of spinning on queue_full.
  options_for.send_queue_bytes = queue_bytes();
  options_for.send_queue_wait = std::chrono::seconds(10);
  // A broker run under a profiler (ENLACE_BROKER_WRAPPER) answers pings late.
  options_for.heartbeat = std::chrono::seconds(5);
  auto client = std::make_unique<Client>(options_for);
  if (!client->wait_connected(std::chrono::seconds(20)))
    throw std::runtime_error(id + " did not connect");
  return client;
}

double process_cpu_us(int pid) {
  // The run time in nanoseconds of each of its threads (/proc/PID/task/TID/schedstat,
  // first field): /proc/PID/stat counts in clock ticks of 10 ms, too coarse for a run of
  // a second or two. Threads that ended are no longer counted; the broker's live as long
  // as it does.
  const std::filesystem::path tasks = "/proc/" + std::to_string(pid) + "/task";
  std::error_code error;
  double total_ns = 0;
  for (const auto& task : std::filesystem::directory_iterator(tasks, error)) {
    std::ifstream in(task.path() / "schedstat");
    double run_ns = 0;
    if (in >> run_ns) total_ns += run_ns;
  }
  return total_ns / 1000.0;
}

}  // namespace enlace::bench
