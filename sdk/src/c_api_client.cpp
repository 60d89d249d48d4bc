// The C ABI (enlace.h) of a client's life: options, open and close, the connection state,
// the session's identity, and flush. Helpers and the rules they follow are in
// c_api_support.hpp.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "c_api_support.hpp"
#include "enlace/client.hpp"
#include "enlace/enlace.h"

using enlace::capi::bad_timeout;
using enlace::capi::CallbackScope;
using enlace::capi::copy_out;
using enlace::capi::fail;
using enlace::capi::guarded;
using enlace::capi::in_own_callback;
using enlace::capi::invalid;
using enlace::capi::record;
using enlace::capi::refuse_from_callback;
using enlace::capi::succeed;

namespace {

using std::chrono::milliseconds;

// The first published layout of enlace_client_options_t. Frozen: fields appended later are
// read only when the caller's struct_size covers them.
constexpr std::size_t kOptionsV1Size =
    offsetof(enlace_client_options_t, on_error_user) + sizeof(void*);

enum class SessionField { nation, system, role, broker_id };

int session_field(const enlace_client* client, char* buffer, std::size_t size,
                  std::size_t* length_out, SessionField field, const char* function) noexcept {
  return guarded(function, [&] {
    if (length_out != nullptr) *length_out = 0;
    if (client == nullptr) return invalid("client must not be NULL");
    const enlace::SessionInfo session = client->client->session();
    if (session.nation.empty()) {
      if (buffer != nullptr && size > 0) buffer[0] = '\0';
      return record(ENLACE_ERR_NOT_CONNECTED, "no session has been established yet");
    }
    switch (field) {
      case SessionField::nation:
        return copy_out(session.nation, buffer, size, length_out);
      case SessionField::system:
        return copy_out(session.system, buffer, size, length_out);
      case SessionField::role:
        return copy_out(session.role, buffer, size, length_out);
      case SessionField::broker_id:
        return copy_out(session.broker_id, buffer, size, length_out);
    }
    return invalid("unknown session field");
  });
}

}  // namespace

extern "C" {

// --- Client ----------------------------------------------------------------------------

ENLACE_API int enlace_client_options_init(enlace_client_options_t* options, size_t struct_size) {
  if (options == nullptr) return invalid("options must not be NULL");
  if (struct_size < kOptionsV1Size) {
    return invalid("struct_size is smaller than the first version of enlace_client_options_t");
  }
  // Zero what the caller has, however large its version of the struct is.
  std::memset(static_cast<void*>(options), 0, struct_size);
  options->struct_size = struct_size;
  return succeed();
}

ENLACE_API int enlace_client_open(enlace_client_t** out, const enlace_client_options_t* options) {
  return guarded("enlace_client_open", [&] {
    if (out == nullptr) return invalid("out must not be NULL");
    *out = nullptr;
    if (options == nullptr) return invalid("options must not be NULL");
    if (options->struct_size < kOptionsV1Size) {
      return invalid("options->struct_size is not set: use enlace_client_options_init()");
    }
    // Read only what the caller's version of the struct has; the rest stays zero (default).
    enlace_client_options_t o;
    std::memset(&o, 0, sizeof(o));
    std::memcpy(&o, options, std::min(options->struct_size, sizeof(o)));

    // A malformed endpoint is refused by the enlace::Client constructor, which opens its
    // socket on this thread and throws std::invalid_argument; guarded() maps that.
    if (o.endpoint == nullptr) return invalid("options->endpoint must not be NULL");
    const auto check_key = [](const char* key, const char* name) -> int {
      if (key == nullptr) return invalid(std::string("options->") + name + " must not be NULL");
      if (!enlace_key_is_valid(key)) {
        return invalid(std::string("options->") + name + " is not a 40-character Z85 key");
      }
      return ENLACE_OK;
    };
    if (int r = check_key(o.broker_public_key, "broker_public_key"); r != ENLACE_OK) return r;
    if (int r = check_key(o.public_key, "public_key"); r != ENLACE_OK) return r;
    if (int r = check_key(o.secret_key, "secret_key"); r != ENLACE_OK) return r;
    if (o.heartbeat_ms < 0 || o.reconnect_min_ms < 0 || o.reconnect_max_ms < 0 ||
        o.send_queue_wait_ms < 0) {
      return invalid("heartbeat_ms, reconnect_*_ms and send_queue_wait_ms must not be negative");
    }

    auto handle = std::make_unique<enlace_client>();
    handle->on_state = o.on_state;
    handle->on_state_user = o.on_state_user;
    handle->on_error = o.on_error;
    handle->on_error_user = o.on_error_user;

    enlace::ClientOptions cxx;
    cxx.endpoint = o.endpoint;
    cxx.broker_public_key = o.broker_public_key;
    cxx.keys = {o.public_key, o.secret_key};
    cxx.client_name = o.client_name != nullptr ? o.client_name : "enlace-c/" ENLACE_VERSION_STRING;
    if (o.heartbeat_ms > 0) cxx.heartbeat = milliseconds(o.heartbeat_ms);
    if (o.reconnect_min_ms > 0) cxx.reconnect_min = milliseconds(o.reconnect_min_ms);
    if (o.reconnect_max_ms > 0) cxx.reconnect_max = milliseconds(o.reconnect_max_ms);
    if (cxx.reconnect_min > cxx.reconnect_max) {
      return invalid("reconnect_min_ms (" + std::to_string(cxx.reconnect_min.count()) +
                     ") exceeds reconnect_max_ms (" + std::to_string(cxx.reconnect_max.count()) +
                     ")");
    }
    if (o.send_queue_bytes > 0) cxx.send_queue_bytes = o.send_queue_bytes;
    if (o.resume_grace_ms != 0) cxx.resume_grace = milliseconds(std::max(o.resume_grace_ms, 0));
    cxx.send_queue_wait = milliseconds(o.send_queue_wait_ms);

    enlace_client* h = handle.get();
    cxx.on_state = [h](enlace::ConnectionState state, const enlace::ErrorInfo& error) {
      if (h->on_state == nullptr || h->closing.load(std::memory_order_acquire)) return;
      CallbackScope scope(h);
      h->on_state(static_cast<int>(state), static_cast<int>(error.code), error.reason.c_str(),
                  h->on_state_user);
    };
    cxx.on_error = [h](const enlace::ErrorInfo& error) {
      if (h->on_error == nullptr || h->closing.load(std::memory_order_acquire)) return;
      CallbackScope scope(h);
      h->on_error(static_cast<int>(error.code), error.reason.c_str(), h->on_error_user);
    };

    handle->client = std::make_unique<enlace::Client>(std::move(cxx));
    *out = handle.release();
    return succeed();
  });
}

ENLACE_API void enlace_client_close(enlace_client_t* client) {
  if (client == nullptr) return;
  client->closing.store(true, std::memory_order_release);
  if (!in_own_callback(client)) {
    delete client;  // joins the I/O thread: any callback in progress completes first
    return;
  }
  // Called from one of this client's callbacks: its I/O thread cannot join itself. A helper
  // thread frees the client; it waits for the callback to return. If no thread can be
  // started, the client is stopped and leaked rather than freed under its own feet.
  try {
    std::thread([client] { delete client; }).detach();
  } catch (...) {
    try {
      client->client->close();
    } catch (...) {
    }
  }
}

ENLACE_API int enlace_client_wait_connected(enlace_client_t* client, int timeout_ms) {
  return guarded("enlace_client_wait_connected", [&] {
    if (client == nullptr) return invalid("client must not be NULL");
    if (bad_timeout(timeout_ms)) return invalid("timeout_ms must not be negative");
    if (in_own_callback(client)) return refuse_from_callback("enlace_client_wait_connected");
    auto session = client->client->wait_connected(milliseconds(timeout_ms));
    return session ? succeed() : fail(session.error());
  });
}

ENLACE_API int enlace_client_state(const enlace_client_t* client) {
  if (client == nullptr) return -1;
  return static_cast<int>(client->client->state());
}

ENLACE_API int enlace_client_nation(const enlace_client_t* client, char* buffer, size_t size,
                                    size_t* length_out) {
  return session_field(client, buffer, size, length_out, SessionField::nation,
                       "enlace_client_nation");
}

ENLACE_API int enlace_client_system(const enlace_client_t* client, char* buffer, size_t size,
                                    size_t* length_out) {
  return session_field(client, buffer, size, length_out, SessionField::system,
                       "enlace_client_system");
}

ENLACE_API int enlace_client_role(const enlace_client_t* client, char* buffer, size_t size,
                                  size_t* length_out) {
  return session_field(client, buffer, size, length_out, SessionField::role, "enlace_client_role");
}

ENLACE_API int enlace_client_broker_id(const enlace_client_t* client, char* buffer, size_t size,
                                       size_t* length_out) {
  return session_field(client, buffer, size, length_out, SessionField::broker_id,
                       "enlace_client_broker_id");
}

ENLACE_API int enlace_client_flush(enlace_client_t* client, int timeout_ms) {
  return guarded("enlace_client_flush", [&] {
    if (client == nullptr) return invalid("client must not be NULL");
    if (bad_timeout(timeout_ms)) return invalid("timeout_ms must not be negative");
    if (in_own_callback(client)) return refuse_from_callback("enlace_client_flush");
    const auto flushed = client->client->flush(milliseconds(timeout_ms));
    return flushed ? succeed() : fail(flushed.error());
  });
}

}  // extern "C"
