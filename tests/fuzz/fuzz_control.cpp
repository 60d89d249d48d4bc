// fuzz_control: a ControlFrame body ("ECT1") through verify_body, then every field read
// the way the two ends read them: the broker's Broker::handle_control (broker/src/
// control.cpp: Hello, Subscribe with the policy's subscribe decision, Unsubscribe, Ping,
// and the refusal naming a broker-only command) and the SDK's Client::Impl::handle_control
// (sdk/src/client_io.cpp: Welcome, Ack, Error, EndOfSnapshot, Ping).
//
// Input: the body alone, without the 8-byte frame header.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include "enlace/error.hpp"
#include "enlace/policy/policy.hpp"
#include "enlace/protocol/frame.hpp"
#include "enlace/topic.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace enlace;

// The broker's constants for the idle timeout (control.cpp).
constexpr std::int64_t kMissedHeartbeats = 3;
constexpr std::int64_t kMinIdleTimeoutNs = 3'000'000'000;

void broker_hello(const wire::Hello& hello, fuzz::Sink& sink) {
  if (hello.protocol_version() != wire::kProtocolVersion) {
    sink.string_view("client speaks protocol version " + std::to_string(hello.protocol_version()) +
                     ", this broker speaks 1");
    return;
  }
  if (hello.heartbeat_ms() > 0) {
    const std::int64_t idle = std::max(
        kMinIdleTimeoutNs, kMissedHeartbeats * std::int64_t{hello.heartbeat_ms()} * 1'000'000);
    FUZZ_CHECK(idle >= kMinIdleTimeoutNs);
    sink.scalar(idle);
  }
  sink.string_view(hello.client_name() ? hello.client_name()->string_view() : "");
}

// The broker asks the policy on behalf of the session's system; every system of the
// policy is tried, so each role's rules (wildcards forbidden, deny overlaps) meet the input.
void broker_subscribe(const wire::Subscribe& request, fuzz::Sink& sink) {
  const policy::Policy& policy = fuzz::startup_policy();
  const std::string_view pattern = request.pattern()->string_view();
  sink.scalar(request.request_id());
  for (const policy::System& system : policy.systems()) {
    const policy::Decision decision = policy.check_subscribe(system, pattern);
    sink.scalar(decision.allowed);
    sink.string_view(decision.reason);
    if (!decision.allowed) {
      FUZZ_CHECK(decision.code != Errc::ok);
      continue;
    }
    // What an allowed decision promises (policy.hpp, check_subscribe).
    FUZZ_CHECK(decision.code == Errc::ok);
    FUZZ_CHECK(!system.revoked);
    FUZZ_CHECK(topic::is_valid_pattern(pattern));
    FUZZ_CHECK(system.rules->wildcard_subscribe || !topic::has_wildcard(pattern));
    for (const policy::Rule& deny : system.rules->subscribe_deny) {
      FUZZ_CHECK(!topic::overlaps(deny.pattern, pattern));
    }
    FUZZ_CHECK(std::any_of(
        system.rules->subscribe_allow.begin(), system.rules->subscribe_allow.end(),
        [&](const policy::Rule& allow) { return topic::contains(allow.pattern, pattern); }));
    // The broker then splits the pattern for its subscription trie.
    topic::Tokens tokens;
    FUZZ_CHECK(tokens.split(pattern));
    sink.scalar(tokens.size());
  }
  sink.scalar(request.replay_from());
  sink.scalar(request.snapshot());
}

void broker_side(const wire::ControlFrame& control, fuzz::Sink& sink) {
  switch (control.body_type()) {
    case wire::Control::Hello:
      broker_hello(*control.body_as_Hello(), sink);
      return;
    case wire::Control::Subscribe:
      broker_subscribe(*control.body_as_Subscribe(), sink);
      return;
    case wire::Control::Unsubscribe: {
      const wire::Unsubscribe& request = *control.body_as_Unsubscribe();
      sink.string_view("no subscription to '" + std::string(request.pattern()->string_view()) +
                       "' in this session");
      sink.scalar(request.request_id());
      return;
    }
    case wire::Control::Ping:
      sink.scalar(control.body_as_Ping()->nonce());
      return;
    case wire::Control::Pong:
      return;
    default:
      sink.string_view(std::string("control frame '") + wire::EnumNameControl(control.body_type()) +
                       "' is sent by brokers only");
      return;
  }
}

void sdk_error(const wire::Error& frame, fuzz::Sink& sink) {
  const ErrorInfo error{static_cast<Errc>(frame.code()),
                        frame.reason() ? frame.reason()->str() : ""};
  sink.string_view(error.reason);
  // What an application's error handler would do with a code it may not know.
  sink.string_view(to_string(error.code));
  sink.scalar(is_retryable(error.code));
  sink.string_view(make_error_code(error.code).message());
  sink.scalar(frame.request_id());
  if (const wire::Uuid* id = frame.message_id()) {
    sink.scalar(id->hi());
    sink.scalar(id->lo());
  }
}

void sdk_side(const wire::ControlFrame& control, fuzz::Sink& sink) {
  switch (control.body_type()) {
    case wire::Control::Welcome: {
      const wire::Welcome& welcome = *control.body_as_Welcome();
      if (welcome.protocol_version() != wire::kProtocolVersion) {
        sink.string_view("broker speaks protocol version " +
                         std::to_string(welcome.protocol_version()));
        return;
      }
      sink.string_view(welcome.broker_id()->str());
      sink.string_view(welcome.nation()->str());
      sink.string_view(welcome.system()->str());
      sink.string_view(welcome.role()->str());
      sink.string_view(welcome.policy_version() ? welcome.policy_version()->str() : "");
      sink.scalar(welcome.max_message_bytes());
      sink.scalar(welcome.session_id());
      return;
    }
    case wire::Control::Ack: {
      const wire::Ack& ack = *control.body_as_Ack();
      if (ack.request_id() == 0 && ack.message_id() != nullptr) {
        sink.scalar(ack.message_id()->hi());
        sink.scalar(ack.message_id()->lo());
        sink.scalar(ack.sequence());
        sink.scalar(ack.count());
      }
      sink.scalar(ack.request_id());
      return;
    }
    case wire::Control::Error:
      sdk_error(*control.body_as_Error(), sink);
      return;
    case wire::Control::EndOfSnapshot: {
      const auto* end = control.body_as_EndOfSnapshot();
      sink.scalar(end->request_id());
      sink.scalar(end->count());
      return;
    }
    case wire::Control::Ping:
      sink.scalar(control.body_as_Ping()->nonce());
      return;
    default:
      return;
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::startup_policy();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fuzz::AlignedBuffer buffer(data, size);
  const wire::FrameView frame{wire::Command::control, 0, buffer.bytes()};
  if (wire::verify_body(frame) != Errc::ok) return 0;
  const wire::ControlFrame& control = *wire::control_of(frame);
  fuzz::Sink sink;
  fuzz::read(sink, &control);
  broker_side(control, sink);
  sdk_side(control, sink);
  return 0;
}
