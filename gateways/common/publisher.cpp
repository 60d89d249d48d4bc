#include "common/publisher.hpp"

#include <fmt/format.h>

#include <mutex>

#include "common/log.hpp"

namespace enlace::gateway {

Status subscribe_with_snapshot(Client& client, const std::vector<std::string>& patterns,
                               const DeliveryHandler& handler) {
  for (const auto& pattern : patterns) {
    SubscribeOptions options;
    options.snapshot = true;
    auto subscription = client.subscribe(pattern, handler, options);
    if (!subscription) {
      return ErrorInfo{subscription.error().code,
                       fmt::format("subscribe {}: {}", pattern, subscription.error().reason)};
    }
  }
  return success();
}

Result<BusSession> connect_bus(const BusConfig& bus, std::chrono::milliseconds timeout,
                               std::chrono::milliseconds queue_wait) {
  auto keys = load_keypair(bus.keys);
  if (!keys) return keys.error();
  auto broker_key = load_public_key(bus.broker_key);
  if (!broker_key) return broker_key.error();
  ClientOptions options;
  options.endpoint = bus.broker;
  options.broker_public_key = *broker_key;
  options.keys = *keys;
  options.client_name = bus.client_name;
  options.send_queue_wait = queue_wait;
  options.on_state = [](ConnectionState state, const ErrorInfo& why) {
    if (why.code == Errc::ok) {
      log::info("bus: {}", to_string(state));
    } else {
      log::warn("bus: {} ({}: {})", to_string(state), to_string(why.code),
                log::escaped(why.reason));
    }
  };
  // Refusals of fire-and-forget publishes (e.g. publish_denied when the role does not
  // allow a topic) arrive here, on the client's thread; the SDK also counts them.
  options.on_error = [](const ErrorInfo& error) {
    static log::RateLimited limit(std::chrono::seconds(1));
    static std::mutex mutex;
    std::lock_guard lock(mutex);
    std::uint64_t held = 0;
    if (limit.allow(held)) {
      log::warn("bus: broker refused a report: {}: {} ({} more not logged)", to_string(error.code),
                log::escaped(error.reason), held);
    }
  };
  BusSession out;
  out.client = std::make_unique<Client>(std::move(options));
  auto session = out.client->wait_connected(timeout);
  if (!session) return session.error();
  out.session = *session;
  return out;
}

template <class T>
bool Publisher::send(std::string_view topic, std::chrono::nanoseconds ttl,
                     const PayloadWriter<T>& write) {
  options_.time_to_live = ttl;
  const auto sent = client_.publish(
      topic, [&](flatbuffers::FlatBufferBuilder& fbb) { return write(fbb); }, options_);
  if (sent) return true;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_warning_ > std::chrono::seconds(1)) {
    last_warning_ = now;
    log::warn("bus: report on {} not sent: {}: {}", log::escaped(topic),
              to_string(sent.error().code), log::escaped(sent.error().reason));
  }
  return false;
}

bool Publisher::publish(std::string_view topic, std::chrono::nanoseconds ttl,
                        const PayloadWriter<wire::PositionReport>& write) {
  return send(topic, ttl, write);
}
bool Publisher::publish(std::string_view topic, std::chrono::nanoseconds ttl,
                        const PayloadWriter<wire::Track>& write) {
  return send(topic, ttl, write);
}
bool Publisher::publish(std::string_view topic, std::chrono::nanoseconds ttl,
                        const PayloadWriter<wire::Alert>& write) {
  return send(topic, ttl, write);
}

}  // namespace enlace::gateway
