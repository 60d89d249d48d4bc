// enlace-nats-driver: the bench scenarios through nats-server, with the NATS C client (libnats).
//
//   enlace-nats-driver --url nats://127.0.0.1:PORT [--tls --ca FILE] [--flush-each]
//                      <scenario flags, see harness.hpp>
//
// Client configured as users run it: default buffering (natsConnection_Publish appends to the
// connection's buffer and a flusher thread writes it out; when the buffer is full the publish
// call writes to the socket itself, which is the library's backpressure). --flush-each turns
// on natsOptions_SetSendAsap, the client's send-immediately mode (lower latency, lower
// throughput). Subscriptions keep the library's default pending limits: a subscriber that
// falls behind loses messages (slow consumer) and they are reported as lost.
#include <nats/nats.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "harness.hpp"

namespace {

using namespace enlace::bench;

constexpr const char* subject = "track.COL.radar.rx17.T0042";

struct Config {
  std::string url = "nats://127.0.0.1:4222";
  bool tls = false;
  std::string ca_file;
  bool flush_each = false;
};

struct Route {
  Sink* sink;
  int index;
};

void on_message(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  const auto* route = static_cast<const Route*>(closure);
  route->sink->deliver(route->index, natsMsg_GetData(msg),
                       static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
  natsMsg_Destroy(msg);
}

class NatsTransport final : public Transport {
 public:
  explicit NatsTransport(Config config) : config_(std::move(config)) {}
  ~NatsTransport() override { close(); }

  bool open(int subscribers, Sink& sink) override {
    if (!check(natsOptions_Create(&options_), "options")) return false;
    if (!check(natsOptions_SetURL(options_, config_.url.c_str()), "url")) return false;
    if (config_.tls) {
      if (!check(natsOptions_SetSecure(options_, true), "tls")) return false;
      if (!check(natsOptions_LoadCATrustedCertificates(options_, config_.ca_file.c_str()),
                 "CA file"))
        return false;
    }
    if (config_.flush_each && !check(natsOptions_SetSendAsap(options_, true), "send asap"))
      return false;
    if (!check(natsConnection_Connect(&publisher_, options_), "publisher connect")) return false;
    routes_.resize(static_cast<std::size_t>(subscribers));
    for (int i = 0; i < subscribers; ++i) {
      natsConnection* connection = nullptr;
      if (!check(natsConnection_Connect(&connection, options_), "subscriber connect")) return false;
      connections_.push_back(connection);
      routes_[static_cast<std::size_t>(i)] = Route{&sink, i};
      natsSubscription* subscription = nullptr;
      if (!check(natsConnection_Subscribe(&subscription, connection, subject, on_message,
                                          &routes_[static_cast<std::size_t>(i)]),
                 "subscribe")) {
        return false;
      }
      subscriptions_.push_back(subscription);
      if (!check(natsConnection_FlushTimeout(connection, 5000), "subscribe flush")) return false;
    }
    return true;
  }

  Sent publish(const std::uint8_t* data, std::size_t size) override {
    const natsStatus s = natsConnection_Publish(publisher_, subject, data, static_cast<int>(size));
    return check(s, "publish") ? Sent::ok : Sent::failed;
  }

  void flush() override { check(natsConnection_FlushTimeout(publisher_, 10000), "flush"); }

  void close() override {
    for (auto* s : subscriptions_) {
      natsSubscription_Unsubscribe(s);
      natsSubscription_Destroy(s);
    }
    subscriptions_.clear();
    for (auto* c : connections_) natsConnection_Destroy(c);
    connections_.clear();
    if (publisher_) natsConnection_Destroy(publisher_);
    publisher_ = nullptr;
    if (options_) natsOptions_Destroy(options_);
    options_ = nullptr;
  }

 private:
  static bool check(natsStatus s, const char* what) {
    if (s == NATS_OK) return true;
    std::fprintf(stderr, "nats: %s: %s (%s)\n", what, natsStatus_GetText(s),
                 nats_GetLastError(nullptr));
    return false;
  }

  Config config_;
  natsOptions* options_ = nullptr;
  natsConnection* publisher_ = nullptr;
  std::vector<natsConnection*> connections_;
  std::vector<natsSubscription*> subscriptions_;
  std::vector<Route> routes_;  // sized once in open(): callbacks hold pointers into it
};

}  // namespace

int main(int argc, char** argv) {
  Config config;
  const auto extra = [&](std::string_view flag, const std::function<std::string()>& value) {
    if (flag == "--url" || flag == "--endpoint")
      config.url = value();
    else if (flag == "--tls")
      config.tls = true;
    else if (flag == "--ca")
      config.ca_file = value();
    else if (flag == "--flush-each")
      config.flush_each = true;
    else
      return false;
    return true;
  };
  const auto label = [&] {
    return std::string(config.tls ? "nats-tls" : "nats-plain") + (config.flush_each ? "-asap" : "");
  };
  const int rc = run(argc, argv, label, "--url nats://HOST:PORT [--tls --ca FILE] [--flush-each]",
                     extra, [&]() -> std::unique_ptr<Transport> {
                       if (config.tls && config.ca_file.empty()) {
                         std::fprintf(stderr, "enlace-nats-driver: --tls needs --ca FILE\n");
                         return nullptr;
                       }
                       return std::make_unique<NatsTransport>(config);
                     });
  nats_CloseAndWait(2000);
  return rc;
}
