// Internal to the C ABI (enlace.h): the client handle and the helpers that the c_api*.cpp
// files share. Not installed.
//
// Three rules shape the C ABI:
//   - No exception crosses the ABI: every exported function runs its body through
//     guarded(), which maps whatever escapes to a code and a reason.
//   - Every function that returns a code records it, with its reason, in thread-local
//     storage (enlace_last_error_reason); callbacks never touch that storage, so a reason
//     read on a user thread is always the one of that thread's own last call.
//   - A user callback never runs once enlace_client_close() has begun: the trampolines
//     check the handle's `closing` flag, and the C++ client guarantees that no callback
//     runs after its close() returns.
//
// Files: c_api_support.cpp (these helpers, and the checks that the C constants are the C++
// ones), c_api.cpp (version, errors, states, keys), c_api_client.cpp (options, open,
// close, connection and session), c_api_messaging.cpp (publishing, subscribing, deliveries).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>

#include "enlace/client.hpp"
#include "enlace/enlace.h"

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

// Hidden: shared by the c_api*.cpp files, but not part of the library's exported symbols.
// The helpers are shared between the C API's files only: keep them out of the library's
// exported symbols.
#pragma GCC visibility push(hidden)
namespace enlace {
namespace capi {

// --- Thread-local last error -----------------------------------------------------------

// Defined in c_api_support.cpp. constinit (no dynamic initialisation) lets the other files
// access them directly instead of through a thread-local wrapper call.
extern thread_local constinit int t_code;
extern thread_local std::string t_reason_storage;
extern thread_local constinit const char* t_reason;

// Set while a trampoline runs user code on an I/O thread: the client whose callback it is.
extern thread_local constinit const enlace_client* t_in_callback;

// Records `code` and its reason as this thread's last error; returns `code`.
int record(int code, std::string_view reason) noexcept;
// Records ENLACE_OK with an empty reason; returns ENLACE_OK.
int succeed() noexcept;
int fail(const enlace::ErrorInfo& error) noexcept;
int invalid(std::string_view reason) noexcept;

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

bool bad_timeout(int timeout_ms) noexcept;

// --- Callbacks -------------------------------------------------------------------------

// Blocking calls made from one of the client's own callbacks would wait for the thread
// they run on. The C++ client refuses them too; checking here gives one clear reason.
// User code runs on an I/O thread only inside a trampoline, which sets t_in_callback.
bool in_own_callback(const enlace_client* client) noexcept;

int refuse_from_callback(const char* function) noexcept;

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

// --- Copying out -----------------------------------------------------------------------

// Copies a 40-character key and its NUL to `out`; ENLACE_ERR_KEY_ERROR for another length.
// Records nothing.
int copy_key(const std::string& key, char* out) noexcept;

// Zeroes a secret before its storage is released.
void wipe(std::string& secret) noexcept;

// Copies `value` and its NUL into the caller's buffer, following the getters' contract
// (length always reported, NULL buffer with size 0 to ask for it); records the result.
int copy_out(const std::string& value, char* buffer, std::size_t size, std::size_t* length_out);

// --- Delivery views (defined in c_api_messaging.cpp) -----------------------------------

// A view of nothing: every string "", every number 0, for subscription `subscription_id`.
enlace_delivery_t empty_view(std::uint64_t subscription_id) noexcept;

// Fills `view` from `delivery`; the views point into the delivery's frame, except
// releasable_to, which points into `releasable`.
void describe(const enlace::Delivery& delivery, enlace_delivery_t& view, std::string& releasable);

}  // namespace capi
}  // namespace enlace
#pragma GCC visibility pop
