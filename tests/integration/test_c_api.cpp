// The C ABI (enlace.h) against a real broker: what a vendor integrating from C sees.
//
// The broker and the coalition come from the C++ test support; every call under test goes
// through the C functions only.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include <enlace/enlace.h>

#include "broker_process.hpp"

using namespace enlace::test;

namespace {

constexpr int kWaitMs = 10000;

/// Owns a C client handle; closes it at scope exit.
struct CClient {
  enlace_client_t* handle = nullptr;
  CClient() = default;
  CClient(const CClient&) = delete;
  CClient& operator=(const CClient&) = delete;
  ~CClient() { enlace_client_close(handle); }
  operator enlace_client_t*() const { return handle; }  // NOLINT: a handle, as in C
};

/// Options for `system` against `broker`. The strings must outlive enlace_client_open()
/// only: the client copies them.
enlace_client_options_t options_for(const BrokerProcess& broker,
                                    const enlace::test::TestSystem& system) {
  enlace_client_options_t options;
  REQUIRE(enlace_client_options_init(&options, sizeof options) == ENLACE_OK);
  options.endpoint = broker.endpoint().c_str();
  options.broker_public_key = broker.public_key().c_str();
  options.public_key = system.keys.public_key.c_str();
  options.secret_key = system.keys.secret_key.c_str();
  options.client_name = "enlace-tests/c-api";
  options.heartbeat_ms = 500;
  options.reconnect_min_ms = 50;
  options.reconnect_max_ms = 500;
  return options;
}

void open_connected(CClient& client, const enlace_client_options_t& options) {
  REQUIRE(enlace_client_open(&client.handle, &options) == ENLACE_OK);
  REQUIRE(client.handle != nullptr);
  const int connected = enlace_client_wait_connected(client, kWaitMs);
  INFO(enlace_last_error_reason());
  REQUIRE(connected == ENLACE_OK);
}

/// What a delivery callback saw, copied out of the view (valid only during the call).
struct Received {
  int kind = 0;
  std::uint64_t subscription_id = 0;
  std::string topic, origin_nation, origin_system, releasable_to, text, content_type;
  std::vector<std::uint8_t> data;
  int payload_type = 0;
  int from_snapshot = 0;
  int replayed = 0;
  std::uint64_t replay_count = 0;
  std::uint64_t sequence = 0;
  std::int64_t receive_time_ns = 0;
  std::size_t envelope_size = 0, delivery_size = 0;
  bool envelope_has_identifier = false, delivery_has_identifier = false;
};

/// A delivery callback's user data: collects deliveries for the test thread. Deliveries
/// are counted with an atomic and announced through a condition variable, so the test
/// waits for exactly what it expects, with a bound, never for a fixed time.
struct Collector {
  std::mutex mutex;
  std::condition_variable arrived;
  std::atomic<int> count{0};
  std::vector<Received> items;

  static void callback(const enlace_delivery_t* delivery, void* user) {
    auto* self = static_cast<Collector*>(user);
    Received r;
    r.kind = delivery->kind;
    r.subscription_id = delivery->subscription_id;
    r.topic = delivery->topic;
    r.origin_nation = delivery->origin_nation;
    r.origin_system = delivery->origin_system;
    r.releasable_to = delivery->releasable_to;
    r.text = delivery->text;
    r.content_type = delivery->content_type;
    if (delivery->data != nullptr)
      r.data.assign(delivery->data, delivery->data + delivery->data_size);
    r.payload_type = delivery->payload_type;
    r.from_snapshot = delivery->from_snapshot;
    r.replayed = delivery->replayed;
    r.replay_count = delivery->replay_count;
    r.sequence = delivery->sequence;
    r.receive_time_ns = delivery->receive_time_ns;
    r.envelope_size = delivery->envelope_size;
    r.delivery_size = delivery->delivery_size;
    r.envelope_has_identifier =
        delivery->envelope_size >= 8 && std::memcmp(delivery->envelope + 4, "ENV1", 4) == 0;
    r.delivery_has_identifier =
        delivery->delivery_size >= 8 && std::memcmp(delivery->delivery + 4, "EDL1", 4) == 0;
    {
      std::lock_guard lock(self->mutex);
      self->items.push_back(std::move(r));
      self->count.fetch_add(1);
    }
    self->arrived.notify_all();
  }

  bool wait_for_count(int n,
                      std::chrono::milliseconds timeout = std::chrono::milliseconds(kWaitMs)) {
    std::unique_lock lock(mutex);
    return arrived.wait_for(lock, timeout, [&] { return count.load() >= n; });
  }

  bool wait_until_end() {
    std::unique_lock lock(mutex);
    return arrived.wait_for(lock, std::chrono::milliseconds(kWaitMs), [&] {
      for (const auto& r : items) {
        if (r.kind == ENLACE_DELIVERY_SNAPSHOT_END || r.kind == ENLACE_DELIVERY_REPLAY_END)
          return true;
      }
      return false;
    });
  }

  std::vector<Received> snapshot() {
    std::lock_guard lock(mutex);
    return items;
  }
};

/// Collects what the state and error callbacks report.
struct Events {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<int> states;
  std::vector<std::pair<int, std::string>> errors;

  static void on_state(int state, int /*error_code*/, const char* /*reason*/, void* user) {
    auto* self = static_cast<Events*>(user);
    {
      std::lock_guard lock(self->mutex);
      self->states.push_back(state);
    }
    self->changed.notify_all();
  }
  static void on_error(int code, const char* reason, void* user) {
    auto* self = static_cast<Events*>(user);
    {
      std::lock_guard lock(self->mutex);
      self->errors.emplace_back(code, reason);
    }
    self->changed.notify_all();
  }

  bool wait_for_state(int state) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, std::chrono::milliseconds(kWaitMs), [&] {
      for (int s : states) {
        if (s == state) return true;
      }
      return false;
    });
  }
  bool wait_for_error(int code, std::string* reason) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, std::chrono::milliseconds(kWaitMs), [&] {
      for (const auto& [c, r] : errors) {
        if (c == code) {
          *reason = r;
          return true;
        }
      }
      return false;
    });
  }
};

}  // namespace

TEST_CASE("C API: a client connects and reports the identity the broker gave it",
          "[integration][c-api]") {
  TestCoalition coalition;
  const auto& cp = coalition.add("col-cp", "COL", "command_post");
  BrokerProcess broker(coalition);

  Events events;
  auto options = options_for(broker, cp);
  options.on_state = &Events::on_state;
  options.on_state_user = &events;
  CClient client;
  open_connected(client, options);
  CHECK(enlace_client_state(client) == ENLACE_STATE_CONNECTED);
  CHECK(events.wait_for_state(ENLACE_STATE_CONNECTED));

  char buffer[64];
  REQUIRE(enlace_client_nation(client, buffer, sizeof buffer, nullptr) == ENLACE_OK);
  CHECK(std::string(buffer) == "COL");
  REQUIRE(enlace_client_system(client, buffer, sizeof buffer, nullptr) == ENLACE_OK);
  CHECK(std::string(buffer) == "col-cp");
  REQUIRE(enlace_client_role(client, buffer, sizeof buffer, nullptr) == ENLACE_OK);
  CHECK(std::string(buffer) == "command_post");
  REQUIRE(enlace_client_broker_id(client, buffer, sizeof buffer, nullptr) == ENLACE_OK);
  CHECK(std::string(buffer) == "test-broker");

  SECTION("a buffer too small is refused, not overrun, and the length is told") {
    char small[4] = {'x', 'x', 'x', 'x'};
    std::size_t length = 0;
    CHECK(enlace_client_system(client, small, sizeof small, &length) ==
          ENLACE_ERR_INVALID_ARGUMENT);
    CHECK(small[0] == '\0');
    CHECK(small[1] == 'x');
    CHECK(length == 6);
    CHECK_THAT(enlace_last_error_reason(), Catch::Contains("7 needed"));
  }
  SECTION("a NULL buffer of size 0 measures") {
    std::size_t length = 0;
    CHECK(enlace_client_role(client, nullptr, 0, &length) == ENLACE_OK);
    CHECK(length == std::strlen("command_post"));
    CHECK(enlace_client_role(client, nullptr, 0, nullptr) == ENLACE_ERR_INVALID_ARGUMENT);
  }
}

TEST_CASE("C API: a subscriber receives what a publisher sends, with authenticated origin",
          "[integration][c-api]") {
  TestCoalition coalition;
  const auto& publisher_system = coalition.add("col-cp", "COL", "command_post");
  const auto& subscriber_system = coalition.add("col-watch", "COL", "command_post");
  BrokerProcess broker(coalition);

  // User data outlives the clients whose callbacks receive it.
  Collector inbox, sentinel;
  CClient publisher, subscriber;
  open_connected(publisher, options_for(broker, publisher_system));
  open_connected(subscriber, options_for(broker, subscriber_system));

  std::uint64_t subscription = 0;
  REQUIRE(enlace_subscribe(subscriber, "text.COL.>", &Collector::callback, &inbox, 0, kWaitMs,
                           &subscription) == ENLACE_OK);
  CHECK(subscription != 0);

  SECTION("a text, acknowledged") {
    const char* releasable[] = {"ECU", "PER"};
    enlace_publish_ack_t ack{};
    REQUIRE(enlace_publish_text(publisher, "text.COL.cp.ops", "hola desde Leguizamo", releasable, 2,
                                1, kWaitMs, &ack) == ENLACE_OK);
    CHECK(ack.sequence > 0);
    CHECK(ack.audience_nations >= 1);
    CHECK((ack.message_id_hi | ack.message_id_lo) != 0);

    REQUIRE(inbox.wait_for_count(1));
    const Received r = inbox.snapshot().front();
    CHECK(r.kind == ENLACE_DELIVERY_MESSAGE);
    CHECK(r.subscription_id == subscription);
    CHECK(r.topic == "text.COL.cp.ops");
    CHECK(r.origin_nation == "COL");
    CHECK(r.origin_system == "col-cp");
    CHECK(r.payload_type == ENLACE_PAYLOAD_TEXT);
    CHECK(r.text == "hola desde Leguizamo");
    CHECK(r.releasable_to == "ECU,PER");
    CHECK(r.sequence == ack.sequence);
    CHECK(r.receive_time_ns > 0);
    CHECK(r.from_snapshot == 0);
    CHECK(r.envelope_has_identifier);
    CHECK(r.delivery_has_identifier);
    CHECK(r.delivery_size > r.envelope_size);
  }

  SECTION("opaque bytes, not acknowledged, then flushed") {
    const std::uint8_t bytes[] = {0x00, 0x01, 0xFE, 0xFF, 0x7F};
    enlace_publish_ack_t ack{};
    REQUIRE(enlace_publish_opaque(publisher, "text.COL.cp.blob", "application/vnd.acme.test", bytes,
                                  sizeof bytes, nullptr, 0, 0, 0, &ack) == ENLACE_OK);
    CHECK(ack.sequence == 0);  // queued only: the broker has not answered
    CHECK(enlace_client_flush(publisher, kWaitMs) == ENLACE_OK);

    REQUIRE(inbox.wait_for_count(1));
    const Received r = inbox.snapshot().front();
    CHECK(r.payload_type == ENLACE_PAYLOAD_OPAQUE);
    CHECK(r.content_type == "application/vnd.acme.test");
    CHECK(r.data == std::vector<std::uint8_t>(bytes, bytes + sizeof bytes));
    CHECK(r.text.empty());
    CHECK(r.releasable_to.empty());
  }

  SECTION("an envelope the vendor built, from an unaligned buffer") {
    // A vendor builds the Envelope with its own FlatBuffers code; the test uses the C++
    // builder for that, then hands only the bytes to the C API.
    enlace::EnvelopeEncoder builder;
    auto text = enlace::wire::CreateTextDirect(builder.fbb(), "vendor-built");
    builder.finish("text.COL.cp.vendor", {"COL", "col-cp"}, text, {});
    const auto bytes = builder.bytes();
    std::vector<std::uint8_t> shifted(bytes.size() + 1);
    std::memcpy(shifted.data() + 1, bytes.data(), bytes.size());

    enlace_publish_ack_t ack{};
    REQUIRE(enlace_publish_envelope(publisher, shifted.data() + 1, bytes.size(), 1, kWaitMs,
                                    &ack) == ENLACE_OK);
    CHECK(ack.sequence > 0);
    REQUIRE(inbox.wait_for_count(1));
    CHECK(inbox.snapshot().front().text == "vendor-built");
  }

  SECTION("after unsubscribe the callback is not called any more") {
    std::uint64_t sentinel_id = 0;
    REQUIRE(enlace_subscribe(subscriber, "text.>", &Collector::callback, &sentinel, 0, kWaitMs,
                             &sentinel_id) == ENLACE_OK);
    CHECK(sentinel_id != subscription);
    REQUIRE(enlace_unsubscribe(subscriber, subscription, kWaitMs) == ENLACE_OK);
    CHECK(enlace_unsubscribe(subscriber, subscription, kWaitMs) == ENLACE_ERR_INVALID_ARGUMENT);

    REQUIRE(enlace_publish_text(publisher, "text.COL.cp.ops", "after", nullptr, 0, 1, kWaitMs,
                                nullptr) == ENLACE_OK);
    // Both subscriptions would be served by the same delivery on the same thread: once
    // the sentinel has it, the removed one would have had it too.
    REQUIRE(sentinel.wait_for_count(1));
    CHECK(inbox.count.load() == 0);
  }
}

TEST_CASE("C API: a snapshot subscription reports its end when asked to", "[integration][c-api]") {
  TestCoalition coalition;
  const auto& cp = coalition.add("col-cp", "COL", "command_post");
  BrokerProcess broker(coalition);
  Collector inbox;
  CClient client;
  open_connected(client, options_for(broker, cp));

  std::uint64_t id = 0;
  REQUIRE(enlace_subscribe(client, "alert.>", &Collector::callback, &inbox,
                           ENLACE_SUBSCRIBE_SNAPSHOT | ENLACE_SUBSCRIBE_SNAPSHOT_END, kWaitMs,
                           &id) == ENLACE_OK);
  REQUIRE(inbox.wait_until_end());
  const auto items = inbox.snapshot();
  CHECK(items.back().kind == ENLACE_DELIVERY_SNAPSHOT_END);
  CHECK(items.back().subscription_id == id);
  CHECK(items.back().topic.empty());

  CHECK(enlace_subscribe(client, "alert.>", &Collector::callback, &inbox,
                         ENLACE_SUBSCRIBE_SNAPSHOT_END, kWaitMs,
                         &id) == ENLACE_ERR_INVALID_ARGUMENT);
  CHECK(enlace_subscribe(client, "alert.>", &Collector::callback, &inbox, 0x100, kWaitMs, &id) ==
        ENLACE_ERR_INVALID_ARGUMENT);
}

TEST_CASE("C API: a replay sends the journaled messages marked, then its end; refusals",
          "[integration][c-api][replay]") {
  ScratchDir data;
  TestCoalition coalition;
  coalition.extra = "[[durable]]\nname = \"alerts\"\ntopics = [\"alert.>\"]\n";
  const auto& cp = coalition.add("col-cp", "COL", "command_post");
  const auto& ecu = coalition.add("ecu-cp", "ECU", "command_post");
  BrokerProcess broker(coalition, {"--data-dir", data.path.string()});
  CClient publisher, subscriber;
  open_connected(publisher, options_for(broker, cp));
  open_connected(subscriber, options_for(broker, ecu));
  const char* ecu_only[] = {"ECU"};
  std::vector<std::uint64_t> sequences;
  for (int i = 0; i < 3; ++i) {
    enlace_publish_ack_t ack{};
    const std::string topic = "alert.COL.river." + std::to_string(i);
    REQUIRE(enlace_publish_text(publisher, topic.c_str(), "crecida", ecu_only, 1, 1, kWaitMs,
                                &ack) == ENLACE_OK);
    sequences.push_back(ack.sequence);
  }

  Collector inbox;
  std::uint64_t id = 0;
  REQUIRE(enlace_subscribe_replay(subscriber, "alert.>", ENLACE_REPLAY_SEQUENCE, sequences[1],
                                  &Collector::callback, &inbox, ENLACE_SUBSCRIBE_REPLAY_END,
                                  kWaitMs, &id) == ENLACE_OK);
  REQUIRE(inbox.wait_until_end());
  const auto items = inbox.snapshot();
  REQUIRE(items.size() == 3);
  CHECK(items[0].sequence == sequences[1]);
  CHECK(items[1].sequence == sequences[2]);
  CHECK((items[0].replayed == 1 && items[1].replayed == 1));
  CHECK(items[2].kind == ENLACE_DELIVERY_REPLAY_END);
  CHECK(items[2].replay_count == 2);
  CHECK(items[2].subscription_id == id);

  CHECK(enlace_subscribe_replay(subscriber, "track.>", ENLACE_REPLAY_EARLIEST, 0,
                                &Collector::callback, &inbox, 0, kWaitMs,
                                &id) == ENLACE_ERR_REPLAY_UNAVAILABLE);
  CHECK(enlace_subscribe_replay(subscriber, "alert.>", 7, 0, &Collector::callback, &inbox, 0,
                                kWaitMs, &id) == ENLACE_ERR_INVALID_ARGUMENT);
  CHECK(enlace_subscribe_replay(subscriber, "alert.>", ENLACE_REPLAY_EARLIEST, 0,
                                &Collector::callback, &inbox, ENLACE_SUBSCRIBE_SNAPSHOT, kWaitMs,
                                &id) == ENLACE_ERR_INVALID_ARGUMENT);
  CHECK(enlace_subscribe(subscriber, "alert.>", &Collector::callback, &inbox,
                         ENLACE_SUBSCRIBE_REPLAY_END, kWaitMs, &id) == ENLACE_ERR_INVALID_ARGUMENT);
}

TEST_CASE("C API: refusals come back as the broker's code and reason", "[integration][c-api]") {
  TestCoalition coalition;
  const auto& radar = coalition.add("col-radar", "COL", "sensor");
  BrokerProcess broker(coalition);

  Events events;
  auto options = options_for(broker, radar);
  options.on_error = &Events::on_error;
  options.on_error_user = &events;
  CClient client;
  open_connected(client, options);

  SECTION("an acknowledged publish outside the role's rules returns publish_denied") {
    const int code =
        enlace_publish_text(client, "text.COL.chat", "hola", nullptr, 0, 1, kWaitMs, nullptr);
    CHECK(code == ENLACE_ERR_PUBLISH_DENIED);
    CHECK(code == 202);
    CHECK(std::string(enlace_strerror(code)) == "publish_denied");
    CHECK(enlace_is_retryable(code) == 0);
    CHECK(enlace_last_error_code() == ENLACE_ERR_PUBLISH_DENIED);
    // The reason names the rule set that decided.
    CHECK_THAT(enlace_last_error_reason(),
               Catch::Contains("publish.allow") && Catch::Contains("sensor"));
  }
  SECTION("an unacknowledged publish that the broker refuses reaches the error callback") {
    REQUIRE(enlace_publish_text(client, "text.COL.chat", "hola", nullptr, 0, 0, 0, nullptr) ==
            ENLACE_OK);
    std::string reason;
    REQUIRE(events.wait_for_error(ENLACE_ERR_PUBLISH_DENIED, &reason));
    CHECK_THAT(reason, Catch::Contains("publish.allow"));
  }
  SECTION("a deny rule is named") {
    const std::string topic = "track.COL.restricted.T1";
    enlace::EnvelopeEncoder builder;
    builder.finish(topic, {"COL", "col-radar"}, enlace::wire::CreateTextDirect(builder.fbb(), "x"),
                   {});
    const auto bytes = builder.bytes();
    CHECK(enlace_publish_envelope(client, bytes.data(), bytes.size(), 1, kWaitMs, nullptr) ==
          ENLACE_ERR_PUBLISH_DENIED);
    CHECK_THAT(enlace_last_error_reason(), Catch::Contains("publish.deny"));
  }
  SECTION("a forged origin returns origin_mismatch") {
    enlace::EnvelopeEncoder builder;
    builder.finish("track.ECU.radar.T1", {"ECU", "ecu-radar"},
                   enlace::wire::CreateTextDirect(builder.fbb(), "spoofed"), {});
    const auto bytes = builder.bytes();
    CHECK(enlace_publish_envelope(client, bytes.data(), bytes.size(), 1, kWaitMs, nullptr) ==
          ENLACE_ERR_ORIGIN_MISMATCH);
  }
  SECTION("a subscription outside the role's rules returns subscribe_denied") {
    Collector inbox;
    std::uint64_t id = 99;
    CHECK(enlace_subscribe(client, "alert.>", &Collector::callback, &inbox, 0, kWaitMs, &id) ==
          ENLACE_ERR_SUBSCRIBE_DENIED);
    CHECK(id == 0);
    CHECK(std::strlen(enlace_last_error_reason()) > 0);
  }
  SECTION("malformed topics and patterns are refused locally") {
    Collector inbox;
    CHECK(enlace_publish_text(client, "track.COL..T1", "x", nullptr, 0, 1, kWaitMs, nullptr) ==
          ENLACE_ERR_INVALID_TOPIC);
    CHECK(enlace_subscribe(client, "tasking.>.COL", &Collector::callback, &inbox, 0, kWaitMs,
                           nullptr) == ENLACE_ERR_INVALID_PATTERN);
    const std::uint8_t garbage[32] = {1, 2, 3};
    CHECK(enlace_publish_envelope(client, garbage, sizeof garbage, 1, kWaitMs, nullptr) ==
          ENLACE_ERR_INVALID_ENVELOPE);
  }
  // The session survives every refusal.
  CHECK(enlace_client_state(client) == ENLACE_STATE_CONNECTED);
}

TEST_CASE("C API: an unknown key gets authentication_failed", "[integration][c-api]") {
  TestCoalition coalition;
  coalition.add("col-cp", "COL", "command_post");
  BrokerProcess broker(coalition);

  char public_key[ENLACE_KEY_BUFFER_SIZE], secret_key[ENLACE_KEY_BUFFER_SIZE];
  REQUIRE(enlace_keygen(public_key, secret_key) == ENLACE_OK);
  Events events;
  enlace_client_options_t options;
  REQUIRE(enlace_client_options_init(&options, sizeof options) == ENLACE_OK);
  options.endpoint = broker.endpoint().c_str();
  options.broker_public_key = broker.public_key().c_str();
  options.public_key = public_key;
  options.secret_key = secret_key;
  options.on_state = &Events::on_state;
  options.on_state_user = &events;

  CClient client;
  REQUIRE(enlace_client_open(&client.handle, &options) == ENLACE_OK);
  CHECK(enlace_client_wait_connected(client, kWaitMs) == ENLACE_ERR_AUTHENTICATION_FAILED);
  CHECK(enlace_client_wait_connected(client, kWaitMs) == 200);
  CHECK(enlace_client_state(client) == ENLACE_STATE_AUTH_FAILED);
  CHECK(events.wait_for_state(ENLACE_STATE_AUTH_FAILED));
  char nation[8];
  CHECK(enlace_client_nation(client, nation, sizeof nation, nullptr) == ENLACE_ERR_NOT_CONNECTED);
}

TEST_CASE("C API: NULL and unusable arguments return invalid_argument", "[integration][c-api]") {
  TestCoalition coalition;
  const auto& cp = coalition.add("col-cp", "COL", "command_post");
  BrokerProcess broker(coalition);
  CClient client;
  open_connected(client, options_for(broker, cp));

  constexpr int kInvalid = ENLACE_ERR_INVALID_ARGUMENT;
  char buffer[64];
  std::uint64_t id = 0;
  const char* null_nation[] = {"ECU", nullptr};

  CHECK(enlace_client_open(nullptr, nullptr) == kInvalid);
  CHECK(enlace_client_wait_connected(nullptr, 10) == kInvalid);
  CHECK(enlace_client_wait_connected(client, -5) == kInvalid);
  CHECK(enlace_client_nation(nullptr, buffer, sizeof buffer, nullptr) == kInvalid);
  CHECK(enlace_client_nation(client, nullptr, 64, nullptr) == kInvalid);
  CHECK(enlace_client_flush(nullptr, 10) == kInvalid);
  CHECK(enlace_publish_envelope(nullptr, nullptr, 0, 0, 0, nullptr) == kInvalid);
  CHECK(enlace_publish_envelope(client, nullptr, 10, 0, 0, nullptr) == kInvalid);
  CHECK(enlace_publish_text(nullptr, "text.COL.x", "x", nullptr, 0, 0, 0, nullptr) == kInvalid);
  CHECK(enlace_publish_text(client, nullptr, "x", nullptr, 0, 0, 0, nullptr) == kInvalid);
  CHECK(enlace_publish_text(client, "text.COL.x", nullptr, nullptr, 0, 0, 0, nullptr) == kInvalid);
  CHECK(enlace_publish_text(client, "text.COL.x", "x", nullptr, 2, 0, 0, nullptr) == kInvalid);
  CHECK(enlace_publish_text(client, "text.COL.x", "x", null_nation, 2, 0, 0, nullptr) == kInvalid);
  CHECK(enlace_publish_text(client, "text.COL.x", "x", nullptr, 0, 1, -1, nullptr) == kInvalid);
  CHECK(enlace_publish_opaque(client, "text.COL.x", nullptr, nullptr, 0, nullptr, 0, 0, 0,
                              nullptr) == kInvalid);
  CHECK(enlace_publish_opaque(client, "text.COL.x", "a/b", nullptr, 3, nullptr, 0, 0, 0, nullptr) ==
        kInvalid);
  CHECK(enlace_subscribe(nullptr, "text.>", &Collector::callback, nullptr, 0, 10, &id) == kInvalid);
  CHECK(enlace_subscribe(client, nullptr, &Collector::callback, nullptr, 0, 10, &id) == kInvalid);
  CHECK(enlace_subscribe(client, "text.>", nullptr, nullptr, 0, 10, &id) == kInvalid);
  CHECK(enlace_unsubscribe(nullptr, 1, 10) == kInvalid);
  CHECK(enlace_unsubscribe(client, 12345, 10) == kInvalid);
  CHECK(enlace_keygen(nullptr, nullptr) == kInvalid);
  CHECK(enlace_keys_save(nullptr, nullptr, nullptr, 0) == kInvalid);
  CHECK(enlace_keys_load(nullptr, nullptr, nullptr) == kInvalid);
  CHECK(enlace_public_key_load(nullptr, nullptr) == kInvalid);
  CHECK(enlace_client_options_init(nullptr, 0) == kInvalid);
  CHECK(enlace_client_state(nullptr) == -1);
  enlace_client_close(nullptr);

  // Every refusal left a reason; the client is unharmed.
  CHECK(std::strlen(enlace_last_error_reason()) > 0);
  CHECK(enlace_publish_text(client, "text.COL.x", "still fine", nullptr, 0, 1, kWaitMs, nullptr) ==
        ENLACE_OK);
  CHECK(std::string(enlace_last_error_reason()).empty());
}

TEST_CASE("C API: input the C++ SDK refuses by throwing comes back as a code",
          "[integration][c-api]") {
  TestCoalition coalition;
  const auto& cp = coalition.add("col-cp", "COL", "command_post");
  BrokerProcess broker(coalition);
  auto options = options_for(broker, cp);
  enlace_client_t* client = nullptr;

  SECTION("malformed keys") {
    options.public_key = "not-a-key";
    CHECK(enlace_client_open(&client, &options) == ENLACE_ERR_INVALID_ARGUMENT);
    CHECK_THAT(enlace_last_error_reason(), Catch::Contains("public_key"));
    options.public_key = cp.keys.public_key.c_str();
    const std::string not_z85(40, '~');  // the right length, outside the Z85 alphabet
    options.broker_public_key = not_z85.c_str();
    CHECK(enlace_client_open(&client, &options) == ENLACE_ERR_INVALID_ARGUMENT);
  }
  SECTION("endpoints the socket would reject on the I/O thread") {
    for (const char* endpoint : {"", "bogus", "localhost:7450", "tcp://", "tcp://127.0.0.1",
                                 "tcp://127.0.0.1:", "tcp://127.0.0.1:99999", "tcp://bad host:1",
                                 "udp://127.0.0.1:7450", "ipc://"}) {
      options.endpoint = endpoint;
      INFO(endpoint);
      CHECK(enlace_client_open(&client, &options) == ENLACE_ERR_INVALID_ARGUMENT);
      CHECK(client == nullptr);
      // The reason names the endpoint it refused, or says that it is empty.
      const std::string named =
          endpoint[0] == '\0' ? "endpoint" : std::string("'") + endpoint + "'";
      CHECK_THAT(enlace_last_error_reason(), Catch::Contains(named));
    }
  }
  SECTION("options whose struct_size was never set") {
    options.struct_size = 0;
    CHECK(enlace_client_open(&client, &options) == ENLACE_ERR_INVALID_ARGUMENT);
  }
  SECTION("reconnect bounds the wrong way round") {
    options.reconnect_min_ms = 2000;
    options.reconnect_max_ms = 100;
    CHECK(enlace_client_open(&client, &options) == ENLACE_ERR_INVALID_ARGUMENT);
  }
  CHECK(client == nullptr);
  // The process is still here, and a correct open works.
  options = options_for(broker, cp);
  CClient good;
  open_connected(good, options);
}

namespace {

/// User data of a callback that tries the blocking calls of its own client.
struct Reentrant {
  enlace_client_t* client = nullptr;
  std::mutex mutex;
  std::condition_variable done;
  bool ran = false;
  bool close_inside = false;
  int wait_code = -1, subscribe_code = -1, unsubscribe_code = -1, flush_code = -1,
      publish_ack_code = -1, publish_code = -1;
  std::string reason;

  static void callback(const enlace_delivery_t* /*delivery*/, void* user) {
    auto* self = static_cast<Reentrant*>(user);
    {
      std::lock_guard lock(self->mutex);
      if (self->ran) return;
    }
    const int wait_code = enlace_client_wait_connected(self->client, 1000);
    std::string reason = enlace_last_error_reason();
    const int subscribe_code =
        enlace_subscribe(self->client, "alert.>", &callback, user, 0, 1000, nullptr);
    const int unsubscribe_code = enlace_unsubscribe(self->client, 1, 1000);
    const int flush_code = enlace_client_flush(self->client, 1000);
    const int publish_ack_code =
        enlace_publish_text(self->client, "text.COL.reply", "ack", nullptr, 0, 1, 1000, nullptr);
    const int publish_code =
        enlace_publish_text(self->client, "text.COL.reply", "queued", nullptr, 0, 0, 0, nullptr);
    if (self->close_inside) enlace_client_close(self->client);
    {
      std::lock_guard lock(self->mutex);
      self->ran = true;
      self->wait_code = wait_code;
      self->subscribe_code = subscribe_code;
      self->unsubscribe_code = unsubscribe_code;
      self->flush_code = flush_code;
      self->publish_ack_code = publish_ack_code;
      self->publish_code = publish_code;
      self->reason = std::move(reason);
    }
    self->done.notify_all();
  }

  bool wait() {
    std::unique_lock lock(mutex);
    return done.wait_for(lock, std::chrono::milliseconds(kWaitMs), [&] { return ran; });
  }
};

}  // namespace

TEST_CASE("C API: blocking calls from a callback are refused, not deadlocked",
          "[integration][c-api]") {
  TestCoalition coalition;
  const auto& cp = coalition.add("col-cp", "COL", "command_post");
  BrokerProcess broker(coalition);
  Reentrant reentrant;
  Collector replies;
  CClient client;
  open_connected(client, options_for(broker, cp));
  reentrant.client = client;
  REQUIRE(enlace_subscribe(client, "text.COL.ping", &Reentrant::callback, &reentrant, 0, kWaitMs,
                           nullptr) == ENLACE_OK);
  REQUIRE(enlace_subscribe(client, "text.COL.reply", &Collector::callback, &replies, 0, kWaitMs,
                           nullptr) == ENLACE_OK);
  REQUIRE(enlace_publish_text(client, "text.COL.ping", "ping", nullptr, 0, 1, kWaitMs, nullptr) ==
          ENLACE_OK);

  REQUIRE(reentrant.wait());
  CHECK(reentrant.wait_code == ENLACE_ERR_INVALID_ARGUMENT);
  CHECK_THAT(reentrant.reason, Catch::Contains("callback"));
  CHECK(reentrant.subscribe_code == ENLACE_ERR_INVALID_ARGUMENT);
  CHECK(reentrant.unsubscribe_code == ENLACE_ERR_INVALID_ARGUMENT);
  CHECK(reentrant.flush_code == ENLACE_ERR_INVALID_ARGUMENT);
  CHECK(reentrant.publish_ack_code == ENLACE_ERR_INVALID_ARGUMENT);
  // Publishing without acknowledgement does not block, so it is allowed.
  CHECK(reentrant.publish_code == ENLACE_OK);
  REQUIRE(replies.wait_for_count(1));
  CHECK(replies.snapshot().front().text == "queued");
}

TEST_CASE("C API: closing a client from its own callback is safe", "[integration][c-api]") {
  TestCoalition coalition;
  const auto& cp = coalition.add("col-cp", "COL", "command_post");
  const auto& other = coalition.add("col-cp2", "COL", "command_post");
  BrokerProcess broker(coalition);

  Reentrant reentrant;
  CClient publisher;
  open_connected(publisher, options_for(broker, other));
  enlace_client_t* doomed = nullptr;
  const auto doomed_options = options_for(broker, cp);
  REQUIRE(enlace_client_open(&doomed, &doomed_options) == ENLACE_OK);
  REQUIRE(enlace_client_wait_connected(doomed, kWaitMs) == ENLACE_OK);

  reentrant.client = doomed;
  reentrant.close_inside = true;
  REQUIRE(enlace_subscribe(doomed, "text.COL.>", &Reentrant::callback, &reentrant, 0, kWaitMs,
                           nullptr) == ENLACE_OK);
  REQUIRE(enlace_publish_text(publisher, "text.COL.ops", "close now", nullptr, 0, 1, kWaitMs,
                              nullptr) == ENLACE_OK);
  REQUIRE(reentrant.wait());
  // The handle is gone (freed by the SDK once the callback returned); the bus is not.
  CHECK(enlace_publish_text(publisher, "text.COL.ops", "again", nullptr, 0, 1, kWaitMs, nullptr) ==
        ENLACE_OK);
}
