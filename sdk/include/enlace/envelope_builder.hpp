// Building envelopes: the publisher-owned part of every message.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <flatbuffers/flatbuffers.h>

#include "enlace/export.hpp"
#include "enlace/wire.hpp"

namespace enlace {

/// The confidentiality label a publisher puts on a message (STANAG 4774 shape).
struct Label {
  wire::Classification classification = wire::Classification::Unclassified;
  /// ISO 3166-1 alpha-3 codes. Empty: the coalition's sharing agreements decide who,
  /// beyond the origin nation, receives the message.
  std::vector<std::string> releasable_to;
  /// Policy identifier: empty (not written) or the coalition's own, e.g.
  /// "urn:enlace:coalition:putumayo"; the broker refuses another with invalid_label.
  std::string policy_identifier;
};

struct PublishOptions {
  Label label;
  /// stale_time = publish time + time_to_live; zero means "never stale".
  std::chrono::nanoseconds time_to_live = std::chrono::minutes(5);
};

namespace detail {
/// The table type T of a flatbuffers::Offset<T>.
template <class>
struct OffsetTarget;
template <class T>
struct OffsetTarget<flatbuffers::Offset<T>> {
  using type = T;
};
}  // namespace detail

/// The wire::Payload union tag of a payload offset, e.g. Payload::Track for Offset<Track>.
template <class OffsetT>
constexpr wire::Payload payload_type_of() noexcept {
  return wire::PayloadTraits<typename detail::OffsetTarget<OffsetT>::type>::enum_value;
}

/// Current UTC time in nanoseconds since the Unix epoch.
ENLACE_API std::int64_t now_ns() noexcept;

/// A fresh random message id.
ENLACE_API wire::Uuid make_message_id() noexcept;

/// Builds envelopes into a reusable FlatBufferBuilder (no allocation once warmed up).
/// Not thread-safe: use one builder per thread.
///
///   EnvelopeEncoder b;
///   auto track = wire::CreateTrackDirect(b.fbb(), "T0042", position, ...);
///   b.finish("track.COL.radar.rx17.T0042", {"COL", "col-radar-1"}, track, options);
///   send(b.bytes());
class ENLACE_API EnvelopeEncoder {
 public:
  struct Origin {
    std::string_view nation;
    std::string_view system;
  };

  explicit EnvelopeEncoder(std::size_t initial_bytes = 1024) : fbb_(initial_bytes) {}

  /// The builder to create the payload table with, before finish(). reset() happens
  /// implicitly on the next finish() cycle via clear().
  flatbuffers::FlatBufferBuilder& fbb() noexcept { return fbb_; }

  /// Finishes the envelope around `payload` (created in fbb()). Returns its id.
  template <class T>
  wire::Uuid finish(std::string_view topic, Origin origin, flatbuffers::Offset<T> payload,
                    const PublishOptions& options) {
    return finish_any(topic, origin, wire::PayloadTraits<T>::enum_value, payload.Union(), options);
  }

  wire::Uuid finish_any(std::string_view topic, Origin origin, wire::Payload type,
                        flatbuffers::Offset<void> payload, const PublishOptions& options);

  /// The finished envelope (identifier "ENV1"); valid until clear().
  wire::Bytes bytes() const noexcept { return {fbb_.GetBufferPointer(), fbb_.GetSize()}; }

  /// Forgets the finished envelope, keeping the memory for the next one.
  void clear() noexcept { fbb_.Clear(); }

 private:
  flatbuffers::FlatBufferBuilder fbb_;
};

}  // namespace enlace
