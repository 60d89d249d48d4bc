#include "delivery_template.hpp"

#include <cstring>
#include <stdexcept>

namespace enlace::broker {
namespace {

std::size_t offset_in(const std::uint8_t* base, const void* field) {
  return static_cast<std::size_t>(static_cast<const std::uint8_t*>(field) - base);
}

}  // namespace

DeliveryTemplate::DeliveryTemplate(const DeliveryOrigin& origin) {
  flatbuffers::FlatBufferBuilder fbb(256);
  // Present even at zero: they are patched per message.
  fbb.ForceDefaults(true);
  // FlatBuffers builds back to front: created first, the envelope vector ends the buffer.
  // Aligned to 8 (nested FlatBuffer), it leaves the rest of the layout identical whatever
  // its length.
  fbb.ForceVectorAlignment(0, sizeof(std::uint8_t), wire::kAlignment);
  const auto envelope = fbb.CreateVector(static_cast<const std::uint8_t*>(nullptr), 0);
  const auto authenticated = wire::CreateAuthenticatedOrigin(fbb, fbb.CreateString(origin.nation),
                                                             fbb.CreateString(origin.system),
                                                             fbb.CreateString(origin.role));
  const auto broker_id = fbb.CreateString(origin.broker_id);
  const auto path = fbb.CreateVector(&broker_id, 1);
  wire::DeliveryBuilder delivery(fbb);
  delivery.add_sequence(0);
  delivery.add_receive_time_ns(0);
  delivery.add_origin(authenticated);
  delivery.add_broker_id(broker_id);
  delivery.add_path(path);
  // Only when set: a live delivery stays byte for byte what it was before the field.
  if (origin.snapshot) delivery.add_snapshot(true);
  if (origin.replayed) delivery.add_replayed(true);
  delivery.add_envelope(envelope);
  fbb.Finish(delivery.Finish(), wire::DeliveryIdentifier());

  const std::uint8_t* base = fbb.GetBufferPointer();
  const auto* table = reinterpret_cast<const flatbuffers::Table*>(wire::GetDelivery(base));
  const auto* sequence = table->GetAddressOf(wire::Delivery::VT_SEQUENCE);
  const auto* receive_time = table->GetAddressOf(wire::Delivery::VT_RECEIVE_TIME_NS);
  const std::size_t envelope_at = offset_in(base, wire::GetDelivery(base)->envelope());
  if (sequence == nullptr || receive_time == nullptr ||
      envelope_at + sizeof(flatbuffers::uoffset_t) != fbb.GetSize()) {
    throw std::logic_error("unexpected Delivery layout");  // a FlatBuffers change
  }
  prefix_.assign(base, base + fbb.GetSize());
  sequence_at_ = offset_in(base, sequence);
  receive_time_at_ = offset_in(base, receive_time);
}

void DeliveryTemplate::write(std::uint8_t* out, std::uint64_t sequence, std::int64_t receive_ns,
                             wire::Bytes envelope) const noexcept {
  const std::size_t length_at = prefix_.size() - sizeof(flatbuffers::uoffset_t);
  std::memcpy(out, prefix_.data(), length_at);
  flatbuffers::WriteScalar(out + sequence_at_, sequence);
  flatbuffers::WriteScalar(out + receive_time_at_, receive_ns);
  flatbuffers::WriteScalar(out + length_at, static_cast<flatbuffers::uoffset_t>(envelope.size()));
  std::uint8_t* data = out + prefix_.size();
  if (!envelope.empty()) std::memcpy(data, envelope.data(), envelope.size());
  const std::size_t padded = size(envelope.size()) - prefix_.size();
  std::memset(data + envelope.size(), 0, padded - envelope.size());
}

}  // namespace enlace::broker
