// The C ABI (enlace.h), the functions that need no client: version, error codes and the
// thread's last error, state names, and keys. The rest is in c_api_client.cpp and
// c_api_messaging.cpp; the rules all of them follow are in c_api_support.hpp.
#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>

#include "c_api_support.hpp"
#include "enlace/enlace.h"
#include "enlace/error.hpp"
#include "enlace/keys.hpp"

using enlace::capi::copy_key;
using enlace::capi::fail;
using enlace::capi::guarded;
using enlace::capi::invalid;
using enlace::capi::record;
using enlace::capi::succeed;
using enlace::capi::t_code;
using enlace::capi::t_reason;
using enlace::capi::wipe;

// --- Exported functions -------------------------------------------------------------------

extern "C" {

ENLACE_API const char* enlace_version(void) {
  return ENLACE_VERSION_STRING;
}

ENLACE_API const char* enlace_strerror(int code) {
  if (code < 0 || code > 0xFFFF) return "unknown_error";
  // to_string() returns views of string literals: NUL-terminated, static storage.
  return enlace::to_string(static_cast<enlace::Errc>(code)).data();
}

ENLACE_API int enlace_is_retryable(int code) {
  if (code <= 0 || code > 0xFFFF) return 0;
  return enlace::is_retryable(static_cast<enlace::Errc>(code)) ? 1 : 0;
}

ENLACE_API const char* enlace_last_error_reason(void) {
  return t_reason;
}

ENLACE_API int enlace_last_error_code(void) {
  return t_code;
}

ENLACE_API const char* enlace_state_name(int state) {
  switch (state) {
    case ENLACE_STATE_CONNECTING:
      return "connecting";
    case ENLACE_STATE_CONNECTED:
      return "connected";
    case ENLACE_STATE_RECONNECTING:
      return "reconnecting";
    case ENLACE_STATE_AUTH_FAILED:
      return "auth_failed";
    case ENLACE_STATE_CLOSED:
      return "closed";
    default:
      return "unknown";
  }
}

// --- Keys ------------------------------------------------------------------------------

ENLACE_API int enlace_keygen(char public_z85[ENLACE_KEY_BUFFER_SIZE],
                             char secret_z85[ENLACE_KEY_BUFFER_SIZE]) {
  return guarded("enlace_keygen", [&] {
    if (public_z85 == nullptr || secret_z85 == nullptr) {
      return invalid("key buffers must not be NULL");
    }
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
    if (path == nullptr || public_z85 == nullptr) {
      return invalid("path and buffer must not be NULL");
    }
    public_z85[0] = '\0';
    auto key = enlace::load_public_key(path);
    if (!key) return fail(key.error());
    if (copy_key(*key, public_z85) != ENLACE_OK) {
      return record(ENLACE_ERR_KEY_ERROR, std::string(path) + ": malformed key");
    }
    return succeed();
  });
}

}  // extern "C"
