// Builders of control frames (schemas/control.fbs), one per body, shared by both ends of
// a link. Each clears `fbb` and leaves in it a finished ControlFrame ("ECT1") whose bytes
// are the body of a `control` frame; the caller frames and sends them. Not thread-safe
// (one builder per thread); after warm-up a builder allocates nothing.
#pragma once

#include <flatbuffers/flatbuffers.h>

#include <cstdint>
#include <string_view>

#include "enlace/error.hpp"
#include "enlace/wire.hpp"

namespace enlace::protocol {

/// A Hello; the resume_* fields ask to resume an earlier session (docs/protocol.md 5.2).
struct HelloFields {
  std::string_view client_name;
  std::uint32_t heartbeat_ms = 0;
  std::uint32_t resume_grace_ms = 0;
  std::uint64_t resume_session = 0;
  std::uint64_t resume_token = 0;
  std::uint64_t resume_received = 0;
  std::uint64_t resume_told_dropped = 0;
};

struct WelcomeFields {
  std::string_view broker_id, nation, system, role, policy_version;
  std::uint32_t max_message_bytes = 0;
  std::uint64_t session_id = 0;
  std::uint32_t resume_grace_ms = 0;
  std::uint64_t resume_token = 0;
  bool resumed = false;
  std::uint64_t missed = 0;
};

struct SubscribeFields {
  std::uint32_t request_id = 0;
  std::string_view pattern;
  bool snapshot = false;
  wire::ReplayFrom replay_from = wire::ReplayFrom::None;
  std::uint64_t replay_value = 0;
  wire::Conflation conflation = wire::Conflation::None;
};

void build_hello(flatbuffers::FlatBufferBuilder& fbb, const HelloFields& hello);
void build_welcome(flatbuffers::FlatBufferBuilder& fbb, const WelcomeFields& welcome);
void build_subscribe(flatbuffers::FlatBufferBuilder& fbb, const SubscribeFields& subscribe);
void build_unsubscribe(flatbuffers::FlatBufferBuilder& fbb, std::uint32_t request_id,
                       std::string_view pattern);
/// `message_id` may be null (answers to requests other than publishes).
void build_ack(flatbuffers::FlatBufferBuilder& fbb, std::uint32_t request_id,
               const wire::Uuid* message_id, std::uint64_t sequence, std::uint32_t count);
/// The retryable field is filled in from the code (is_retryable()). `count` (deliveries
/// lost, for deliveries_dropped and slow_consumer) is written only when not 0.
void build_error(flatbuffers::FlatBufferBuilder& fbb, Errc code, std::string_view reason,
                 std::uint32_t request_id, const wire::Uuid* message_id, std::uint64_t count = 0);
/// `horizon`: the last sequence the snapshot could hold (docs/protocol.md 5.3).
void build_end_of_snapshot(flatbuffers::FlatBufferBuilder& fbb, std::uint32_t request_id,
                           std::uint32_t count, std::uint64_t horizon);
/// `horizon`: the last sequence the replay could hold (docs/protocol.md 5.3, "Replay");
/// `damaged`: the damaged journal records it met, written only when not 0.
void build_end_of_replay(flatbuffers::FlatBufferBuilder& fbb, std::uint32_t request_id,
                         std::uint64_t count, std::uint64_t horizon, std::uint64_t damaged = 0);
void build_ping(flatbuffers::FlatBufferBuilder& fbb, std::uint64_t nonce, std::int64_t time_ns);
void build_pong(flatbuffers::FlatBufferBuilder& fbb, std::uint64_t nonce, std::int64_t time_ns);
void build_bye(flatbuffers::FlatBufferBuilder& fbb);

}  // namespace enlace::protocol
