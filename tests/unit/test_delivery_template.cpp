// The broker's pre-encoded Delivery: identical to what a FlatBufferBuilder makes, for
// every envelope length, and valid for subscribers' verifiers.
#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

#include "delivery_template.hpp"
#include "enlace/envelope_builder.hpp"
#include "enlace/protocol/frame.hpp"

using namespace enlace;
using enlace::broker::DeliveryOrigin;
using enlace::broker::DeliveryTemplate;

namespace {

const DeliveryOrigin kOrigin{"COL", "col-radar-1", "sensor", "broker-putumayo"};

// The same fields, in the same order, encoded by FlatBuffers itself.
std::vector<std::uint8_t> reference(std::uint64_t sequence, std::int64_t receive_ns,
                                    wire::Bytes envelope) {
  flatbuffers::FlatBufferBuilder fbb;
  fbb.ForceDefaults(true);
  fbb.ForceVectorAlignment(envelope.size(), sizeof(std::uint8_t), wire::kAlignment);
  const auto nested = fbb.CreateVector(envelope.data(), envelope.size());
  const auto origin = wire::CreateAuthenticatedOrigin(fbb, fbb.CreateString(kOrigin.nation),
                                                      fbb.CreateString(kOrigin.system),
                                                      fbb.CreateString(kOrigin.role));
  const auto broker_id = fbb.CreateString(kOrigin.broker_id);
  const auto path = fbb.CreateVector(&broker_id, 1);
  wire::DeliveryBuilder delivery(fbb);
  delivery.add_sequence(sequence);
  delivery.add_receive_time_ns(receive_ns);
  delivery.add_origin(origin);
  delivery.add_broker_id(broker_id);
  delivery.add_path(path);
  delivery.add_envelope(nested);
  fbb.Finish(delivery.Finish(), wire::DeliveryIdentifier());
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

}  // namespace

TEST_CASE("a templated delivery is byte for byte the FlatBuffers encoding", "[delivery]") {
  const DeliveryTemplate templ(kOrigin);
  std::vector<std::uint8_t> envelope_bytes(300);
  for (std::size_t i = 0; i < envelope_bytes.size(); ++i)
    envelope_bytes[i] = static_cast<std::uint8_t>(i * 7 + 1);

  for (std::size_t length : {0, 1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 199, 200, 201, 300}) {
    INFO("envelope of " << length << " bytes");
    const wire::Bytes envelope{envelope_bytes.data(), length};
    const auto expected = reference(0x0102030405060708ULL, -42, envelope);
    std::vector<std::uint64_t> storage(templ.size(length) / 8 + 1, 0xFFFFFFFFFFFFFFFFULL);
    auto* out = reinterpret_cast<std::uint8_t*>(storage.data());
    REQUIRE(templ.size(length) == expected.size());
    CHECK(templ.size(length) % wire::kAlignment == 0);
    templ.write(out, 0x0102030405060708ULL, -42, envelope);
    CHECK(std::memcmp(out, expected.data(), expected.size()) == 0);

    // (The envelope bytes are not an Envelope here, so no verifier: the next test runs it.)
    const auto* delivery = wire::GetDelivery(out);
    CHECK(delivery->sequence() == 0x0102030405060708ULL);
    CHECK(delivery->receive_time_ns() == -42);
    CHECK(delivery->origin()->system()->string_view() == "col-radar-1");
    CHECK(delivery->path()->Get(0)->string_view() == "broker-putumayo");
    REQUIRE(delivery->envelope()->size() == length);
    CHECK(wire::is_aligned(delivery->envelope()->data()));
    CHECK(std::memcmp(delivery->envelope()->data(), envelope.data(), length) == 0);
  }
}

TEST_CASE("a templated delivery carries a real envelope that verifies", "[delivery]") {
  EnvelopeEncoder builder;
  auto& fbb = builder.fbb();
  builder.finish("text.COL.ops", {"COL", "col-radar-1"}, wire::CreateTextDirect(fbb, "hola"), {});
  const DeliveryTemplate templ(kOrigin);
  std::vector<std::uint64_t> storage(templ.size(builder.bytes().size()) / 8);
  auto* out = reinterpret_cast<std::uint8_t*>(storage.data());
  templ.write(out, 7, 1'700'000'000'000'000'000, builder.bytes());
  const wire::FrameView frame{wire::Command::deliver, 0, {out, templ.size(builder.bytes().size())}};
  REQUIRE(wire::verify_body(frame) == Errc::ok);
  const auto* envelope = wire::GetEnvelope(wire::GetDelivery(out)->envelope()->data());
  CHECK(envelope->topic()->string_view() == "text.COL.ops");
  CHECK(envelope->payload_as_Text()->body()->string_view() == "hola");
}
