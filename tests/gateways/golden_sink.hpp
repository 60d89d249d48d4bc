// Test support: a ReportSink that builds each report into a real envelope (the SDK's
// EnvelopeEncoder) and renders its payload as JSON with the enlace tool's codec, so the
// golden files show exactly what a subscriber would decode.
#pragma once

#include <string>
#include <vector>

#include "common/sink.hpp"
#include "enlace/enlace.hpp"
#include "json_codec.hpp"

namespace enlace::gateway::test {

class GoldenSink final : public ReportSink {
 public:
  /// One line per report: {"topic":...,"ttl_s":...,"type":"Track","payload":{...}}.
  std::vector<std::string> lines;
  /// When false, every publish is refused (counted as publish_failed by the pipeline).
  bool accept = true;

  bool publish(std::string_view topic, std::chrono::nanoseconds ttl,
               const PayloadWriter<wire::PositionReport>& write) override {
    return take(topic, ttl, write);
  }
  bool publish(std::string_view topic, std::chrono::nanoseconds ttl,
               const PayloadWriter<wire::Track>& write) override {
    return take(topic, ttl, write);
  }
  bool publish(std::string_view topic, std::chrono::nanoseconds ttl,
               const PayloadWriter<wire::Alert>& write) override {
    return take(topic, ttl, write);
  }

 private:
  template <class T>
  bool take(std::string_view topic, std::chrono::nanoseconds ttl, const PayloadWriter<T>& write) {
    if (!accept) return false;
    encoder_.clear();
    const auto payload = write(encoder_.fbb());
    PublishOptions options;
    options.time_to_live = ttl;
    encoder_.finish(topic, {"COL", "golden-gateway"}, payload, options);
    const auto* envelope = flatbuffers::GetRoot<wire::Envelope>(encoder_.bytes().data());
    const auto json = codec_.payload_to_json(*envelope);
    lines.push_back("{\"topic\":" + cli::json_quote(topic) +
                    ",\"ttl_s\":" + std::to_string(ttl.count() / 1'000'000'000) + ",\"type\":\"" +
                    std::string(cli::payload_type_name(envelope->payload_type())) +
                    "\",\"payload\":" + (json ? *json : "null") + "}");
    return true;
  }

  EnvelopeEncoder encoder_;
  cli::JsonCodec codec_;
};

}  // namespace enlace::gateway::test
