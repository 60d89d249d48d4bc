// What every simulated system has in common: its own enlace::Client with its own key, a
// thread that runs its schedule, and counters for the summary.
//
// Threads. Each system owns two threads: the Client's I/O thread (which runs delivery
// handlers and reports refusals of unacknowledged publishes) and its own simulation thread
// (which runs run(), started by start()). Publishing happens on the simulation thread; the
// SDK allows any thread. A derived class calls join() and close() in its own destructor,
// so that neither thread can reach its members once they are gone.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "enlace/enlace.hpp"
#include "scenario.hpp"

namespace demo {

using Clock = std::chrono::steady_clock;

/// One stop request shared by every simulation thread; sleeping on it ends at once when
/// the demo stops.
class StopFlag {
 public:
  void request();
  bool requested() const;
  /// Sleeps until `deadline`; false if a stop was requested before (or during) the sleep.
  bool sleep_until(Clock::time_point deadline);

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  bool stop_ = false;
};

/// Tasks at times relative to the scenario start: once, or again every period.
class Schedule {
 public:
  /// `task` receives how many times it ran before (0 the first time).
  using Task = std::function<void(int run)>;

  void at(double first_s, Task task) { every(first_s, 0, std::move(task)); }
  void every(double first_s, double period_s, Task task);
  /// Runs due tasks in time order until `stop` is requested.
  void run(StopFlag& stop, Clock::time_point start);

 private:
  struct Entry {
    double due_s;
    double period_s;  // 0: once
    int runs = 0;
    Task task;
  };
  std::vector<Entry> entries_;
};

/// Where the broker is and how to recognise it.
struct BusAccess {
  std::string endpoint;
  std::string broker_public_key;
};

/// Label helpers. Every message names the coalition's policy identifier.
enlace::PublishOptions by_agreement(std::chrono::nanoseconds time_to_live);
enlace::PublishOptions released_to(
    std::vector<std::string> nations, std::chrono::nanoseconds time_to_live,
    enlace::wire::Classification classification = enlace::wire::Classification::Unclassified);

class SimulatedSystem {
 public:
  SimulatedSystem(const SystemSpec& spec, const enlace::KeyPair& keys, const BusAccess& bus);
  /// Joins the simulation thread and closes the client.
  virtual ~SimulatedSystem();
  SimulatedSystem(const SimulatedSystem&) = delete;
  SimulatedSystem& operator=(const SimulatedSystem&) = delete;

  const SystemSpec& spec() const noexcept { return spec_; }

  /// Waits for the session, then calls on_connected(). Throws std::runtime_error naming
  /// the system if the broker does not accept it within `timeout`.
  void connect(std::chrono::milliseconds timeout);
  /// Starts the simulation thread. `start` is the scenario's time zero.
  void start(StopFlag& stop, Clock::time_point start);
  /// Waits for the simulation thread to end (after the stop request).
  void join();
  /// Closes the client: no callback runs after this returns.
  void close();

  std::uint64_t published() const noexcept { return published_.load(); }
  std::uint64_t refused() const noexcept { return refused_.load(); }
  /// The last refusal, as "what: code (reason)"; empty when there was none.
  std::string last_refusal() const;

 protected:
  /// On the caller's thread, right after the session is established: subscriptions.
  virtual void on_connected() {}
  /// On the simulation thread until `stop`; typically builds a Schedule and runs it.
  virtual void run(StopFlag& stop, Clock::time_point start) = 0;
  /// The broker refused something this system sent: on the I/O thread for a publish()
  /// (e.g. rate_limited), on the calling thread for publish_and_wait() and subscribe().
  virtual void on_refusal(std::string_view what, const enlace::ErrorInfo& error);

  enlace::Client& client() noexcept { return *client_; }

  /// Queues a message (no wait for the broker); counts it. A refusal the broker reports
  /// later arrives through on_refusal.
  template <class Build>
  bool publish(std::string_view topic, Build&& build, const enlace::PublishOptions& options) {
    auto queued = client_->publish(topic, std::forward<Build>(build), options);
    if (!queued) {
      refusal(std::string(topic), queued.error());
      return false;
    }
    published_.fetch_add(1);
    return true;
  }

  /// Publishes and waits for the broker's verdict; a refusal is counted and reported
  /// through on_refusal. Returns whether the broker accepted.
  template <class Build>
  bool publish_and_wait(std::string_view topic, Build&& build,
                        const enlace::PublishOptions& options) {
    auto ack = client_->publish_and_wait(topic, std::forward<Build>(build), options);
    if (!ack) {
      refusal("publish " + std::string(topic), ack.error());
      return false;
    }
    published_.fetch_add(1);
    return true;
  }

  void refusal(const std::string& what, const enlace::ErrorInfo& error);

 private:
  const SystemSpec& spec_;
  std::unique_ptr<enlace::Client> client_;
  std::thread thread_;
  std::atomic<std::uint64_t> published_{0};
  std::atomic<std::uint64_t> refused_{0};
  mutable std::mutex last_refusal_mutex_;
  std::string last_refusal_;
};

}  // namespace demo
