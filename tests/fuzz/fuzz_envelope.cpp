// fuzz_envelope: an Envelope body ("ENV1") through verify_body and then the broker's
// publish checks in the order of Broker::handle_publish (broker/src/ingest.cpp): origin
// against the authenticated identity, one topic split, Policy::check_publish, the label's
// releasable_to list and Policy::audience. The policy is parsed once at start-up.
//
// The broker's session is played by the policy system the envelope names as its origin;
// an origin that names no system, or the wrong nation for it, ends where the broker
// refuses it (origin_mismatch).
//
// Input: the body alone, without the 8-byte frame header.
#include <bit>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "enlace/policy/policy.hpp"
#include "enlace/protocol/frame.hpp"
#include "enlace/topic.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace enlace;

constexpr std::size_t kMaxLabelNations = policy::kMaxNations;  // ingest.cpp

void check_audience_promises(const policy::Policy& policy, const policy::System& system,
                             const policy::Audience& audience) {
  if (!audience.label.allowed) {
    FUZZ_CHECK(audience.label.code != Errc::ok);
    FUZZ_CHECK(!audience.label.reason.empty());
    FUZZ_CHECK(audience.nations == 0);  // a refused label reaches nobody, not even home
    return;
  }
  // "The origin nation is always included", and nobody beyond its release cap.
  const policy::NationMask home = policy::NationMask{1} << system.nation;
  FUZZ_CHECK((audience.nations & home) != 0);
  FUZZ_CHECK((audience.nations & ~policy.nations()[system.nation].release_cap) == 0);
  FUZZ_CHECK(static_cast<std::size_t>(std::popcount(audience.nations)) <= policy.nations().size());
}

void publish_checks(const wire::Envelope& envelope, fuzz::Sink& sink) {
  const policy::Policy& policy = fuzz::startup_policy();
  const wire::Uuid* message_id = envelope.id();
  sink.scalar(message_id->hi());
  sink.scalar(message_id->lo());

  // 1. No spoofing.
  const std::string_view nation = envelope.origin()->nation()->string_view();
  const std::string_view system_id = envelope.origin()->system()->string_view();
  const policy::System* system = policy.find_system(system_id);
  if (system == nullptr || policy.nations()[system->nation].code != nation) {
    sink.string_view("envelope origin " + std::string(nation) + "/" + std::string(system_id) +
                     " differs from the authenticated identity");
    return;
  }
  FUZZ_CHECK(system->id == system_id);

  // 2. Publish ACL, on the topic split once.
  const std::string_view topic = envelope.topic()->string_view();
  topic::Tokens tokens;
  tokens.split(topic);
  const policy::Decision decision = policy.check_publish(*system, topic, tokens);
  sink.string_view(decision.reason);
  // The convenience overloads must decide the same.
  const policy::Decision again = policy.check_publish(*system, topic);
  FUZZ_CHECK(again.allowed == decision.allowed && again.code == decision.code);
  const policy::Decision explained = policy.explain_publish(*system, topic);
  FUZZ_CHECK(explained.allowed == decision.allowed && explained.code == decision.code);
  if (!decision.allowed) {
    FUZZ_CHECK(decision.code != Errc::ok && !decision.reason.empty());
    return;
  }
  FUZZ_CHECK(topic::is_valid_topic(topic));
  FUZZ_CHECK(!system->revoked);

  // 3. (rate limit: a clock, not the input)
  // 4. Label and audience.
  const wire::ConfidentialityLabel* label = envelope.label();
  std::vector<std::string_view> label_nations;
  auto classification = policy::Classification::unmarked;
  if (label != nullptr) {
    classification = static_cast<policy::Classification>(label->classification());
    if (const auto* nations = label->releasable_to()) {
      if (nations->size() > kMaxLabelNations) {
        sink.string_view("releasable_to lists more than 64 nations");
        return;
      }
      for (const auto* code : *nations) label_nations.push_back(code->string_view());
    }
  }
  const policy::Audience audience = policy.audience(*system, tokens, label_nations, classification);
  sink.scalar(audience.nations);
  sink.string_view(audience.label.reason);
  check_audience_promises(policy, *system, audience);
  const policy::Audience by_text = policy.audience(*system, topic, label_nations, classification);
  FUZZ_CHECK(by_text.nations == audience.nations);
  FUZZ_CHECK(by_text.label.allowed == audience.label.allowed);
  FUZZ_CHECK(by_text.label.code == audience.label.code);
  if (audience.label.allowed) {
    if (label_nations.empty()) {
      FUZZ_CHECK(audience.nations == policy.default_audience(system->nation, tokens));
    }
    sink.string_view(policy.nation_list(audience.nations));
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::startup_policy();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fuzz::AlignedBuffer buffer(data, size);
  const wire::FrameView frame{wire::Command::publish, wire::flag::ack_requested, buffer.bytes()};
  if (wire::verify_body(frame) != Errc::ok) return 0;
  const wire::Envelope& envelope = *wire::envelope_of(frame);
  fuzz::Sink sink;
  fuzz::read(sink, &envelope);
  publish_checks(envelope, sink);
  return 0;
}
