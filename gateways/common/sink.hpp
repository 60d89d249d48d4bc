// ReportSink: where a gateway's pipeline hands the reports it decided to publish.
//
// The pipelines (decoding, merging, mapping) know nothing of the bus connection: the
// gateway's Publisher implements this interface on an enlace::Client, the golden tests
// on an in-memory envelope encoder. A writer builds the payload table into the builder it
// is given, as Client::publish() expects.
#pragma once

#include <chrono>
#include <functional>
#include <string_view>

#include <flatbuffers/flatbuffers.h>

#include "enlace/wire.hpp"

namespace enlace::gateway {

template <class T>
using PayloadWriter = std::function<flatbuffers::Offset<T>(flatbuffers::FlatBufferBuilder&)>;

class ReportSink {
 public:
  virtual ~ReportSink() = default;
  /// Each returns whether the report was taken (queued or sent); false counts as
  /// publish_failed. Called on the pipeline's thread.
  virtual bool publish(std::string_view topic, std::chrono::nanoseconds time_to_live,
                       const PayloadWriter<wire::PositionReport>& write) = 0;
  virtual bool publish(std::string_view topic, std::chrono::nanoseconds time_to_live,
                       const PayloadWriter<wire::Track>& write) = 0;
  virtual bool publish(std::string_view topic, std::chrono::nanoseconds time_to_live,
                       const PayloadWriter<wire::Alert>& write) = 0;
};

}  // namespace enlace::gateway
