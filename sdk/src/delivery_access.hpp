// The SDK's own way to a Delivery over bytes its receive path has already verified
// (Delivery's constructor is private: it trusts its input).
#pragma once

#include <memory>
#include <utility>

#include "enlace/delivery.hpp"

namespace enlace::detail {

struct DeliveryAccess {
  static Delivery over_verified(std::shared_ptr<const void> keepalive, wire::Bytes bytes) noexcept {
    return Delivery(std::move(keepalive), bytes);
  }
};

}  // namespace enlace::detail
