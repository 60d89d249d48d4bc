// The C ABI's shared helpers (declared in c_api_support.hpp), and the compile-time checks
// that every C constant of enlace.h equals the C++ value it stands for.
#include "c_api_support.hpp"

#include <sodium.h>

#include <cstring>

#include "enlace/enlace.h"

// --- The C constants are the C++ ones ----------------------------------------------------

#define ENLACE_SAME_CODE(c_name, cxx_name)                            \
  static_assert((c_name) == static_cast<int>(enlace::Errc::cxx_name), \
                #c_name " differs from Errc::" #cxx_name)
ENLACE_SAME_CODE(ENLACE_OK, ok);
ENLACE_SAME_CODE(ENLACE_ERR_MALFORMED_FRAME, malformed_frame);
ENLACE_SAME_CODE(ENLACE_ERR_UNSUPPORTED_VERSION, unsupported_version);
ENLACE_SAME_CODE(ENLACE_ERR_UNKNOWN_COMMAND, unknown_command);
ENLACE_SAME_CODE(ENLACE_ERR_WRONG_IDENTIFIER, wrong_identifier);
ENLACE_SAME_CODE(ENLACE_ERR_VERIFICATION_FAILED, verification_failed);
ENLACE_SAME_CODE(ENLACE_ERR_MESSAGE_TOO_LARGE, message_too_large);
ENLACE_SAME_CODE(ENLACE_ERR_HELLO_REQUIRED, hello_required);
ENLACE_SAME_CODE(ENLACE_ERR_BAD_BATCH, bad_batch);
ENLACE_SAME_CODE(ENLACE_ERR_INVALID_TOPIC, invalid_topic);
ENLACE_SAME_CODE(ENLACE_ERR_INVALID_PATTERN, invalid_pattern);
ENLACE_SAME_CODE(ENLACE_ERR_INVALID_LABEL, invalid_label);
ENLACE_SAME_CODE(ENLACE_ERR_INVALID_ENVELOPE, invalid_envelope);
ENLACE_SAME_CODE(ENLACE_ERR_AUTHENTICATION_FAILED, authentication_failed);
ENLACE_SAME_CODE(ENLACE_ERR_ORIGIN_MISMATCH, origin_mismatch);
ENLACE_SAME_CODE(ENLACE_ERR_PUBLISH_DENIED, publish_denied);
ENLACE_SAME_CODE(ENLACE_ERR_SUBSCRIBE_DENIED, subscribe_denied);
ENLACE_SAME_CODE(ENLACE_ERR_WILDCARD_FORBIDDEN, wildcard_forbidden);
ENLACE_SAME_CODE(ENLACE_ERR_RELEASE_NOT_PERMITTED, release_not_permitted);
ENLACE_SAME_CODE(ENLACE_ERR_CLASSIFICATION_EXCEEDED, classification_exceeded);
ENLACE_SAME_CODE(ENLACE_ERR_REVOKED, revoked);
ENLACE_SAME_CODE(ENLACE_ERR_RATE_LIMITED, rate_limited);
ENLACE_SAME_CODE(ENLACE_ERR_QUEUE_FULL, queue_full);
ENLACE_SAME_CODE(ENLACE_ERR_TOO_MANY_SUBSCRIPTIONS, too_many_subscriptions);
ENLACE_SAME_CODE(ENLACE_ERR_REPLAY_UNAVAILABLE, replay_unavailable);
ENLACE_SAME_CODE(ENLACE_ERR_TOO_MANY_SESSIONS, too_many_sessions);
ENLACE_SAME_CODE(ENLACE_ERR_DELIVERIES_DROPPED, deliveries_dropped);
ENLACE_SAME_CODE(ENLACE_ERR_SLOW_CONSUMER, slow_consumer);
ENLACE_SAME_CODE(ENLACE_ERR_INTERNAL_ERROR, internal_error);
ENLACE_SAME_CODE(ENLACE_ERR_SHUTTING_DOWN, shutting_down);
ENLACE_SAME_CODE(ENLACE_ERR_STORAGE_UNAVAILABLE, storage_unavailable);
ENLACE_SAME_CODE(ENLACE_ERR_NOT_CONNECTED, not_connected);
ENLACE_SAME_CODE(ENLACE_ERR_TIMEOUT, timeout);
ENLACE_SAME_CODE(ENLACE_ERR_CLOSED, closed);
ENLACE_SAME_CODE(ENLACE_ERR_INVALID_ARGUMENT, invalid_argument);
ENLACE_SAME_CODE(ENLACE_ERR_KEY_ERROR, key_error);
ENLACE_SAME_CODE(ENLACE_ERR_SESSION_NOT_RESUMED, session_not_resumed);
#undef ENLACE_SAME_CODE

#define ENLACE_SAME_STATE(c_name, cxx_name)                                      \
  static_assert((c_name) == static_cast<int>(enlace::ConnectionState::cxx_name), \
                #c_name " differs from ConnectionState::" #cxx_name)
ENLACE_SAME_STATE(ENLACE_STATE_CONNECTING, connecting);
ENLACE_SAME_STATE(ENLACE_STATE_CONNECTED, connected);
ENLACE_SAME_STATE(ENLACE_STATE_RECONNECTING, reconnecting);
ENLACE_SAME_STATE(ENLACE_STATE_AUTH_FAILED, auth_failed);
ENLACE_SAME_STATE(ENLACE_STATE_CLOSED, closed);
#undef ENLACE_SAME_STATE

#define ENLACE_SAME_PAYLOAD(c_name, cxx_name)                                  \
  static_assert((c_name) == static_cast<int>(enlace::wire::Payload::cxx_name), \
                #c_name " differs from wire::Payload::" #cxx_name)
ENLACE_SAME_PAYLOAD(ENLACE_PAYLOAD_NONE, NONE);
ENLACE_SAME_PAYLOAD(ENLACE_PAYLOAD_TRACK, Track);
ENLACE_SAME_PAYLOAD(ENLACE_PAYLOAD_POSITION_REPORT, PositionReport);
ENLACE_SAME_PAYLOAD(ENLACE_PAYLOAD_DETECTION, Detection);
ENLACE_SAME_PAYLOAD(ENLACE_PAYLOAD_ALERT, Alert);
ENLACE_SAME_PAYLOAD(ENLACE_PAYLOAD_SPOT_REPORT, SpotReport);
ENLACE_SAME_PAYLOAD(ENLACE_PAYLOAD_TASKING, Tasking);
ENLACE_SAME_PAYLOAD(ENLACE_PAYLOAD_TEXT, Text);
ENLACE_SAME_PAYLOAD(ENLACE_PAYLOAD_SEALED, Sealed);
ENLACE_SAME_PAYLOAD(ENLACE_PAYLOAD_OPAQUE, Opaque);
static_assert(ENLACE_PAYLOAD_OPAQUE == static_cast<int>(enlace::wire::Payload::MAX),
              "a payload type was added to the schema: add its ENLACE_PAYLOAD_ constant");
#undef ENLACE_SAME_PAYLOAD

namespace enlace::capi {

// --- Thread-local last error -----------------------------------------------------------

thread_local constinit int t_code = ENLACE_OK;
thread_local std::string t_reason_storage;
thread_local constinit const char* t_reason = "";

thread_local constinit const enlace_client* t_in_callback = nullptr;

int record(int code, std::string_view reason) noexcept {
  t_code = code;
  try {
    t_reason_storage.assign(reason.data(), reason.size());
    t_reason = t_reason_storage.c_str();
  } catch (...) {
    t_reason = "out of memory while recording the reason";
  }
  return code;
}

int succeed() noexcept {
  t_code = ENLACE_OK;
  t_reason_storage.clear();
  t_reason = "";
  return ENLACE_OK;
}

int fail(const enlace::ErrorInfo& error) noexcept {
  return record(static_cast<int>(error.code), error.reason);
}

int invalid(std::string_view reason) noexcept {
  return record(ENLACE_ERR_INVALID_ARGUMENT, reason);
}

bool bad_timeout(int timeout_ms) noexcept {
  return timeout_ms < 0;
}

// --- Callbacks -------------------------------------------------------------------------

bool in_own_callback(const enlace_client* client) noexcept {
  return t_in_callback == client;
}

int refuse_from_callback(const char* function) noexcept {
  try {
    return invalid(std::string(function) +
                   "() blocks and cannot be called from a callback of the same client");
  } catch (...) {
    return invalid("blocking call from a callback of the same client");
  }
}

// --- Copying out -----------------------------------------------------------------------

int copy_key(const std::string& key, char* out) noexcept {
  if (key.size() != ENLACE_KEY_LENGTH) return ENLACE_ERR_KEY_ERROR;
  std::memcpy(out, key.data(), ENLACE_KEY_LENGTH);
  out[ENLACE_KEY_LENGTH] = '\0';
  return ENLACE_OK;
}

void wipe(std::string& secret) noexcept {
  if (!secret.empty()) sodium_memzero(secret.data(), secret.size());
}

int copy_out(const std::string& value, char* buffer, std::size_t size, std::size_t* length_out) {
  if (length_out != nullptr) *length_out = value.size();
  if (buffer == nullptr && size == 0) {
    return length_out != nullptr ? succeed()
                                 : invalid("buffer and length_out must not both be NULL");
  }
  if (buffer == nullptr) return invalid("buffer is NULL but size is not 0");
  if (value.size() + 1 > size) {
    if (size > 0) buffer[0] = '\0';
    return invalid("buffer of " + std::to_string(size) +
                   " bytes is too small: " + std::to_string(value.size() + 1) + " needed");
  }
  std::memcpy(buffer, value.c_str(), value.size() + 1);
  return succeed();
}

}  // namespace enlace::capi
