// Enlace error codes: one closed set for the wire protocol and the API.
//
// Codes 1-499 travel in Error frames and are frozen: a code keeps its number and meaning
// for ever, new codes are only appended. Codes 500 and above are raised locally by the SDK
// and never appear on the wire. docs/protocol.md lists every code with its meaning.
//
// The one source of every code's number, name and retry bit is the table in
// protocol/src/error.cpp (kCodes): to_string() and is_retryable() read it, and a unit test
// (tests/unit/test_error_code_table.cpp) holds this enum, docs/protocol.md 8.3,
// docs/c-api.md 3 and sdk/include/enlace/enlace.h to it. A comment starting with
// "retryable:" marks the codes for which repeating the same request can succeed.
#pragma once

#include "enlace/export.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

namespace enlace {

enum class Errc : std::uint16_t {
  ok = 0,

  // Framing and decoding (the frame itself is wrong).
  malformed_frame = 100,      // shorter than the header, or a reserved bit set
  unsupported_version = 101,  // header version byte is not one this peer speaks
  unknown_command = 102,      // header command byte is not defined
  wrong_identifier = 103,     // FlatBuffers file identifier does not match the command
  verification_failed = 104,  // FlatBuffers verifier rejected the body (truncated, bad offsets)
  message_too_large = 105,    // frame exceeds the broker's max_message_bytes
  hello_required = 106,       // retryable: a session must start with Hello
  bad_batch = 107,            // batch framing inconsistent (lengths, nesting)
  invalid_topic = 108,        // topic empty, too long, or contains wildcards / bad tokens
  invalid_pattern = 109,      // subscription pattern malformed
  invalid_label = 110,        // unknown nation in the label, or other label defect
  invalid_envelope = 111,     // a required envelope field is missing or out of range

  // Authentication and authorization (the frame is fine, the request is not allowed).
  authentication_failed = 200,    // CURVE/ZAP handshake refused: unknown or revoked key
  origin_mismatch = 201,          // envelope origin differs from the authenticated identity
  publish_denied = 202,           // no publish allow rule matches, or a deny rule does
  subscribe_denied = 203,         // pattern not inside an allow rule, or overlaps a deny rule
  wildcard_forbidden = 204,       // the role may not subscribe with wildcards
  release_not_permitted = 205,    // label releases to a nation beyond the origin nation's cap
  classification_exceeded = 206,  // label classification above what the coalition accepts
  revoked = 207,                  // the system's key was revoked; the session is over

  // Resources.
  rate_limited = 300,            // retryable: the system exceeded its publish rate
  queue_full = 301,              // retryable: a bounded queue is full
  too_many_subscriptions = 302,  // the session holds max_subscriptions already
  replay_unavailable = 303,      // replay requested on a topic with no journal
  too_many_sessions = 304,       // retryable: the system holds max_sessions_per_system already
  deliveries_dropped = 305,      // notice: the session's outbound queue was full, deliveries lost
  slow_consumer = 306,           // retryable: session closed, over its queue bound too long

  // Broker state.
  internal_error = 400,  // retryable: the broker (or the SDK) failed unexpectedly
  shutting_down = 401,   // retryable: the broker is stopping
  storage_unavailable = 402,  // retryable: a durable publish could not be stored (journal
                              // write failed: disk full, I/O error); retry

  // Local to the SDK, never on the wire.
  not_connected = 500,        // retryable: no session with the broker at the moment
  timeout = 501,              // retryable: no answer within the caller's deadline
  closed = 502,               // the client was closed
  invalid_argument = 503,     // the caller passed something unusable
  key_error = 504,            // a key file is missing, unreadable or malformed
  session_not_resumed = 505,  // a new session replaced the one the client asked to resume:
                              // what the old one missed in between is unknown
  connect_failed = 506,       // retryable: no connection to the broker's endpoint (refused,
                              // host or network unreachable, name not resolved)
  handshake_failed = 507,     // the CURVE handshake broke off: the broker's public key given
                              // is not this broker's, or the peer is no Enlace broker
};

/// Human-readable name of a code, e.g. "publish_denied". Stable, used in logs and the CLI.
ENLACE_API std::string_view to_string(Errc code) noexcept;

/// Whether repeating the same request later can succeed without changing it.
ENLACE_API bool is_retryable(Errc code) noexcept;

/// Whether the code may appear in an Error frame on the wire.
constexpr bool is_wire_code(Errc code) noexcept {
  return static_cast<std::uint16_t>(code) > 0 && static_cast<std::uint16_t>(code) < 500;
}

/// The std::error_category of Enlace codes, named "enlace".
ENLACE_API const std::error_category& error_category() noexcept;

inline std::error_code make_error_code(Errc code) noexcept {
  return {static_cast<int>(code), error_category()};
}

/// An error as reported to the caller: a code plus the reason the broker (or the SDK)
/// gave, which names the rule or limit that decided.
struct ErrorInfo {
  Errc code = Errc::ok;
  std::string reason;
};

}  // namespace enlace

template <>
struct std::is_error_code_enum<enlace::Errc> : std::true_type {};
