// Encoding a Delivery without a FlatBufferBuilder on the hot path.
//
// Everything in a Delivery but its sequence number, receive time and envelope is the same
// for every message of one publisher session (authenticated origin, broker id, path). The
// template encodes that part once, laid out so that the envelope vector comes last; a
// delivery is then one copy of the template, two patched scalars, the envelope's length
// and the envelope bytes. The output is byte for byte what a FlatBufferBuilder produces for
// the same fields in the same order (tests/unit/test_delivery_template.cpp), and is
// verified by subscribers like any other Delivery.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "enlace/protocol/frame.hpp"

namespace enlace::broker {

struct DeliveryOrigin {
  std::string_view nation;
  std::string_view system;
  std::string_view role;
  std::string_view broker_id;
  bool snapshot = false;  // deliveries from the COP cache (Delivery.snapshot)
  bool replayed = false;  // deliveries from a journal (Delivery.replayed)
};

class DeliveryTemplate {
 public:
  DeliveryTemplate() = default;
  explicit DeliveryTemplate(const DeliveryOrigin& origin);

  bool empty() const noexcept { return prefix_.empty(); }

  /// Bytes of the Delivery body for an envelope of `envelope_size` bytes: a multiple of 8.
  std::size_t size(std::size_t envelope_size) const noexcept {
    return prefix_.size() + ((envelope_size + wire::kAlignment - 1) & ~(wire::kAlignment - 1));
  }

  /// Writes the Delivery body (size(envelope.size()) bytes) at `out`, which must be 8-byte
  /// aligned; the envelope lands 8-byte aligned inside it.
  void write(std::uint8_t* out, std::uint64_t sequence, std::int64_t receive_ns,
             wire::Bytes envelope) const noexcept;

 private:
  std::vector<std::uint8_t> prefix_;  // up to and including the envelope's length field
  std::size_t sequence_at_ = 0;
  std::size_t receive_time_at_ = 0;
};

}  // namespace enlace::broker
