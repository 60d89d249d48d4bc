#include "enlace/delivery.hpp"

#include <vector>

#include "delivery_access.hpp"
#include "enlace/protocol/aligned.hpp"
#include "enlace/protocol/frame.hpp"

namespace enlace {

Result<Delivery> Delivery::from_bytes(std::shared_ptr<const void> keepalive, wire::Bytes bytes) {
  if (!wire::is_aligned(bytes.data())) {
    auto copy = std::make_shared<std::vector<std::uint64_t>>();
    bytes = protocol::aligned_view(bytes, *copy);
    keepalive = std::move(copy);
  }
  if (const Errc code = wire::verify_body({wire::Command::deliver, 0, bytes}); code != Errc::ok) {
    return ErrorInfo{code, "not a valid Delivery buffer (identifier EDL1)"};
  }
  return Delivery(std::move(keepalive), bytes);
}

Delivery::Delivery(std::shared_ptr<const void> keepalive, wire::Bytes delivery_bytes) noexcept
    : keepalive_(std::move(keepalive)),
      bytes_(delivery_bytes),
      header_(wire::GetDelivery(delivery_bytes.data())),
      envelope_(wire::GetEnvelope(header_->envelope()->data())) {}

std::string_view Delivery::topic() const noexcept {
  return envelope_->topic()->string_view();
}

std::string_view Delivery::origin_nation() const noexcept {
  return header_->origin()->nation()->string_view();
}

std::string_view Delivery::origin_system() const noexcept {
  return header_->origin()->system()->string_view();
}

std::string Delivery::releasable_to() const {
  std::string out;
  const auto* label = envelope_->label();
  if (label == nullptr || label->releasable_to() == nullptr) return out;
  for (const auto* nation : *label->releasable_to()) {
    if (!out.empty()) out += ',';
    out += nation->string_view();
  }
  return out;
}

wire::Bytes Delivery::envelope_bytes() const noexcept {
  const auto* nested = header_->envelope();
  return {nested->data(), nested->size()};
}

}  // namespace enlace
