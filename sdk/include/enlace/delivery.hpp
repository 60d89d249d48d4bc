// A message as a subscriber receives it: the broker's delivery header wrapped around the
// publisher's envelope, both already verified by the SDK.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "enlace/export.hpp"
#include "enlace/result.hpp"
#include "enlace/wire.hpp"

namespace enlace {

namespace detail {
struct DeliveryAccess;  // the SDK's receive path: builds Deliveries over verified bytes
}  // namespace detail

/// A received message. Cheap to copy: copies share the received frame (several deliveries
/// of one batch share one buffer), which stays alive as long as any copy does.
///
/// Trust: origin_nation()/origin_system() come from the broker's delivery header, i.e. the
/// identity the broker authenticated. envelope().origin() is what the publisher wrote; the
/// broker refused the message if the two differed.
class ENLACE_API Delivery {
 public:
  /// A Delivery over bytes received or stored elsewhere (a Delivery FlatBuffer, identifier
  /// "EDL1", e.g. from Delivery::bytes() of an earlier one). The bytes are verified first,
  /// the nested envelope included: wrong_identifier or verification_failed when they do not
  /// hold a valid Delivery. An unaligned buffer is copied; otherwise the Delivery reads the
  /// bytes in place, and `keepalive` must own them.
  static Result<Delivery> from_bytes(std::shared_ptr<const void> keepalive, wire::Bytes bytes);

  const wire::Delivery& header() const noexcept { return *header_; }
  const wire::Envelope& envelope() const noexcept { return *envelope_; }

  std::string_view topic() const noexcept;
  std::string_view origin_nation() const noexcept;
  std::string_view origin_system() const noexcept;
  std::uint64_t sequence() const noexcept { return header_->sequence(); }
  std::int64_t receive_time_ns() const noexcept { return header_->receive_time_ns(); }
  bool from_snapshot() const noexcept { return header_->snapshot(); }
  /// Sent from a durable stream's journal by a replay (SubscribeOptions::replay_from); it
  /// carries the sequence and receive time it was given when it was published.
  bool replayed() const noexcept { return header_->replayed(); }
  /// Nations the publisher released the message to (empty: by agreement).
  std::string releasable_to() const;

  wire::Payload payload_type() const noexcept { return envelope_->payload_type(); }
  /// The payload as type T (wire::Track, wire::PositionReport, ...), or nullptr if the
  /// payload is of another type.
  template <class T>
  const T* as() const noexcept {
    return envelope_->payload_as<T>();
  }

  /// The Delivery FlatBuffer (identifier "EDL1") and the envelope inside it.
  wire::Bytes bytes() const noexcept { return bytes_; }
  wire::Bytes envelope_bytes() const noexcept;

 private:
  friend struct detail::DeliveryAccess;
  /// Trusts that `delivery_bytes` were verified (the SDK's receive path did).
  Delivery(std::shared_ptr<const void> keepalive, wire::Bytes delivery_bytes) noexcept;

  std::shared_ptr<const void> keepalive_;
  wire::Bytes bytes_;
  const wire::Delivery* header_;
  const wire::Envelope* envelope_;
};

}  // namespace enlace
