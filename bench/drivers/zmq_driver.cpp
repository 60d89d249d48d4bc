// enlace-zmq-driver: the bench scenarios through enlace-zmq-proxy (PUB -> XSUB, XPUB -> SUB).
//
//   enlace-zmq-driver --endpoint XSUB_ENDPOINT --sub-endpoint XPUB_ENDPOINT
//                     [--curve --server-key FILE] <scenario flags, see harness.hpp>
//
// Each message is ONE frame: the topic as a prefix, then the payload, and subscribers filter
// on that prefix, so a CURVE run pays one encryption per message and hop (a separate topic
// frame would double it). The publisher uses XPUB_NODROP: at the HWM a send blocks (up to
// 100 ms, then EAGAIN, which the harness treats as backpressure) instead of dropping.
#include <atomic>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "harness.hpp"

namespace {

using namespace enlace::bench;

constexpr std::string_view topic = "track.COL.radar.rx17.T0042 ";

struct Config {
  std::string pub_endpoint;
  std::string sub_endpoint;
  bool curve = false;
  std::string server_key;  // Z85, 40 characters
};

class ZmqTransport final : public Transport {
 public:
  explicit ZmqTransport(Config config) : config_(std::move(config)), context_(1) {}
  ~ZmqTransport() override { close(); }

  bool open(int subscribers, Sink& sink) override {
    try {
      pub_ = zmq::socket_t(context_, zmq::socket_type::pub);
      pub_.set(zmq::sockopt::xpub_nodrop, 1);
      pub_.set(zmq::sockopt::sndtimeo, 100);  // block at the HWM, at most 100 ms per call
      secure(pub_);
      pub_.connect(config_.pub_endpoint);
    } catch (const zmq::error_t& e) {
      std::fprintf(stderr, "zmq: publisher: %s\n", e.what());
      return false;
    }
    // started_ and failed_ are members: the threads outlive this call.
    for (int i = 0; i < subscribers; ++i) {
      // A socket belongs to the thread that uses it: each subscriber builds its own.
      threads_.emplace_back([this, i, &sink] {
        zmq::socket_t sub;
        try {
          sub = zmq::socket_t(context_, zmq::socket_type::sub);
          sub.set(zmq::sockopt::rcvtimeo, 100);  // to notice stop_ within 100 ms
          secure(sub);
          sub.set(zmq::sockopt::subscribe, topic);
          sub.connect(config_.sub_endpoint);
        } catch (const zmq::error_t& e) {
          std::fprintf(stderr, "zmq: subscriber %d: %s\n", i, e.what());
          failed_ = true;
        }
        started_.fetch_add(1);
        zmq::message_t message;
        while (!failed_.load(std::memory_order_relaxed) && !stop_.load(std::memory_order_relaxed)) {
          try {
            if (!sub.recv(message)) continue;  // timeout
          } catch (const zmq::error_t&) {
            break;  // context terminated
          }
          if (message.size() < topic.size()) continue;
          sink.deliver(i, message.data<std::uint8_t>() + topic.size(),
                       message.size() - topic.size());
        }
        sub.set(zmq::sockopt::linger, 0);
      });
    }
    while (started_.load() < subscribers) std::this_thread::yield();  // each thread signals once
    return !failed_.load();
  }

  Sent publish(const std::uint8_t* data, std::size_t size) override {
    zmq::message_t message(topic.size() + size);
    std::memcpy(message.data(), topic.data(), topic.size());
    std::memcpy(message.data<std::uint8_t>() + topic.size(), data, size);
    try {
      return pub_.send(message, zmq::send_flags::none) ? Sent::ok : Sent::busy;
    } catch (const zmq::error_t& e) {
      std::fprintf(stderr, "zmq: send: %s\n", e.what());
      return Sent::failed;
    }
  }

  void close() override {
    stop_ = true;
    for (auto& t : threads_) t.join();
    threads_.clear();
    if (pub_) {
      pub_.set(zmq::sockopt::linger, 0);
      pub_.close();
    }
  }

 private:
  void secure(zmq::socket_t& socket) const {
    if (!config_.curve) return;
    char public_key[41] = {};
    char secret_key[41] = {};
    if (zmq_curve_keypair(public_key, secret_key) != 0) throw zmq::error_t();
    socket.set(zmq::sockopt::curve_serverkey, config_.server_key);
    socket.set(zmq::sockopt::curve_publickey, std::string_view(public_key, 40));
    socket.set(zmq::sockopt::curve_secretkey, std::string_view(secret_key, 40));
  }

  Config config_;
  zmq::context_t context_;
  zmq::socket_t pub_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> failed_{false};
  std::atomic<int> started_{0};
};

}  // namespace

int main(int argc, char** argv) {
  Config config;
  std::string key_file;
  const auto extra = [&](std::string_view flag, const std::function<std::string()>& value) {
    if (flag == "--endpoint")
      config.pub_endpoint = value();
    else if (flag == "--sub-endpoint")
      config.sub_endpoint = value();
    else if (flag == "--curve")
      config.curve = true;
    else if (flag == "--server-key")
      key_file = value();
    else
      return false;
    return true;
  };
  const std::string extra_usage =
      "--endpoint XSUB_EP --sub-endpoint XPUB_EP [--curve --server-key FILE]";
  const auto label = [&] { return std::string(config.curve ? "zmq-curve" : "zmq-plain"); };
  return run(argc, argv, label, extra_usage, extra, [&]() -> std::unique_ptr<Transport> {
    if (config.pub_endpoint.empty() || config.sub_endpoint.empty()) {
      std::fprintf(stderr, "enlace-zmq-driver: --endpoint and --sub-endpoint are required\n");
      return nullptr;
    }
    if (config.curve) {
      std::ifstream in(key_file);
      if (!(in >> config.server_key) || config.server_key.size() != 40) {
        std::fprintf(stderr, "enlace-zmq-driver: --server-key %s: no Z85 key\n", key_file.c_str());
        return nullptr;
      }
    }
    return std::make_unique<ZmqTransport>(config);
  });
}
