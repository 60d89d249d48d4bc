// The C ABI (enlace.h) of messages: publishing (an envelope, text, opaque bytes),
// subscribing and unsubscribing, and the trampolines that hand each delivery to the C
// callback as an enlace_delivery_t view. Helpers and the rules they follow are in
// c_api_support.hpp.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "c_api_support.hpp"
#include "enlace/client.hpp"
#include "enlace/enlace.h"

using enlace::capi::bad_timeout;
using enlace::capi::CallbackScope;
using enlace::capi::describe;
using enlace::capi::empty_view;
using enlace::capi::fail;
using enlace::capi::guarded;
using enlace::capi::in_own_callback;
using enlace::capi::invalid;
using enlace::capi::record;
using enlace::capi::refuse_from_callback;
using enlace::capi::succeed;

namespace {

using std::chrono::milliseconds;

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

}  // namespace

namespace enlace::capi {

// --- Delivery views ----------------------------------------------------------------------

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
  view.replayed = header.replayed() ? 1 : 0;
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

}  // namespace enlace::capi

extern "C" {

// --- Publishing ------------------------------------------------------------------------

ENLACE_API int enlace_publish_envelope(enlace_client_t* client, const uint8_t* bytes, size_t size,
                                       int acknowledge, int timeout_ms,
                                       enlace_publish_ack_t* ack_out) {
  return guarded("enlace_publish_envelope", [&] {
    if (client == nullptr || bytes == nullptr) return invalid("client and bytes must not be NULL");
    if (acknowledge && bad_timeout(timeout_ms)) return invalid("timeout_ms must not be negative");
    if (acknowledge && in_own_callback(client)) {
      return refuse_from_callback("enlace_publish_envelope");
    }
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
    // Client::publish_envelope verifies an aligned copy when the buffer is not aligned.
    auto ack =
        client->client->publish_envelope({bytes, size}, acknowledge != 0, milliseconds(timeout_ms));
    if (!ack) return fail(ack.error());
    fill_ack(ack_out, ack->message_id, ack->sequence, ack->audience_nations);
    return succeed();
  });
}

ENLACE_API int enlace_publish_text(enlace_client_t* client, const char* topic, const char* text,
                                   const char* const* releasable_to, size_t releasable_count,
                                   int acknowledge, int timeout_ms, enlace_publish_ack_t* ack_out) {
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
                         ack_out, "enlace_publish_opaque",
                         [&](flatbuffers::FlatBufferBuilder& fbb) {
                           const auto type = fbb.CreateString(content_type);
                           const auto vector = fbb.CreateVector(bytes, size);
                           return enlace::wire::CreateOpaque(fbb, type, vector);
                         });
  });
}

// --- Subscribing -----------------------------------------------------------------------

namespace {

// enlace_subscribe() and enlace_subscribe_replay(): `replay_from` 0 for none.
int subscribe(const char* function, enlace_client_t* client, const char* pattern, int replay_from,
              std::uint64_t replay_value, enlace_delivery_cb callback, void* user, int flags,
              int timeout_ms, uint64_t* subscription_id_out) {
  return guarded(function, [&] {
    if (subscription_id_out != nullptr) *subscription_id_out = 0;
    if (client == nullptr || pattern == nullptr || callback == nullptr) {
      return invalid("client, pattern and callback must not be NULL");
    }
    const int known = replay_from != 0 ? ENLACE_SUBSCRIBE_REPLAY_END | ENLACE_SUBSCRIBE_CONFLATE
                                       : ENLACE_SUBSCRIBE_SNAPSHOT | ENLACE_SUBSCRIBE_SNAPSHOT_END |
                                             ENLACE_SUBSCRIBE_CONFLATE;
    if ((flags & ~known) != 0) {
      return invalid("subscribe flag " + std::to_string(flags) + " unknown" +
                     (replay_from != 0 ? " or not for a replay" : ""));
    }
    if ((flags & ENLACE_SUBSCRIBE_SNAPSHOT_END) != 0 && (flags & ENLACE_SUBSCRIBE_SNAPSHOT) == 0) {
      return invalid("ENLACE_SUBSCRIBE_SNAPSHOT_END needs ENLACE_SUBSCRIBE_SNAPSHOT");
    }
    if (replay_from != 0 && replay_from != ENLACE_REPLAY_SEQUENCE &&
        replay_from != ENLACE_REPLAY_TIME && replay_from != ENLACE_REPLAY_EARLIEST) {
      return invalid("replay_from " + std::to_string(replay_from) +
                     " is not an enlace_replay_from");
    }
    if (bad_timeout(timeout_ms)) return invalid("timeout_ms must not be negative");
    if (in_own_callback(client)) return refuse_from_callback(function);

    const std::uint64_t id = client->next_subscription_id.fetch_add(1) + 1;
    enlace_client* h = client;
    // Set when the subscribe fails. After a timeout the C++ client cancels the
    // subscription asynchronously; the caller, told it failed, may already be freeing
    // `user`, so no callback should start from then on.
    auto failed = std::make_shared<std::atomic<bool>>(false);
    auto handler = [h, id, callback, user, failed](const enlace::Delivery& delivery) {
      if (h->closing.load(std::memory_order_acquire) || failed->load(std::memory_order_acquire)) {
        return;
      }
      // Reused per I/O thread: after warm-up, a delivery allocates nothing here.
      thread_local std::string releasable;
      enlace_delivery_t view = empty_view(id);
      describe(delivery, view, releasable);
      CallbackScope scope(h);
      callback(&view, user);
    };
    enlace::SubscribeOptions options;
    options.snapshot = (flags & ENLACE_SUBSCRIBE_SNAPSHOT) != 0;
    options.replay_from = static_cast<enlace::wire::ReplayFrom>(replay_from);
    options.replay_value = replay_value;
    if ((flags & ENLACE_SUBSCRIBE_REPLAY_END) != 0) {
      options.on_replay_end = [h, id, callback, user, failed](const enlace::ReplayEnd& end) {
        if (h->closing.load(std::memory_order_acquire) || failed->load(std::memory_order_acquire)) {
          return;
        }
        enlace_delivery_t view = empty_view(id);
        view.kind = ENLACE_DELIVERY_REPLAY_END;
        view.replay_count = end.replayed;
        view.replay_damaged = end.damaged;
        CallbackScope scope(h);
        callback(&view, user);
      };
    }
    if ((flags & ENLACE_SUBSCRIBE_CONFLATE) != 0) {
      options.conflation = enlace::wire::Conflation::LatestPerTopic;
    }
    if ((flags & ENLACE_SUBSCRIBE_SNAPSHOT_END) != 0) {
      options.on_snapshot_end = [h, id, callback, user, failed](std::uint32_t count) {
        if (h->closing.load(std::memory_order_acquire) || failed->load(std::memory_order_acquire)) {
          return;
        }
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

}  // namespace

ENLACE_API int enlace_subscribe(enlace_client_t* client, const char* pattern,
                                enlace_delivery_cb callback, void* user, int flags, int timeout_ms,
                                uint64_t* subscription_id_out) {
  return subscribe("enlace_subscribe", client, pattern, 0, 0, callback, user, flags, timeout_ms,
                   subscription_id_out);
}

ENLACE_API int enlace_subscribe_replay(enlace_client_t* client, const char* pattern,
                                       int replay_from, uint64_t replay_value,
                                       enlace_delivery_cb callback, void* user, int flags,
                                       int timeout_ms, uint64_t* subscription_id_out) {
  if (replay_from == 0) {
    return guarded("enlace_subscribe_replay",
                   [] { return invalid("replay_from 0 is not an enlace_replay_from"); });
  }
  return subscribe("enlace_subscribe_replay", client, pattern, replay_from, replay_value, callback,
                   user, flags, timeout_ms, subscription_id_out);
}

ENLACE_API int enlace_unsubscribe(enlace_client_t* client, uint64_t subscription_id,
                                  int timeout_ms) {
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
