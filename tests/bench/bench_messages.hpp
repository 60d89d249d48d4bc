// The messages the bench publishes: realistic radar Track envelopes, or Opaque ones of a
// fixed total size, each stamped with the monotonic time it was published at.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>

#include "enlace/enlace.hpp"

namespace enlace::bench {

// A realistic radar track (a 320-byte envelope on its bench topic). `stamp_ns` travels in
// observed_ns.
inline auto track(std::int64_t stamp_ns, std::uint64_t n) {
  return [stamp_ns, n](flatbuffers::FlatBufferBuilder& fbb) {
    const wire::GeoPoint point(-0.19 + static_cast<double>(n % 1000) * 1e-5, -74.78);
    auto position =
        wire::CreatePosition(fbb, &point, 92.0, wire::AltitudeReference::MeanSeaLevel, 25.0f);
    const wire::Motion motion(84.0f, 6.5f);
    auto source = wire::CreateSensorRefDirect(fbb, wire::SensorType::Radar, "rx17");
    return wire::CreateTrackDirect(fbb, "T0042", position, &motion, wire::StandardIdentity::Suspect,
                                   wire::BattleDimension::SeaSurface, nullptr,
                                   wire::ContactKind::Vessel, source, stamp_ns);
  };
}

// An Opaque payload of `data_bytes` bytes, the first eight of them `stamp_ns`.
inline auto opaque(std::int64_t stamp_ns, std::size_t data_bytes) {
  return [stamp_ns, data_bytes](flatbuffers::FlatBufferBuilder& fbb) {
    std::uint8_t* data = nullptr;
    const auto vector = fbb.CreateUninitializedVector(data_bytes, &data);
    std::memset(data, 0, data_bytes);
    std::memcpy(data, &stamp_ns, sizeof(stamp_ns));
    return wire::CreateOpaque(fbb, fbb.CreateString("application/octet-stream"), vector);
  };
}

// The messages of a run: Track envelopes, or Opaque ones of a fixed total size.
class Messages {
 public:
  Messages(int envelope_bytes, const std::string& topic) {
    if (envelope_bytes <= 0) {
      bytes_ = size_of(topic, track(0, 0));
      return;
    }
    // The largest payload whose envelope fits (never less than the 8-byte stamp).
    data_bytes_ = sizeof(std::int64_t);
    while (size_of(topic, opaque(0, data_bytes_ + 1)) <= static_cast<std::size_t>(envelope_bytes))
      ++data_bytes_;
    bytes_ = size_of(topic, opaque(0, data_bytes_));
  }

  /// Publishes message `n` stamped `stamp_ns` through `publish(build)`.
  template <class Publish>
  decltype(auto) publish(Publish&& publish, std::int64_t stamp_ns, std::uint64_t n) const {
    return data_bytes_ == 0 ? publish(track(stamp_ns, n)) : publish(opaque(stamp_ns, data_bytes_));
  }

  /// The stamp a delivery carries, or nullopt for another payload.
  static std::optional<std::int64_t> stamp(const Delivery& d) {
    if (const auto* t = d.as<wire::Track>()) return t->observed_ns();
    if (const auto* o = d.as<wire::Opaque>(); o && o->data() && o->data()->size() >= 8) {
      std::int64_t stamp;
      std::memcpy(&stamp, o->data()->data(), sizeof(stamp));
      return stamp;
    }
    return std::nullopt;
  }

  std::size_t envelope_bytes() const noexcept { return bytes_; }
  const char* kind() const noexcept { return data_bytes_ == 0 ? "Track" : "Opaque"; }

 private:
  template <class Build>
  static std::size_t size_of(const std::string& topic, Build&& build) {
    EnvelopeEncoder builder;
    builder.finish(topic, {"COL", "pub0"}, build(builder.fbb()), PublishOptions{});
    return builder.bytes().size();
  }

  std::size_t data_bytes_ = 0;  // 0: Track
  std::size_t bytes_ = 0;
};

inline std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace enlace::bench
