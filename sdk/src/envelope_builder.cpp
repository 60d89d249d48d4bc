#include "enlace/envelope_builder.hpp"

#include <sodium.h>

#include <pthread.h>
#include <sys/random.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>

namespace enlace {

std::int64_t now_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {

// Random bits for message ids, drawn from the system's generator a page at a time: one
// getrandom() per 256 ids instead of one system call per message. A forked child must not
// repeat its parent's ids, so fork() invalidates every thread's pool.
std::atomic<unsigned> fork_generation{0};

// The whole page in one getrandom() (libsodium's randombytes_buf asks for 256 bytes at a
// time); libsodium remains the fallback should the call be unavailable.
void fill(void* buffer, std::size_t size) noexcept {
  auto* out = static_cast<std::uint8_t*>(buffer);
  while (size > 0) {
    const ssize_t n = getrandom(out, size, 0);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      randombytes_buf(out, size);
      return;
    }
    out += n;
    size -= static_cast<std::size_t>(n);
  }
}

struct RandomPool {
  std::array<std::uint64_t, 512> words;
  std::size_t next = words.size();
  unsigned generation = 0;

  std::uint64_t take() noexcept {
    const unsigned current = fork_generation.load(std::memory_order_relaxed);
    if (next == words.size() || generation != current) {
      fill(words.data(), sizeof(words));
      next = 0;
      generation = current;
    }
    return words[next++];
  }
};

bool init_randomness() noexcept {
  if (sodium_init() < 0) return false;
  pthread_atfork(nullptr, nullptr, [] { fork_generation.fetch_add(1, std::memory_order_relaxed); });
  return true;
}

}  // namespace

wire::Uuid make_message_id() noexcept {
  // Random (version 4) UUID.
  static const bool initialised = init_randomness();
  (void)initialised;
  thread_local RandomPool pool;
  std::uint64_t halves[2] = {pool.take(), pool.take()};
  halves[0] = (halves[0] & ~0xF000ULL) | 0x4000ULL;                         // version 4
  halves[1] = (halves[1] & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;  // RFC 4122 variant
  return wire::Uuid(halves[0], halves[1]);
}

wire::Uuid EnvelopeEncoder::finish_any(std::string_view topic, Origin origin, wire::Payload type,
                                       flatbuffers::Offset<void> payload,
                                       const PublishOptions& options) {
  auto& fbb = fbb_;
  const wire::Uuid id = make_message_id();
  const auto topic_offset = fbb.CreateString(topic.data(), topic.size());
  const auto origin_offset =
      wire::CreateOrigin(fbb, fbb.CreateString(origin.nation.data(), origin.nation.size()),
                         fbb.CreateString(origin.system.data(), origin.system.size()));

  flatbuffers::Offset<wire::ConfidentialityLabel> label_offset;
  const Label& label = options.label;
  if (!label.releasable_to.empty() || !label.policy_identifier.empty() ||
      label.classification != wire::Classification::Unmarked) {
    flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>> nations;
    if (!label.releasable_to.empty()) nations = fbb.CreateVectorOfStrings(label.releasable_to);
    flatbuffers::Offset<flatbuffers::String> policy;
    if (!label.policy_identifier.empty()) policy = fbb.CreateString(label.policy_identifier);
    label_offset = wire::CreateConfidentialityLabel(fbb, policy, label.classification, nations);
  }

  const std::int64_t now = now_ns();
  const std::int64_t stale =
      options.time_to_live.count() > 0 ? now + options.time_to_live.count() : 0;

  wire::EnvelopeBuilder envelope(fbb);
  envelope.add_id(&id);
  envelope.add_origin(origin_offset);
  envelope.add_topic(topic_offset);
  envelope.add_publish_time_ns(now);
  envelope.add_stale_time_ns(stale);
  if (!label_offset.IsNull()) envelope.add_label(label_offset);
  envelope.add_payload_type(type);
  envelope.add_payload(payload);
  fbb.Finish(envelope.Finish(), wire::EnvelopeIdentifier());
  return id;
}

}  // namespace enlace
