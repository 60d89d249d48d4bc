// Uses the headers a vendor generated with enlace_generate_schemas() from the installed
// schemas, without libenlace: builds a minimal envelope and verifies it.
#include <cstdio>

#include <flatbuffers/flatbuffers.h>

#include <vendor/wire/envelope_generated.h>

int main() {
  namespace wire = enlace::wire;
  flatbuffers::FlatBufferBuilder fbb;
  const wire::Uuid id(1, 2);
  const auto origin = wire::CreateOriginDirect(fbb, "ECU", "ecu-radio-1");
  const auto text = wire::CreateTextDirect(fbb, "hola");
  wire::EnvelopeBuilder envelope(fbb);
  envelope.add_id(&id);
  envelope.add_origin(origin);
  envelope.add_topic(fbb.CreateString("chat.ECU.ops"));
  envelope.add_payload_type(wire::Payload::Text);
  envelope.add_payload(text.Union());
  wire::FinishEnvelopeBuffer(fbb, envelope.Finish());

  flatbuffers::Verifier verifier(fbb.GetBufferPointer(), fbb.GetSize());
  if (!wire::VerifyEnvelopeBuffer(verifier)) {
    std::printf("vendor_codegen: FAIL: envelope from vendor-generated code does not verify\n");
    return 1;
  }
  std::printf("vendor_codegen: envelope from vendor-generated code verifies\n");
  return 0;
}
