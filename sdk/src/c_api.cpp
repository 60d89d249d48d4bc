// The C ABI (enlace.h) on top of enlace::Client.
//
// Three rules shape this file:
//   - No exception crosses the ABI: every exported function runs its body through
//     guarded(), which maps whatever escapes to a code and a reason.
//   - Every function that returns a code records it, with its reason, in thread-local
//     storage (enlace_last_error_reason); callbacks never touch that storage, so a reason
//     read on a user thread is always the one of that thread's own last call.
//   - A user callback never runs once enlace_client_close() has begun: the trampolines
//     check the handle's `closing` flag, and the C++ client guarantees that no callback
//     runs after its close() returns.
#include "enlace/enlace.h"

#include <sodium.h>
#include <sys/un.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstddef>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "enlace/client.hpp"
#include "enlace/keys.hpp"

// --- The C constants are the C++ ones ----------------------------------------------------

#define ENLACE_SAME_CODE(c_name, cxx_name) \
  static_assert((c_name) == static_cast<int>(enlace::Errc::cxx_name), #c_name " differs from Errc::" #cxx_name)
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
ENLACE_SAME_CODE(ENLACE_ERR_INTERNAL_ERROR, internal_error);
ENLACE_SAME_CODE(ENLACE_ERR_SHUTTING_DOWN, shutting_down);
ENLACE_SAME_CODE(ENLACE_ERR_NOT_CONNECTED, not_connected);
ENLACE_SAME_CODE(ENLACE_ERR_TIMEOUT, timeout);
ENLACE_SAME_CODE(ENLACE_ERR_CLOSED, closed);
ENLACE_SAME_CODE(ENLACE_ERR_INVALID_ARGUMENT, invalid_argument);
ENLACE_SAME_CODE(ENLACE_ERR_KEY_ERROR, key_error);
#undef ENLACE_SAME_CODE

#define ENLACE_SAME_STATE(c_name, cxx_name)                                                  \
  static_assert((c_name) == static_cast<int>(enlace::ConnectionState::cxx_name), \
                #c_name " differs from ConnectionState::" #cxx_name)
ENLACE_SAME_STATE(ENLACE_STATE_CONNECTING, connecting);
ENLACE_SAME_STATE(ENLACE_STATE_CONNECTED, connected);
ENLACE_SAME_STATE(ENLACE_STATE_RECONNECTING, reconnecting);
ENLACE_SAME_STATE(ENLACE_STATE_AUTH_FAILED, auth_failed);
ENLACE_SAME_STATE(ENLACE_STATE_CLOSED, closed);
#undef ENLACE_SAME_STATE

#define ENLACE_SAME_PAYLOAD(c_name, cxx_name)                                       \
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

// The first published layout of enlace_client_options_t. Frozen: fields appended later are
// read only when the caller's struct_size covers them.
static constexpr std::size_t kOptionsV1Size =
    offsetof(enlace_client_options_t, on_error_user) + sizeof(void*);

// --- The handle ------------------------------------------------------------------------

struct enlace_client {
  enlace_state_cb on_state = nullptr;
  void* on_state_user = nullptr;
  enlace_error_cb on_error = nullptr;
  void* on_error_user = nullptr;

  // Set when enlace_client_close() begins; trampolines then stop calling user code.
  std::atomic<bool> closing{false};

  // C subscription id -> the C++ subscription. The C id is allocated before subscribing,
  // so that deliveries arriving before enlace_subscribe() returns already carry it.
  std::mutex mutex;
  std::map<std::uint64_t, enlace::Subscription> subscriptions;
  std::atomic<std::uint64_t> next_subscription_id{0};

  // Declared last so it is destroyed first: its I/O thread stops while the fields above,
  // which the trampolines read, are still alive.
  std::unique_ptr<enlace::Client> client;
};

namespace {

using std::chrono::milliseconds;

// --- Thread-local last error ---------------------------------------------------------

thread_local int t_code = ENLACE_OK;
thread_local std::string t_reason_storage;
thread_local const char* t_reason = "";

// Set while a trampoline runs user code on an I/O thread: the client whose callback it is.
thread_local const enlace_client* t_in_callback = nullptr;

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

int fail(const enlace::Error& error) noexcept {
  return record(static_cast<int>(error.code), error.reason);
}

int invalid(std::string_view reason) noexcept { return record(ENLACE_ERR_INVALID_ARGUMENT, reason); }

// Runs `body`, turning any exception into internal_error (or invalid_argument for
// std::invalid_argument, the C++ SDK's way of refusing unusable input).
template <class Body>
int guarded(const char* function, Body&& body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return record(ENLACE_ERR_INTERNAL_ERROR, "out of memory");
  } catch (const std::invalid_argument& e) {
    try {
      return record(ENLACE_ERR_INVALID_ARGUMENT, std::string(function) + ": " + e.what());
    } catch (...) {
      return record(ENLACE_ERR_INVALID_ARGUMENT, e.what());
    }
  } catch (const std::exception& e) {
    try {
      return record(ENLACE_ERR_INTERNAL_ERROR,
                    std::string(function) + ": unexpected exception: " + e.what());
    } catch (...) {
      return record(ENLACE_ERR_INTERNAL_ERROR, e.what());
    }
  } catch (...) {
    return record(ENLACE_ERR_INTERNAL_ERROR, "unexpected exception of unknown type");
  }
}

bool bad_timeout(int timeout_ms) noexcept { return timeout_ms < 0; }

// Blocking calls made from one of the client's own callbacks would wait for the thread
// they run on. The C++ client refuses them too; checking here gives one clear reason.
// User code runs on an I/O thread only inside a trampoline, which sets t_in_callback.
bool in_own_callback(const enlace_client* client) noexcept { return t_in_callback == client; }

int refuse_from_callback(const char* function) noexcept {
  try {
    return invalid(std::string(function) +
                   "() blocks and cannot be called from a callback of the same client");
  } catch (...) {
    return invalid("blocking call from a callback of the same client");
  }
}

class CallbackScope {
 public:
  explicit CallbackScope(const enlace_client* client) noexcept : saved_(t_in_callback) {
    t_in_callback = client;
  }
  ~CallbackScope() { t_in_callback = saved_; }
  CallbackScope(const CallbackScope&) = delete;
  CallbackScope& operator=(const CallbackScope&) = delete;

 private:
  const enlace_client* saved_;
};

// --- Argument checks -------------------------------------------------------------------

// The endpoints the C++ client can open without failing on its I/O thread. It hands the
// endpoint to zmq_connect() there, where an error would end the process; so the C API
// admits only the two forms vendors need, in a syntax libzmq is known to accept:
//   tcp://HOST:PORT   HOST = name or IPv4 (letters, digits, '.', '-', '_'), or [IPv6]
//   ipc://PATH        a filesystem (or '@' abstract) socket path
bool valid_endpoint(std::string_view endpoint, std::string& why) {
  constexpr std::string_view tcp = "tcp://", ipc = "ipc://";
  if (endpoint.substr(0, ipc.size()) == ipc) {
    const std::string_view path = endpoint.substr(ipc.size());
    if (path.empty() || path.size() >= sizeof(sockaddr_un::sun_path)) {
      why = "ipc:// endpoint needs a path of 1 to " +
            std::to_string(sizeof(sockaddr_un::sun_path) - 1) + " bytes";
      return false;
    }
    return true;
  }
  if (endpoint.substr(0, tcp.size()) != tcp) {
    why = "the endpoint must start with tcp:// or ipc://";
    return false;
  }
  const std::string_view address = endpoint.substr(tcp.size());
  const auto colon = address.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    why = "a tcp:// endpoint needs HOST:PORT";
    return false;
  }
  const std::string_view host = address.substr(0, colon), port = address.substr(colon + 1);
  const bool port_ok = !port.empty() && port.size() <= 5 &&
                       std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
                       std::stoul(std::string(port)) >= 1 && std::stoul(std::string(port)) <= 65535;
  if (!port_ok) {
    why = "the port must be a number from 1 to 65535";
    return false;
  }
  const auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  bool host_ok;
  if (host.front() == '[') {
    host_ok = host.size() > 2 && host.back() == ']' &&
              std::all_of(host.begin() + 1, host.end() - 1, [](char c) {
                return std::isxdigit(static_cast<unsigned char>(c)) != 0 || c == ':' || c == '.' || c == '%';
              });
  } else {
    host_ok = alnum(host.front()) && std::all_of(host.begin(), host.end(), [&](char c) {
                return alnum(c) || c == '.' || c == '-' || c == '_';
              });
  }
  if (!host_ok) {
    why = "'" + std::string(host) + "' is not a host name, an IPv4 address or an [IPv6] address";
    return false;
  }
  return true;
}

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
    return length_out != nullptr ? succeed() : invalid("buffer and length_out must not both be NULL");
  }
  if (buffer == nullptr) return invalid("buffer is NULL but size is not 0");
  if (value.size() + 1 > size) {
    if (size > 0) buffer[0] = '\0';
    return invalid("buffer of " + std::to_string(size) + " bytes is too small: " +
                   std::to_string(value.size() + 1) + " needed");
  }
  std::memcpy(buffer, value.c_str(), value.size() + 1);
  return succeed();
}

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
      case SessionField::nation: return copy_out(session.nation, buffer, size, length_out);
      case SessionField::system: return copy_out(session.system, buffer, size, length_out);
      case SessionField::role: return copy_out(session.role, buffer, size, length_out);
      case SessionField::broker_id: return copy_out(session.broker_id, buffer, size, length_out);
    }
    return invalid("unknown session field");
  });
}

void fill_ack(enlace_publish_ack_t* out, const enlace::wire::Uuid& id, std::uint64_t sequence,
              std::uint32_t audience) noexcept {
  if (out == nullptr) return;
  out->message_id_hi = id.hi();
  out->message_id_lo = id.lo();
  out->sequence = sequence;
  out->audience_nations = audience;
}

// Common to the two convenience publishers: checks, label, and acknowledged or not.
template <class Build>
int publish_built(enlace_client_t* client, const char* topic, const char* const* releasable_to,
                  std::size_t releasable_count, int acknowledge, int timeout_ms,
                  enlace_publish_ack_t* ack_out, const char* function, Build&& build) {
  if (client == nullptr || topic == nullptr) return invalid("client and topic must not be NULL");
  if (releasable_count > 0 && releasable_to == nullptr) {
    return invalid("releasable_to is NULL but releasable_count is not 0");
  }
  if (acknowledge && bad_timeout(timeout_ms)) return invalid("timeout_ms must not be negative");
  if (acknowledge && in_own_callback(client)) return refuse_from_callback(function);
  enlace::PublishOptions options;
  options.label.releasable_to.reserve(releasable_count);
  for (std::size_t i = 0; i < releasable_count; ++i) {
    if (releasable_to[i] == nullptr || releasable_to[i][0] == '\0') {
      return invalid("releasable_to[" + std::to_string(i) + "] is NULL or empty");
    }
    options.label.releasable_to.emplace_back(releasable_to[i]);
  }
  if (acknowledge) {
    auto ack = client->client->publish_and_wait(topic, build, options, milliseconds(timeout_ms));
    if (!ack) return fail(ack.error());
    fill_ack(ack_out, ack->message_id, ack->sequence, ack->audience_nations);
    return succeed();
  }
  auto id = client->client->publish(topic, build, options);
  if (!id) return fail(id.error());
  fill_ack(ack_out, *id, 0, 0);
  return succeed();
}

// --- Deliveries ----------------------------------------------------------------------

enlace_delivery_t empty_view(std::uint64_t subscription_id) noexcept {
  enlace_delivery_t view;
  std::memset(&view, 0, sizeof(view));
  view.struct_size = sizeof(view);
  view.subscription_id = subscription_id;
  view.topic = view.origin_nation = view.origin_system = view.releasable_to = "";
  view.text = view.content_type = "";
  return view;
}

void describe(const enlace::Delivery& delivery, enlace_delivery_t& view, std::string& releasable) {
  const auto& header = delivery.header();
  const auto& envelope = delivery.envelope();
  view.kind = ENLACE_DELIVERY_MESSAGE;
  // FlatBuffers strings are stored NUL-terminated: the views point into the frame.
  view.topic = envelope.topic()->c_str();
  view.origin_nation = header.origin()->nation()->c_str();
  view.origin_system = header.origin()->system()->c_str();
  view.sequence = header.sequence();
  view.receive_time_ns = header.receive_time_ns();
  view.publish_time_ns = envelope.publish_time_ns();
  view.stale_time_ns = envelope.stale_time_ns();
  view.message_id_hi = envelope.id()->hi();
  view.message_id_lo = envelope.id()->lo();
  view.from_snapshot = header.snapshot() ? 1 : 0;
  view.classification =
      envelope.label() != nullptr ? static_cast<int>(envelope.label()->classification()) : 0;
  releasable = delivery.releasable_to();
  view.releasable_to = releasable.c_str();
  view.payload_type = static_cast<int>(envelope.payload_type());
  if (const auto* text = envelope.payload_as_Text(); text != nullptr) {
    view.text = text->body()->c_str();
  } else if (const auto* opaque = envelope.payload_as_Opaque(); opaque != nullptr) {
    view.content_type = opaque->content_type()->c_str();
    if (opaque->data() != nullptr) {
      view.data = opaque->data()->data();
      view.data_size = opaque->data()->size();
    }
  }
  const auto envelope_bytes = delivery.envelope_bytes();
  view.envelope = envelope_bytes.data();
  view.envelope_size = envelope_bytes.size();
  view.delivery = delivery.bytes().data();
  view.delivery_size = delivery.bytes().size();
}

}  // namespace

// --- Exported functions -------------------------------------------------------------------

extern "C" {

ENLACE_API const char* enlace_version(void) { return ENLACE_VERSION_STRING; }

ENLACE_API const char* enlace_strerror(int code) {
  if (code < 0 || code > 0xFFFF) return "unknown_error";
  // to_string() returns views of string literals: NUL-terminated, static storage.
  return enlace::to_string(static_cast<enlace::Errc>(code)).data();
}

ENLACE_API int enlace_is_retryable(int code) {
  if (code <= 0 || code > 0xFFFF) return 0;
  return enlace::is_retryable(static_cast<enlace::Errc>(code)) ? 1 : 0;
}

ENLACE_API const char* enlace_last_error_reason(void) { return t_reason; }

ENLACE_API int enlace_last_error_code(void) { return t_code; }

ENLACE_API const char* enlace_state_name(int state) {
  switch (state) {
    case ENLACE_STATE_CONNECTING: return "connecting";
    case ENLACE_STATE_CONNECTED: return "connected";
    case ENLACE_STATE_RECONNECTING: return "reconnecting";
    case ENLACE_STATE_AUTH_FAILED: return "auth_failed";
    case ENLACE_STATE_CLOSED: return "closed";
    default: return "unknown";
  }
}

// --- Keys ------------------------------------------------------------------------------

ENLACE_API int enlace_keygen(char public_z85[ENLACE_KEY_BUFFER_SIZE],
                             char secret_z85[ENLACE_KEY_BUFFER_SIZE]) {
  return guarded("enlace_keygen", [&] {
    if (public_z85 == nullptr || secret_z85 == nullptr) return invalid("key buffers must not be NULL");
    public_z85[0] = secret_z85[0] = '\0';
    enlace::KeyPair keys = enlace::generate_keypair();
    const int a = copy_key(keys.public_key, public_z85);
    const int b = copy_key(keys.secret_key, secret_z85);
    wipe(keys.secret_key);
    if (a != ENLACE_OK || b != ENLACE_OK) {
      public_z85[0] = secret_z85[0] = '\0';
      return record(ENLACE_ERR_INTERNAL_ERROR, "key generation produced a malformed key");
    }
    return succeed();
  });
}

ENLACE_API int enlace_key_is_valid(const char* z85) {
  if (z85 == nullptr) return 0;
  // Bounded scan: a valid key has exactly 40 characters, so look at most at 41.
  const std::size_t length = ::strnlen(z85, ENLACE_KEY_BUFFER_SIZE);
  return enlace::is_valid_key(std::string_view(z85, length)) ? 1 : 0;
}

ENLACE_API int enlace_keys_save(const char* base, const char* public_z85, const char* secret_z85,
                                int overwrite) {
  return guarded("enlace_keys_save", [&] {
    if (base == nullptr || public_z85 == nullptr || secret_z85 == nullptr) {
      return invalid("base and keys must not be NULL");
    }
    if (base[0] == '\0') return invalid("base must not be empty");
    if (!enlace_key_is_valid(public_z85) || !enlace_key_is_valid(secret_z85)) {
      return invalid("public_z85 and secret_z85 must be 40-character Z85 keys");
    }
    enlace::KeyPair keys{public_z85, secret_z85};
    const auto saved = enlace::save_keypair(keys, base, overwrite != 0);
    wipe(keys.secret_key);
    return saved ? succeed() : fail(saved.error());
  });
}

ENLACE_API int enlace_keys_load(const char* base, char public_z85[ENLACE_KEY_BUFFER_SIZE],
                                char secret_z85[ENLACE_KEY_BUFFER_SIZE]) {
  return guarded("enlace_keys_load", [&] {
    if (base == nullptr || public_z85 == nullptr || secret_z85 == nullptr) {
      return invalid("base and key buffers must not be NULL");
    }
    public_z85[0] = secret_z85[0] = '\0';
    auto keys = enlace::load_keypair(base);
    if (!keys) return fail(keys.error());
    const int a = copy_key(keys->public_key, public_z85);
    const int b = copy_key(keys->secret_key, secret_z85);
    wipe(keys->secret_key);
    if (a != ENLACE_OK || b != ENLACE_OK) {
      public_z85[0] = secret_z85[0] = '\0';
      return record(ENLACE_ERR_KEY_ERROR, std::string(base) + ": malformed key");
    }
    return succeed();
  });
}

ENLACE_API int enlace_public_key_load(const char* path, char public_z85[ENLACE_KEY_BUFFER_SIZE]) {
  return guarded("enlace_public_key_load", [&] {
    if (path == nullptr || public_z85 == nullptr) return invalid("path and buffer must not be NULL");
    public_z85[0] = '\0';
    auto key = enlace::load_public_key(path);
    if (!key) return fail(key.error());
    if (copy_key(*key, public_z85) != ENLACE_OK) {
      return record(ENLACE_ERR_KEY_ERROR, std::string(path) + ": malformed key");
    }
    return succeed();
  });
}

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

    if (o.endpoint == nullptr) return invalid("options->endpoint must not be NULL");
    if (std::string why; !valid_endpoint(o.endpoint, why)) {
      return invalid("options->endpoint '" + std::string(o.endpoint) + "': " + why);
    }
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
    if (o.heartbeat_ms < 0 || o.reconnect_min_ms < 0 || o.reconnect_max_ms < 0) {
      return invalid("heartbeat_ms and reconnect_*_ms must not be negative");
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
                     ") exceeds reconnect_max_ms (" + std::to_string(cxx.reconnect_max.count()) + ")");
    }
    if (o.send_queue_bytes > 0) cxx.send_queue_bytes = o.send_queue_bytes;

    enlace_client* h = handle.get();
    cxx.on_state = [h](enlace::ConnectionState state, const enlace::Error& error) {
      if (h->on_state == nullptr || h->closing.load(std::memory_order_acquire)) return;
      CallbackScope scope(h);
      h->on_state(static_cast<int>(state), static_cast<int>(error.code), error.reason.c_str(),
                  h->on_state_user);
    };
    cxx.on_error = [h](const enlace::Error& error) {
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
  return session_field(client, buffer, size, length_out, SessionField::nation, "enlace_client_nation");
}

ENLACE_API int enlace_client_system(const enlace_client_t* client, char* buffer, size_t size,
                                   size_t* length_out) {
  return session_field(client, buffer, size, length_out, SessionField::system, "enlace_client_system");
}

ENLACE_API int enlace_client_role(const enlace_client_t* client, char* buffer, size_t size,
                                   size_t* length_out) {
  return session_field(client, buffer, size, length_out, SessionField::role, "enlace_client_role");
}

ENLACE_API int enlace_client_broker_id(const enlace_client_t* client, char* buffer, size_t size,
                                   size_t* length_out) {
  return session_field(client, buffer, size, length_out, SessionField::broker_id, "enlace_client_broker_id");
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

// --- Publishing ------------------------------------------------------------------------

ENLACE_API int enlace_publish_envelope(enlace_client_t* client, const uint8_t* bytes, size_t size,
                                       int acknowledge, int timeout_ms,
                                       enlace_publish_ack_t* ack_out) {
  return guarded("enlace_publish_envelope", [&] {
    if (client == nullptr || bytes == nullptr) return invalid("client and bytes must not be NULL");
    if (acknowledge && bad_timeout(timeout_ms)) return invalid("timeout_ms must not be negative");
    if (acknowledge && in_own_callback(client)) return refuse_from_callback("enlace_publish_envelope");
    // Shorter than a root offset plus the file identifier: not an envelope at all (and too
    // short for the identifier check to read safely).
    if (size < 2 * sizeof(flatbuffers::uoffset_t)) {
      return record(ENLACE_ERR_INVALID_ENVELOPE,
                    "a buffer of " + std::to_string(size) + " bytes cannot hold an Envelope");
    }
    if (size >= FLATBUFFERS_MAX_BUFFER_SIZE) {
      return record(ENLACE_ERR_MESSAGE_TOO_LARGE, "a buffer of " + std::to_string(size) +
                                                      " bytes exceeds any message size limit");
    }
    // FlatBuffers reads 64-bit fields in place: give the verifier an 8-byte aligned copy
    // when the caller's buffer is not (the SDK copies the envelope into its queue anyway).
    enlace::wire::Bytes envelope(bytes, size);
    std::vector<std::uint64_t> aligned;
    if (!enlace::wire::is_aligned(bytes)) {
      aligned.resize((size + 7) / 8);
      std::memcpy(aligned.data(), bytes, size);
      envelope = enlace::wire::Bytes(reinterpret_cast<const std::uint8_t*>(aligned.data()), size);
    }
    auto ack = client->client->publish_envelope(envelope, acknowledge != 0, milliseconds(timeout_ms));
    if (!ack) return fail(ack.error());
    fill_ack(ack_out, ack->message_id, ack->sequence, ack->audience_nations);
    return succeed();
  });
}

ENLACE_API int enlace_publish_text(enlace_client_t* client, const char* topic, const char* text,
                                   const char* const* releasable_to, size_t releasable_count,
                                   int acknowledge, int timeout_ms,
                                   enlace_publish_ack_t* ack_out) {
  return guarded("enlace_publish_text", [&] {
    if (text == nullptr) return invalid("text must not be NULL");
    return publish_built(client, topic, releasable_to, releasable_count, acknowledge, timeout_ms,
                         ack_out, "enlace_publish_text", [&](flatbuffers::FlatBufferBuilder& fbb) {
                           return enlace::wire::CreateTextDirect(fbb, text);
                         });
  });
}

ENLACE_API int enlace_publish_opaque(enlace_client_t* client, const char* topic,
                                     const char* content_type, const uint8_t* data, size_t size,
                                     const char* const* releasable_to, size_t releasable_count,
                                     int acknowledge, int timeout_ms,
                                     enlace_publish_ack_t* ack_out) {
  return guarded("enlace_publish_opaque", [&] {
    if (content_type == nullptr || content_type[0] == '\0') {
      return invalid("content_type must not be NULL or empty");
    }
    if (data == nullptr && size > 0) return invalid("data is NULL but size is not 0");
    // The SDK enforces the broker's exact limit once built; refuse at once what no broker
    // accepts, before building a buffer that large.
    if (size >= FLATBUFFERS_MAX_BUFFER_SIZE / 2) {
      return record(ENLACE_ERR_MESSAGE_TOO_LARGE,
                    std::to_string(size) + " bytes exceed any message size limit");
    }
    static const std::uint8_t kNothing = 0;
    const std::uint8_t* bytes = data != nullptr ? data : &kNothing;
    return publish_built(client, topic, releasable_to, releasable_count, acknowledge, timeout_ms,
                         ack_out, "enlace_publish_opaque", [&](flatbuffers::FlatBufferBuilder& fbb) {
                           const auto type = fbb.CreateString(content_type);
                           const auto vector = fbb.CreateVector(bytes, size);
                           return enlace::wire::CreateOpaque(fbb, type, vector);
                         });
  });
}

// --- Subscribing -----------------------------------------------------------------------

ENLACE_API int enlace_subscribe(enlace_client_t* client, const char* pattern,
                                enlace_delivery_cb callback, void* user, int flags,
                                int timeout_ms, uint64_t* subscription_id_out) {
  return guarded("enlace_subscribe", [&] {
    if (subscription_id_out != nullptr) *subscription_id_out = 0;
    if (client == nullptr || pattern == nullptr || callback == nullptr) {
      return invalid("client, pattern and callback must not be NULL");
    }
    if ((flags & ~(ENLACE_SUBSCRIBE_SNAPSHOT | ENLACE_SUBSCRIBE_SNAPSHOT_END)) != 0) {
      return invalid("unknown subscribe flag " + std::to_string(flags));
    }
    if ((flags & ENLACE_SUBSCRIBE_SNAPSHOT_END) != 0 && (flags & ENLACE_SUBSCRIBE_SNAPSHOT) == 0) {
      return invalid("ENLACE_SUBSCRIBE_SNAPSHOT_END needs ENLACE_SUBSCRIBE_SNAPSHOT");
    }
    if (bad_timeout(timeout_ms)) return invalid("timeout_ms must not be negative");
    if (in_own_callback(client)) return refuse_from_callback("enlace_subscribe");

    const std::uint64_t id = client->next_subscription_id.fetch_add(1) + 1;
    enlace_client* h = client;
    // Set when the subscribe fails. After a timeout the C++ client cancels the
    // subscription asynchronously; the caller, told it failed, may already be freeing
    // `user`, so no callback should start from then on.
    auto failed = std::make_shared<std::atomic<bool>>(false);
    auto handler = [h, id, callback, user, failed](const enlace::Delivery& delivery) {
      if (h->closing.load(std::memory_order_acquire) || failed->load(std::memory_order_acquire)) return;
      // Reused per I/O thread: after warm-up, a delivery allocates nothing here.
      thread_local std::string releasable;
      enlace_delivery_t view = empty_view(id);
      describe(delivery, view, releasable);
      CallbackScope scope(h);
      callback(&view, user);
    };
    enlace::SubscribeOptions options;
    options.snapshot = (flags & ENLACE_SUBSCRIBE_SNAPSHOT) != 0;
    if ((flags & ENLACE_SUBSCRIBE_SNAPSHOT_END) != 0) {
      options.on_snapshot_end = [h, id, callback, user, failed](std::uint32_t count) {
        if (h->closing.load(std::memory_order_acquire) || failed->load(std::memory_order_acquire)) return;
        enlace_delivery_t view = empty_view(id);
        view.kind = ENLACE_DELIVERY_SNAPSHOT_END;
        view.snapshot_count = count;
        CallbackScope scope(h);
        callback(&view, user);
      };
    }
    auto subscription = client->client->subscribe(pattern, std::move(handler), std::move(options),
                                                  milliseconds(timeout_ms));
    if (!subscription) {
      failed->store(true, std::memory_order_release);
      return fail(subscription.error());
    }
    {
      std::lock_guard lock(client->mutex);
      client->subscriptions.emplace(id, std::move(*subscription));
    }
    if (subscription_id_out != nullptr) *subscription_id_out = id;
    return succeed();
  });
}

ENLACE_API int enlace_unsubscribe(enlace_client_t* client, uint64_t subscription_id, int timeout_ms) {
  return guarded("enlace_unsubscribe", [&] {
    if (client == nullptr) return invalid("client must not be NULL");
    if (bad_timeout(timeout_ms)) return invalid("timeout_ms must not be negative");
    if (in_own_callback(client)) return refuse_from_callback("enlace_unsubscribe");
    enlace::Subscription subscription;
    {
      std::lock_guard lock(client->mutex);
      const auto it = client->subscriptions.find(subscription_id);
      if (it == client->subscriptions.end()) {
        return invalid("no subscription with id " + std::to_string(subscription_id));
      }
      subscription = it->second;
    }
    const auto removed = client->client->unsubscribe(subscription, milliseconds(timeout_ms));
    if (!removed && removed.code() == enlace::Errc::invalid_argument) {
      // The I/O thread no longer knows it (a concurrent unsubscribe won): forget it too.
      std::lock_guard lock(client->mutex);
      client->subscriptions.erase(subscription_id);
      return fail(removed.error());
    }
    if (!removed) return fail(removed.error());
    {
      std::lock_guard lock(client->mutex);
      client->subscriptions.erase(subscription_id);
    }
    return succeed();
  });
}

}  // extern "C"
