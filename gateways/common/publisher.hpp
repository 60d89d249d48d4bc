// The bus side of a gateway: the connection (an enlace::Client on the gateway's own CURVE
// key) and the ReportSink that publishes on it.
//
// Threads: publish() is called on the gateway's I/O thread; the Client's own thread runs
// its callbacks (state changes, refusals), which only log and count here.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/config.hpp"
#include "common/sink.hpp"
#include "enlace/enlace.hpp"

namespace enlace::gateway {

struct BusSession {
  std::unique_ptr<Client> client;
  SessionInfo session;
};

/// Loads the keys named by `bus`, connects and waits for the broker's Welcome, up to
/// `timeout`. `queue_wait` is how long a publish() may wait for room in a full send
/// queue (zero for live feeds: a device is never held up; longer for a file replayed as
/// fast as possible, which should not lose what it reads). Fails with key_error,
/// authentication_failed or timeout.
Result<BusSession> connect_bus(const BusConfig& bus, std::chrono::milliseconds timeout,
                               std::chrono::milliseconds queue_wait);

/// Subscribes to every pattern with a snapshot of the broker's COP (cached picture first,
/// then live, with no gap), all with `handler` (run on the client's I/O thread). Fails
/// with the broker's refusal of the first pattern it does not grant, naming the pattern.
/// Not from a callback.
Status subscribe_with_snapshot(Client& client, const std::vector<std::string>& patterns,
                               const DeliveryHandler& handler);

class Publisher final : public ReportSink {
 public:
  explicit Publisher(Client& client) : client_(client) {}

  bool publish(std::string_view topic, std::chrono::nanoseconds time_to_live,
               const PayloadWriter<wire::PositionReport>& write) override;
  bool publish(std::string_view topic, std::chrono::nanoseconds time_to_live,
               const PayloadWriter<wire::Track>& write) override;
  bool publish(std::string_view topic, std::chrono::nanoseconds time_to_live,
               const PayloadWriter<wire::Alert>& write) override;

 private:
  template <class T>
  bool send(std::string_view topic, std::chrono::nanoseconds ttl, const PayloadWriter<T>& write);

  Client& client_;
  PublishOptions options_;  // unlabelled: the coalition's agreements decide who sees what
  std::chrono::steady_clock::time_point last_warning_{};
};

}  // namespace enlace::gateway
