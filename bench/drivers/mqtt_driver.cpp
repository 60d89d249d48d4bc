// enlace-mqtt-driver: the bench scenarios through an MQTT broker (Mosquitto), with libmosquitto.
//
//   enlace-mqtt-driver --url mqtt://127.0.0.1:PORT <scenario flags, see harness.hpp>
//
// QoS 0 (the cheapest MQTT delivery, the only one comparable with a pub/sub bus that does not
// acknowledge per message), TCP_NODELAY on every client, one network thread per client
// (mosquitto_loop_start). libmosquitto queues every QoS 0 publish without limit, so the driver
// bounds what is queued but not yet written to the socket: on_publish fires once a QoS 0
// message has been written, and past `window` unwritten messages publish() reports busy.
#include <mosquitto.h>

#include <unistd.h>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "harness.hpp"

namespace {

using namespace enlace::bench;

constexpr const char* topic = "track/COL/radar/rx17/T0042";
constexpr std::uint64_t window = 1000;  // same order as a ZeroMQ HWM

struct Config {
  std::string host = "127.0.0.1";
  int port = 1883;
};

struct Client {
  mosquitto* handle = nullptr;
  Sink* sink = nullptr;
  int index = -1;  // -1: the publisher
  std::atomic<bool> connected{false};
  std::atomic<bool> subscribed{false};
  std::atomic<std::uint64_t> written{0};
  std::mutex mutex;  // with `drained`: the publisher waits for room in the window
  std::condition_variable drained;
  bool loop_started = false;
};

void on_connect(mosquitto*, void* user, int rc) {
  if (rc == 0)
    static_cast<Client*>(user)->connected = true;
  else
    std::fprintf(stderr, "mqtt: connect refused: %s\n", mosquitto_connack_string(rc));
}
void on_subscribe(mosquitto*, void* user, int, int, const int*) {
  static_cast<Client*>(user)->subscribed = true;
}
void on_publish(mosquitto*, void* user, int) {
  auto* client = static_cast<Client*>(user);
  {
    // Under the mutex so a publisher between its check and its wait cannot miss the wake-up.
    const std::lock_guard lock(client->mutex);
    client->written.fetch_add(1, std::memory_order_relaxed);
  }
  client->drained.notify_one();
}
void on_message(mosquitto*, void* user, const mosquitto_message* message) {
  auto* client = static_cast<Client*>(user);
  client->sink->deliver(client->index, message->payload,
                        static_cast<std::size_t>(message->payloadlen));
}

class MqttTransport final : public Transport {
 public:
  explicit MqttTransport(Config config) : config_(std::move(config)) { mosquitto_lib_init(); }
  ~MqttTransport() override {
    close();
    mosquitto_lib_cleanup();
  }

  bool open(int subscribers, Sink& sink) override {
    publisher_ = std::make_unique<Client>();
    if (!start(*publisher_, "bench-pub", sink, -1)) return false;
    for (int i = 0; i < subscribers; ++i) {
      subscribers_.push_back(std::make_unique<Client>());
      if (!start(*subscribers_.back(), "bench-sub" + std::to_string(i), sink, i)) return false;
    }
    for (auto& s : subscribers_) {
      if (!check(mosquitto_subscribe(s->handle, nullptr, topic, 0), "subscribe")) return false;
      if (!detail::wait_until([&] { return s->subscribed.load(); }, 5000ms)) {
        std::fprintf(stderr, "mqtt: no SUBACK within 5 s\n");
        return false;
      }
    }
    return true;
  }

  Sent publish(const std::uint8_t* data, std::size_t size) override {
    if (queued_ - publisher_->written.load(std::memory_order_relaxed) >= window) {
      // Window full: sleep until the network thread has written half of it (at most 100 ms).
      std::unique_lock lock(publisher_->mutex);
      if (!publisher_->drained.wait_for(
              lock, 100ms, [&] { return queued_ - publisher_->written.load() < window / 2; })) {
        return Sent::busy;
      }
    }
    if (!check(mosquitto_publish(publisher_->handle, nullptr, topic, static_cast<int>(size), data,
                                 0, false),
               "publish")) {
      return Sent::failed;
    }
    ++queued_;
    return Sent::ok;
  }

  void flush() override {
    if (!detail::wait_until([&] { return publisher_->written.load() >= queued_; }, 10000ms)) {
      std::fprintf(stderr, "mqtt: publisher still has unwritten messages after 10 s\n");
    }
  }

  void close() override {
    for (auto* client : {publisher_.get()}) stop(client);
    for (auto& s : subscribers_) stop(s.get());
    subscribers_.clear();
    publisher_.reset();
  }

 private:
  static bool check(int rc, const char* what) {
    if (rc == MOSQ_ERR_SUCCESS) return true;
    std::fprintf(stderr, "mqtt: %s: %s\n", what, mosquitto_strerror(rc));
    return false;
  }

  bool start(Client& client, const std::string& name, Sink& sink, int index) {
    client.sink = &sink;
    client.index = index;
    const std::string id = name + "-" + std::to_string(getpid());
    client.handle = mosquitto_new(id.c_str(), true, &client);
    if (!client.handle) {
      std::fprintf(stderr, "mqtt: mosquitto_new failed\n");
      return false;
    }
    mosquitto_connect_callback_set(client.handle, on_connect);
    mosquitto_subscribe_callback_set(client.handle, on_subscribe);
    mosquitto_publish_callback_set(client.handle, on_publish);
    mosquitto_message_callback_set(client.handle, on_message);
    if (!check(mosquitto_int_option(client.handle, MOSQ_OPT_TCP_NODELAY, 1), "TCP_NODELAY"))
      return false;
    if (!check(mosquitto_connect(client.handle, config_.host.c_str(), config_.port, 60), "connect"))
      return false;
    if (!check(mosquitto_loop_start(client.handle), "loop_start")) return false;
    client.loop_started = true;
    if (!detail::wait_until([&] { return client.connected.load(); }, 5000ms)) {
      std::fprintf(stderr, "mqtt: no CONNACK within 5 s\n");
      return false;
    }
    return true;
  }

  static void stop(Client* client) {
    if (!client || !client->handle) return;
    mosquitto_disconnect(client->handle);
    if (client->loop_started) mosquitto_loop_stop(client->handle, false);
    mosquitto_destroy(client->handle);
    client->handle = nullptr;
  }

  Config config_;
  std::unique_ptr<Client> publisher_;
  std::vector<std::unique_ptr<Client>> subscribers_;
  std::uint64_t queued_ = 0;  // publisher thread only
};

bool parse_url(const std::string& url, Config& config) {
  std::string rest = url;
  if (const auto scheme = rest.find("://"); scheme != std::string::npos)
    rest = rest.substr(scheme + 3);
  const auto colon = rest.rfind(':');
  if (colon == std::string::npos) {
    config.host = rest;
    return !rest.empty();
  }
  config.host = rest.substr(0, colon);
  try {
    config.port = std::stoi(rest.substr(colon + 1));
  } catch (const std::logic_error&) {
    return false;
  }
  return !config.host.empty();
}

}  // namespace

int main(int argc, char** argv) {
  Config config;
  bool bad_url = false;
  const auto extra = [&](std::string_view flag, const std::function<std::string()>& value) {
    if (flag == "--url" || flag == "--endpoint")
      bad_url = !parse_url(value(), config);
    else
      return false;
    return true;
  };
  return run(
      argc, argv, [] { return std::string("mosquitto-qos0"); }, "--url mqtt://HOST:PORT", extra,
      [&]() -> std::unique_ptr<Transport> {
        if (bad_url) {
          std::fprintf(stderr, "enlace-mqtt-driver: --url must be mqtt://HOST:PORT\n");
          return nullptr;
        }
        return std::make_unique<MqttTransport>(config);
      });
}
