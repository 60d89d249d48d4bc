// The bench's coalition and broker: a real enlace-broker with a generated policy in which
// the bench's systems may publish and subscribe, optionally padded to a large coalition to
// show that the per-message cost does not grow with the policy.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "broker_process.hpp"

namespace enlace::bench {

struct SetupOptions {
  int publishers = 1;
  int subscribers = 1;
  int extra_nations = 0;  // filler nations beyond the test coalition's five (max 59)
  int extra_systems = 0;  // filler systems with fresh keys, spread over all nations
  /// [limits] max_session_queue_bytes of the bench's policy; 0: the policy default.
  std::size_t session_queue_bytes = 0;
  /// Whether the broker caches the bench's track topics (policy [cop]), and for how many.
  bool cop = false;
  std::size_t cop_entries = 100000;
  /// Policy text appended as is (e.g. [[durable]] streams), and broker arguments (e.g.
  /// --data-dir).
  std::string extra_policy = {};
  std::vector<std::string> broker_args = {};
};

/// A broker with connected clients: publishers are COL sensors, subscribers alternate
/// between ECU and PER command posts (both receive COL tracks by agreement).
struct BenchBed {
  test::TestCoalition coalition;
  std::unique_ptr<test::BrokerProcess> broker;
  std::vector<std::unique_ptr<Client>> publishers;
  std::vector<std::unique_ptr<Client>> subscribers;

  explicit BenchBed(const SetupOptions& options);

  /// A new connection of the bench's system `id`, once connected.
  std::unique_ptr<Client> connect(const std::string& id);
};

/// CPU time of a process, all its live threads, in microseconds (from schedstat).
double process_cpu_us(int pid);

}  // namespace enlace::bench
