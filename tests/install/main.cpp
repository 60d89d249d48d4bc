// A first program against an installed Enlace: public headers only, and only calls that
// need no broker. Exits 0 when every check holds, else prints what failed and exits 1.
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include <flatbuffers/flatbuffers.h>

#include <enlace/enlace.h>
#include <enlace/wire/envelope_generated.h>
#include <enlace/envelope_builder.hpp>
#include <enlace/error.hpp>
#include <enlace/keys.hpp>
#include <enlace/topic.hpp>

namespace {

int failures = 0;

void check(bool ok, const char* what) {
  std::printf("%s: %s\n", ok ? "ok  " : "FAIL", what);
  if (!ok) ++failures;
}

}  // namespace

int main() {
  // Keys (libsodium inside libenlace).
  const enlace::KeyPair keys = enlace::generate_keypair();
  check(keys.public_key.size() == 40 && keys.secret_key.size() == 40,
        "generate_keypair gives 40-character Z85 keys");
  check(enlace::is_valid_key(keys.public_key) && keys.public_key != keys.secret_key,
        "the generated public key is valid and differs from the secret key");

  // Topics.
  check(enlace::topic::matches("track.*.>", "track.COL.radar"),
        "track.*.> matches track.COL.radar");
  check(!enlace::topic::matches("track.*.>", "track.COL"), "track.*.> does not match track.COL");

  // Errors.
  check(enlace::to_string(enlace::Errc::publish_denied) == "publish_denied",
        "to_string(Errc::publish_denied) is \"publish_denied\"");

  // An envelope built with the SDK passes the generated FlatBuffers verifier.
  const std::string topic = "chat.COL.ops";
  enlace::EnvelopeEncoder builder;
  const enlace::wire::Uuid id = builder.finish(
      topic, {"COL", "col-ops-1"}, enlace::wire::CreateTextDirect(builder.fbb(), "hola"), {});
  const auto bytes = builder.bytes();
  flatbuffers::Verifier verifier(bytes.data(), bytes.size());
  const bool verified = enlace::wire::VerifyEnvelopeBuffer(verifier);
  check(verified, "the envelope passes VerifyEnvelopeBuffer");
  if (verified) {
    const enlace::wire::Envelope* envelope = enlace::wire::GetEnvelope(bytes.data());
    check(envelope->topic()->str() == topic, "the envelope carries its topic");
    check(envelope->origin()->nation()->str() == "COL", "the envelope carries its origin");
    check(envelope->id()->hi() == id.hi() && envelope->id()->lo() == id.lo(),
          "finish() returned the envelope's id");
    const enlace::wire::Text* text = envelope->payload_as_Text();
    check(text != nullptr && text->body()->str() == "hola", "the payload is the Text \"hola\"");
  }

  // The C ABI.
  const char* message = enlace_strerror(202);
  check(message != nullptr && std::strlen(message) > 0, "enlace_strerror(202) is not empty");

  std::printf("%s\n", failures == 0 ? "consumer: all checks passed" : "consumer: FAILED");
  return failures == 0 ? 0 : 1;
}
