/*
 * enlace.h: the C ABI of the Enlace SDK.
 *
 * For vendors who integrate from C, or from any language with a C foreign-function
 * interface (Python ctypes/cffi, Rust, Go cgo, C#, Java FFM, ...). It sits on top of the
 * C++ client (enlace/client.hpp) and offers the same session: connect and authenticate
 * with CURVE, publish, subscribe with a callback, snapshot of the common operating picture,
 * automatic reconnection. docs/c-api.md is the full reference with a complete example.
 *
 * Conventions that hold for every function below unless its comment says otherwise.
 *
 *   Names.     Everything starts with `enlace_` (functions, types) or `ENLACE_` (macros,
 *              constants). Handles are opaque pointers.
 *
 *   Errors.    Functions that can fail return an `int`: ENLACE_OK (0) on success, else a
 *              positive Enlace error code (enum enlace_error below; the numbers are those
 *              of the wire protocol and of enlace::Errc, and never change). Each such call
 *              also records, for the calling thread, a human-readable reason that names the
 *              rule, limit or argument that decided: read it with enlace_last_error_reason()
 *              right after the call. A successful call records the empty reason. Functions
 *              that return something else (a pointer, a state, a flag) do not touch it.
 *
 *   Strings.   Input strings are NUL-terminated UTF-8 and are copied before the call
 *              returns; the caller keeps ownership. Output strings either live in static
 *              storage (enlace_strerror, enlace_version), in thread-local storage
 *              (enlace_last_error_reason), or are copied into a buffer the caller provides.
 *
 *   Threads.   Every function is thread-safe unless its comment says otherwise. Each client
 *              owns one background I/O thread; every callback of that client (deliveries,
 *              state changes, asynchronous errors) runs on that thread, one at a time,
 *              never while the SDK holds an internal lock. A callback may call the
 *              non-blocking functions of its own client (publish without acknowledgement,
 *              state and session getters); the blocking ones (wait_connected, flush,
 *              subscribe, unsubscribe, publish with acknowledgement) return
 *              ENLACE_ERR_INVALID_ARGUMENT when called from a callback of the same client,
 *              because they would wait for the thread they are running on.
 *
 *   Exceptions. No C++ exception ever leaves this API: an unexpected one is reported as
 *              ENLACE_ERR_INTERNAL_ERROR with its message as the reason.
 *
 *   Timeouts.  `timeout_ms` is in milliseconds and must be >= 0 (0 means "do not wait at
 *              all"); a negative value is ENLACE_ERR_INVALID_ARGUMENT.
 *
 * The header compiles as C99 (and later) and as C++.
 */
#ifndef ENLACE_ENLACE_H
#define ENLACE_ENLACE_H

#include <stddef.h>
#include <stdint.h>

/* ENLACE_API marks the exported functions of libenlace (enlace/export.hpp agrees). */
#ifndef ENLACE_API
#if defined(_WIN32) || defined(__CYGWIN__)
#if defined(ENLACE_BUILDING_SDK)
#define ENLACE_API __declspec(dllexport)
#elif defined(ENLACE_STATIC)
#define ENLACE_API
#else
#define ENLACE_API __declspec(dllimport)
#endif
#elif defined(__GNUC__) && __GNUC__ >= 4
#define ENLACE_API __attribute__((visibility("default")))
#else
#define ENLACE_API
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------
 * Version
 * ------------------------------------------------------------------------------------- */

/* The version of this header. enlace_version() gives the version of the library actually
 * loaded; the two differ only when an application runs against another build than the
 * one it was compiled with. */
#define ENLACE_VERSION_MAJOR 0
#define ENLACE_VERSION_MINOR 1
#define ENLACE_VERSION_PATCH 0
#define ENLACE_VERSION_STRING "0.1.0"

/* The library's version, "MAJOR.MINOR.PATCH". Static storage; never NULL. Any thread. */
ENLACE_API const char* enlace_version(void);

/* ---------------------------------------------------------------------------------------
 * Errors
 * ------------------------------------------------------------------------------------- */

/* Every code the API can return. Codes 1-499 are the wire protocol's (docs/protocol.md,
 * section 8.3): the broker sends them and they are frozen. Codes 500 and above are raised
 * by the SDK itself. A code whose comment starts with "retryable:" is one for which
 * repeating the same request later, unchanged, can succeed (enlace_is_retryable() returns
 * 1); for every other code it fails again until the request, the policy or the setup
 * changes. New codes may be added in later versions; treat an unknown code as a
 * non-retryable failure (enlace_strerror() names it "unknown_error"). The list, the
 * names and the retry marks are checked against the SDK's code table by a unit test
 * (tests/unit/test_error_code_table.cpp). */
enum enlace_error {
  ENLACE_OK = 0,

  /* The frame itself is wrong. */
  ENLACE_ERR_MALFORMED_FRAME = 100,
  ENLACE_ERR_UNSUPPORTED_VERSION = 101,
  ENLACE_ERR_UNKNOWN_COMMAND = 102,
  ENLACE_ERR_WRONG_IDENTIFIER = 103,
  ENLACE_ERR_VERIFICATION_FAILED = 104,
  ENLACE_ERR_MESSAGE_TOO_LARGE = 105, /* larger than the broker's max_message_bytes */
  ENLACE_ERR_HELLO_REQUIRED = 106,    /* retryable: no session; a new Hello, then retry */
  ENLACE_ERR_BAD_BATCH = 107,
  ENLACE_ERR_INVALID_TOPIC = 108,    /* empty, too long, wildcards or bad tokens */
  ENLACE_ERR_INVALID_PATTERN = 109,  /* subscription pattern malformed */
  ENLACE_ERR_INVALID_LABEL = 110,    /* e.g. an unknown nation in releasable_to */
  ENLACE_ERR_INVALID_ENVELOPE = 111, /* not a valid Envelope buffer, or a field missing */

  /* The request is well formed but not allowed. */
  ENLACE_ERR_AUTHENTICATION_FAILED = 200, /* key unknown or revoked, or wrong broker key */
  ENLACE_ERR_ORIGIN_MISMATCH = 201,       /* envelope origin is not the authenticated one */
  ENLACE_ERR_PUBLISH_DENIED = 202,        /* no publish allow rule matches, or a deny rule does */
  ENLACE_ERR_SUBSCRIBE_DENIED = 203,
  ENLACE_ERR_WILDCARD_FORBIDDEN = 204,
  ENLACE_ERR_RELEASE_NOT_PERMITTED = 205, /* label releases beyond the nation's cap */
  ENLACE_ERR_CLASSIFICATION_EXCEEDED = 206,
  ENLACE_ERR_REVOKED = 207,

  /* Resources. */
  ENLACE_ERR_RATE_LIMITED = 300,           /* retryable: publish rate above the limit */
  ENLACE_ERR_QUEUE_FULL = 301,             /* retryable: a bounded queue is full */
  ENLACE_ERR_TOO_MANY_SUBSCRIPTIONS = 302, /* the session holds max_subscriptions already */
  ENLACE_ERR_REPLAY_UNAVAILABLE = 303,     /* no journal can hold what the replay asked */
  ENLACE_ERR_TOO_MANY_SESSIONS = 304,      /* retryable: the system holds the most sessions */
  ENLACE_ERR_DELIVERIES_DROPPED = 305,     /* notice: deliveries to this client were dropped */
  ENLACE_ERR_SLOW_CONSUMER = 306,          /* retryable: session closed, it read too slowly */

  /* Broker (or SDK) state. */
  ENLACE_ERR_INTERNAL_ERROR = 400,      /* retryable: also an unexpected failure inside the SDK */
  ENLACE_ERR_SHUTTING_DOWN = 401,       /* retryable: the broker is stopping */
  ENLACE_ERR_STORAGE_UNAVAILABLE = 402, /* retryable: a durable publish could not be stored */

  /* Raised locally by the SDK, never on the wire. */
  ENLACE_ERR_NOT_CONNECTED = 500,       /* retryable: no session with the broker at the moment */
  ENLACE_ERR_TIMEOUT = 501,             /* retryable: no answer within timeout_ms */
  ENLACE_ERR_CLOSED = 502,              /* the client is closing */
  ENLACE_ERR_INVALID_ARGUMENT = 503,    /* NULL or unusable argument, or a blocking call
                                           made from a callback of the same client */
  ENLACE_ERR_KEY_ERROR = 504,           /* key file missing, unreadable or malformed */
  ENLACE_ERR_SESSION_NOT_RESUMED = 505, /* (on_error) a new session replaced the one lost with
                                           the connection: what it missed is unknown */
  ENLACE_ERR_CONNECT_FAILED = 506,      /* retryable: no connection to the broker's endpoint
                                           (refused, unreachable, name not resolved) */
  ENLACE_ERR_HANDSHAKE_FAILED = 507     /* the CURVE handshake broke off: the broker public
                                           key given is not this broker's */
};

/* The stable name of a code, e.g. "publish_denied" for 202, "ok" for 0, "unknown_error"
 * for a number that is not a code. The names are those the broker, the CLI and the logs
 * use; they never change. Static storage; never NULL. Any thread; does not touch the
 * last-error reason. */
ENLACE_API const char* enlace_strerror(int code);

/* 1 when repeating the same request later, unchanged, can succeed (e.g. timeout,
 * not_connected, rate_limited, queue_full), else 0 (including for ENLACE_OK and unknown
 * codes). Any thread. */
ENLACE_API int enlace_is_retryable(int code);

/* The reason recorded by the last call on this thread that returns an error code: e.g.
 * "no publish.allow rule of role 'sensor' matches 'text.COL.chat' (...)". The empty string
 * after a successful call or before any call. Never NULL. The text lives in thread-local
 * storage: it stays valid until the next enlace_ call on the same thread that returns an
 * error code; copy it to keep it. Each thread sees only its own calls' reasons. */
ENLACE_API const char* enlace_last_error_reason(void);

/* The code returned by that same last call on this thread (ENLACE_OK after a success). */
ENLACE_API int enlace_last_error_code(void);

/* ---------------------------------------------------------------------------------------
 * CURVE keys
 *
 * A key is 40 Z85 characters (a Curve25519 key, as ZeroMQ writes it). Buffers that receive
 * a key have ENLACE_KEY_BUFFER_SIZE bytes: 40 characters and the terminating NUL.
 * Key files are those of `enlace keygen`: `<base>.pub` and `<base>.key`, one key per file,
 * lines starting with '#' ignored. Any thread.
 * ------------------------------------------------------------------------------------- */

#define ENLACE_KEY_LENGTH 40
#define ENLACE_KEY_BUFFER_SIZE 41

/* A fresh key pair from the operating system's random source. Writes 41 bytes (40
 * characters + NUL) to each buffer. Returns ENLACE_OK, ENLACE_ERR_INVALID_ARGUMENT for a
 * NULL buffer, or ENLACE_ERR_INTERNAL_ERROR if the random source failed (then both
 * buffers hold the empty string). */
ENLACE_API int enlace_keygen(char public_z85[ENLACE_KEY_BUFFER_SIZE],
                             char secret_z85[ENLACE_KEY_BUFFER_SIZE]);

/* 1 if `z85` is a well-formed 40-character Z85 key, else 0 (also for NULL). */
ENLACE_API int enlace_key_is_valid(const char* z85);

/* Writes `<base>.key` (mode 0600, created with that mode: the secret is never readable by
 * others, not even briefly) and then `<base>.pub` (mode 0644). With `overwrite` 0, fails
 * if either file exists. Returns ENLACE_OK, ENLACE_ERR_INVALID_ARGUMENT (NULL, or not two
 * valid keys) or ENLACE_ERR_KEY_ERROR (the reason names the file and the system error). */
ENLACE_API int enlace_keys_save(const char* base, const char* public_z85, const char* secret_z85,
                                int overwrite);

/* Reads `<base>.pub` and `<base>.key` into the two buffers (41 bytes each). Returns
 * ENLACE_OK, ENLACE_ERR_INVALID_ARGUMENT (NULL argument) or ENLACE_ERR_KEY_ERROR (the
 * reason names the file and the defect). On failure both buffers hold the empty string. */
ENLACE_API int enlace_keys_load(const char* base, char public_z85[ENLACE_KEY_BUFFER_SIZE],
                                char secret_z85[ENLACE_KEY_BUFFER_SIZE]);

/* Reads one public key file (e.g. the broker's `broker.pub`) into `public_z85` (41 bytes).
 * Same errors as enlace_keys_load(). */
ENLACE_API int enlace_public_key_load(const char* path, char public_z85[ENLACE_KEY_BUFFER_SIZE]);

/* ---------------------------------------------------------------------------------------
 * Client
 * ------------------------------------------------------------------------------------- */

/* One authenticated session with a broker, kept alive across reconnections. Opaque. */
typedef struct enlace_client enlace_client_t;

/* Connection states, as enlace_client_state() returns them and the state callback
 * receives them. */
enum enlace_state {
  ENLACE_STATE_CONNECTING = 0,   /* first connection attempt in progress */
  ENLACE_STATE_CONNECTED = 1,    /* handshake done, session established, subscriptions in place */
  ENLACE_STATE_RECONNECTING = 2, /* lost the broker; retrying with back-off, subscriptions kept */
  ENLACE_STATE_AUTH_FAILED = 3,  /* the broker refused our key (unknown or revoked); retrying */
  ENLACE_STATE_CLOSED = 4        /* the client is closing */
};

/* The name of a state ("connecting", "connected", ...), "unknown" for another number.
 * Static storage; never NULL. Any thread. */
ENLACE_API const char* enlace_state_name(int state);

/* Called on the client's I/O thread at every state change, with the error that caused it
 * (`error_code` ENLACE_OK and `reason` "" when none). `reason` is valid only during the
 * call. Must not block for long: deliveries wait while it runs. */
typedef void (*enlace_state_cb)(int state, int error_code, const char* reason, void* user);

/* Called on the client's I/O thread for every refusal the broker reports that no caller
 * waits for: a publish without acknowledgement that the broker refused (e.g.
 * ENLACE_ERR_PUBLISH_DENIED), or a subscription refused when it was restored after a
 * reconnection under a changed policy. `reason` is valid only during the call. */
typedef void (*enlace_error_cb)(int error_code, const char* reason, void* user);

/* Options of enlace_client_open(). Zero means "default" for every field, so a zeroed
 * struct with `struct_size` set is a valid start. Use enlace_client_options_init() (or
 * zero the struct and set struct_size = sizeof(enlace_client_options_t)). Later versions
 * only append fields; the library reads no field beyond `struct_size`, so a program built
 * against this header keeps working with a newer library. */
typedef struct enlace_client_options {
  size_t struct_size; /* sizeof(enlace_client_options_t) as the caller compiled it */

  const char* endpoint;          /* required, e.g. "tcp://10.0.0.5:7450" */
  const char* broker_public_key; /* required, the broker's public key (Z85, 40 characters) */
  const char* public_key;        /* required, this system's public key (Z85) */
  const char* secret_key;        /* required, this system's secret key (Z85) */
  const char* client_name;       /* free text sent in Hello; NULL: "enlace-c" */

  /* The client pings at this interval and declares the broker lost after three silent
   * intervals. 0: 1000 ms. */
  int heartbeat_ms;
  /* Back-off between reconnection attempts, doubling from min to max. 0: 100 / 5000 ms. */
  int reconnect_min_ms;
  int reconnect_max_ms;
  /* Bytes of messages waiting to be sent before a publish returns ENLACE_ERR_QUEUE_FULL.
   * 0: 16 MiB. */
  size_t send_queue_bytes;

  enlace_state_cb on_state; /* NULL: not called */
  void* on_state_user;      /* passed back to on_state as `user` */
  enlace_error_cb on_error; /* NULL: not called (such errors are still counted) */
  void* on_error_user;      /* passed back to on_error as `user` */

  /* Fields below were appended after the first version of this struct. */

  /* How long a publish waits for room in a full send queue before it returns
   * ENLACE_ERR_QUEUE_FULL. 0: returns at once, never blocks. A publish from a callback
   * never waits. */
  int send_queue_wait_ms;
  /* How long the broker is asked to keep the session after the connection is lost; a client
   * back within it resumes the session (docs/c-api.md, "Short outages"). 0: 30000 ms;
   * negative: none, the session ends with its connection. */
  int resume_grace_ms;
} enlace_client_options_t;

/* Zeroes the first `struct_size` bytes of `options` and sets options->struct_size. Call it
 * as enlace_client_options_init(&options, sizeof options). Returns ENLACE_OK, or
 * ENLACE_ERR_INVALID_ARGUMENT if `options` is NULL or `struct_size` is smaller than the
 * first version of the struct. */
ENLACE_API int enlace_client_options_init(enlace_client_options_t* options, size_t struct_size);

/* Creates a client and starts its I/O thread, which starts connecting at once; the call
 * itself does not wait for the broker (see enlace_client_wait_connected()). Every string
 * of `options` is copied; the caller may free them once the call returns. The callbacks
 * may be called (on the I/O thread) before this function returns.
 * On success stores the new client in *out; on failure stores NULL. Returns ENLACE_OK or
 * ENLACE_ERR_INVALID_ARGUMENT (NULL argument, struct_size too small, malformed key or
 * endpoint: the reason says which), ENLACE_ERR_INTERNAL_ERROR (no thread, socket or
 * memory). Any thread, including a callback of another client. */
ENLACE_API int enlace_client_open(enlace_client_t** out, const enlace_client_options_t* options);

/* Ends the session and frees the client: stops the I/O thread, drops whatever is still
 * queued (call enlace_client_flush() first to send it), and releases every subscription.
 * No callback starts once this function is entered; a callback already running on the I/O
 * thread completes before it returns. NULL is accepted and ignored.
 * Must be called exactly once per client, and no other call on the same client may run
 * concurrently or follow it. Called from a callback of the same client, it cannot wait for
 * the thread it runs on: it returns at once, no further callback is called, and the client
 * is freed by a helper thread once the callback has returned. */
ENLACE_API void enlace_client_close(enlace_client_t* client);

/* Waits until the session is established, up to `timeout_ms`. Returns ENLACE_OK at once
 * if it already is. Otherwise ENLACE_ERR_AUTHENTICATION_FAILED as soon as the broker refuses
 * our key (unknown, revoked) or the handshake fails (wrong broker key), ENLACE_ERR_TIMEOUT
 * (the reason includes the last connection error, if any), ENLACE_ERR_CLOSED,
 * ENLACE_ERR_INVALID_ARGUMENT (NULL, negative timeout, or called from a callback). The
 * client keeps retrying in the background whatever this returns. Blocking. */
ENLACE_API int enlace_client_wait_connected(enlace_client_t* client, int timeout_ms);

/* The current state (enum enlace_state), or -1 for a NULL client. Non-blocking; callable
 * from callbacks. */
ENLACE_API int enlace_client_state(const enlace_client_t* client);

/* Identity of the current (or last) session as the broker authenticated it: the nation
 * (ISO 3166-1 alpha-3, e.g. "COL"), the system id (at most 64 characters), the role and the
 * broker's id (no fixed bound). Each getter copies the value with a terminating NUL into
 * `buffer` of `size` bytes, and stores its length in bytes (without the NUL) in
 * *length_out when length_out is not NULL.
 * Returns ENLACE_OK; ENLACE_ERR_NOT_CONNECTED before the first session was established;
 * ENLACE_ERR_INVALID_ARGUMENT for a NULL client, or when the value does not fit: then the
 * buffer holds "" (if size > 0) and *length_out still tells the length, so the caller can
 * retry with length + 1 bytes. With buffer NULL and size 0 the call only measures: it
 * returns ENLACE_OK and sets *length_out (which must then not be NULL).
 * Non-blocking; callable from callbacks. */
ENLACE_API int enlace_client_nation(const enlace_client_t* client, char* buffer, size_t size,
                                    size_t* length_out);
ENLACE_API int enlace_client_system(const enlace_client_t* client, char* buffer, size_t size,
                                    size_t* length_out);
ENLACE_API int enlace_client_role(const enlace_client_t* client, char* buffer, size_t size,
                                  size_t* length_out);
ENLACE_API int enlace_client_broker_id(const enlace_client_t* client, char* buffer, size_t size,
                                       size_t* length_out);

/* Waits, up to `timeout_ms`, until the broker has received every message this client
 * published before the call (the queue drains, then a Ping/Pong round trip behind it
 * confirms the broker processed everything before it). It means accepted or refused by
 * the broker, not delivered to subscribers. Returns ENLACE_OK, ENLACE_ERR_TIMEOUT,
 * ENLACE_ERR_NOT_CONNECTED (no session, or the connection went before the answer),
 * ENLACE_ERR_INVALID_ARGUMENT. Blocking. */
ENLACE_API int enlace_client_flush(enlace_client_t* client, int timeout_ms);

/* ---------------------------------------------------------------------------------------
 * Publishing
 *
 * What success means. With `acknowledge` 0, ENLACE_OK means only that the message was
 * handed to ZeroMQ or queued in this process: the broker may still refuse it (reported through
 * on_error) and a connection loss may drop it. With `acknowledge` 1, the call waits up to
 * `timeout_ms` for the broker's answer: ENLACE_OK means the broker accepted the message (checked
 * the publish rules and the label, computed the audience, and routed it to the queues of the
 * subscribers allowed to see it; for a durable topic, also wrote it to its journal);
 * otherwise the broker's code and reason are returned (e.g. ENLACE_ERR_PUBLISH_DENIED with
 * the rule). ENLACE_ERR_TIMEOUT after an acknowledged publish means "unknown": the broker
 * may still have accepted it.
 * ------------------------------------------------------------------------------------- */

/* The broker's acknowledgement, filled on success when the caller passes one. */
typedef struct enlace_publish_ack {
  uint64_t message_id_hi;    /* the envelope's id (Uuid.hi of the schema) */
  uint64_t message_id_lo;    /* (Uuid.lo) */
  uint64_t sequence;         /* sequence the broker assigned; 0 without acknowledgement */
  uint32_t audience_nations; /* nations the message may reach; 0 without acknowledgement */
} enlace_publish_ack_t;

/* Publishes an Envelope FlatBuffer built by the caller from Enlace's schemas
 * (schemas/envelope.fbs, file identifier "ENV1"), in any language. The SDK verifies the
 * buffer with the FlatBuffers verifier first and copies it; it does not change anything in
 * it: the origin must be this client's authenticated identity (else the broker answers
 * ENLACE_ERR_ORIGIN_MISMATCH), the id should be fresh. `ack_out` may be NULL.
 * Returns ENLACE_OK, ENLACE_ERR_INVALID_ENVELOPE, ENLACE_ERR_MESSAGE_TOO_LARGE,
 * ENLACE_ERR_QUEUE_FULL, ENLACE_ERR_CLOSED, ENLACE_ERR_INVALID_ARGUMENT, and with
 * acknowledgement the broker's codes and ENLACE_ERR_TIMEOUT. May be queued before the
 * session is established. Blocking only with `acknowledge`. */
ENLACE_API int enlace_publish_envelope(enlace_client_t* client, const uint8_t* bytes, size_t size,
                                       int acknowledge, int timeout_ms,
                                       enlace_publish_ack_t* ack_out);

/* Publishes a Text payload (schemas/payloads.fbs `Text`) on `topic`, e.g.
 * "text.COL.cp.ops". The SDK builds the envelope: a fresh id, the origin of the session,
 * publish time now, stale after 5 minutes, classification UNCLASSIFIED, and the label
 * "releasable to" the `releasable_count` nation codes of `releasable_to` (ISO 3166-1
 * alpha-3, e.g. {"ECU", "PER"}); with none (NULL, 0) the coalition's sharing agreements
 * decide who beyond the origin nation receives it. `ack_out` may be NULL.
 * Returns what enlace_publish_envelope() does, plus ENLACE_ERR_INVALID_TOPIC and
 * ENLACE_ERR_NOT_CONNECTED before the first session (the origin is not known yet).
 * Blocking only with `acknowledge`. */
ENLACE_API int enlace_publish_text(enlace_client_t* client, const char* topic, const char* text,
                                   const char* const* releasable_to, size_t releasable_count,
                                   int acknowledge, int timeout_ms, enlace_publish_ack_t* ack_out);

/* Publishes an Opaque payload: `size` bytes of vendor content described by the media type
 * `content_type` (e.g. "application/vnd.acme.radar+cbor"). `data` may be NULL when `size`
 * is 0. Otherwise as enlace_publish_text(). */
ENLACE_API int enlace_publish_opaque(enlace_client_t* client, const char* topic,
                                     const char* content_type, const uint8_t* data, size_t size,
                                     const char* const* releasable_to, size_t releasable_count,
                                     int acknowledge, int timeout_ms,
                                     enlace_publish_ack_t* ack_out);

/* ---------------------------------------------------------------------------------------
 * Subscribing
 * ------------------------------------------------------------------------------------- */

/* Payload types: the tags of the `Payload` union of schemas/payloads.fbs. Frozen. */
enum enlace_payload_type {
  ENLACE_PAYLOAD_NONE = 0,
  ENLACE_PAYLOAD_TRACK = 1,
  ENLACE_PAYLOAD_POSITION_REPORT = 2,
  ENLACE_PAYLOAD_DETECTION = 3,
  ENLACE_PAYLOAD_ALERT = 4,
  ENLACE_PAYLOAD_SPOT_REPORT = 5,
  ENLACE_PAYLOAD_TASKING = 6,
  ENLACE_PAYLOAD_TEXT = 7,
  ENLACE_PAYLOAD_SEALED = 8,
  ENLACE_PAYLOAD_OPAQUE = 9
};

/* What a delivery callback is being told. */
enum enlace_delivery_kind {
  ENLACE_DELIVERY_MESSAGE = 0, /* a message */
  ENLACE_DELIVERY_SNAPSHOT_END =
      1,                         /* end of the snapshot (only with ENLACE_SUBSCRIBE_SNAPSHOT_END) */
  ENLACE_DELIVERY_REPLAY_END = 2 /* end of the replay (only with ENLACE_SUBSCRIBE_REPLAY_END) */
};

/* Where enlace_subscribe_replay() starts (docs/protocol.md 5.3, "Replay"). */
enum enlace_replay_from {
  ENLACE_REPLAY_SEQUENCE = 1, /* from the broker sequence `replay_value` on */
  ENLACE_REPLAY_TIME = 2,     /* from the broker receive time `replay_value` (UTC ns) on */
  ENLACE_REPLAY_EARLIEST = 3  /* everything the journals hold (`replay_value` ignored) */
};

/* enlace_subscribe() flags. */
#define ENLACE_SUBSCRIBE_SNAPSHOT                            \
  0x1 /* the cached messages of the COP this system may see  \
         (from_snapshot = 1) and live traffic (0), with no   \
         gap and no duplicate; live messages may come before \
         the snapshot ends, never before a topic's snapshot  \
         message (docs/protocol.md 5.3) */
#define ENLACE_SUBSCRIBE_SNAPSHOT_END                       \
  0x2 /* with SNAPSHOT: also call back once with kind       \
         ENLACE_DELIVERY_SNAPSHOT_END after the last cached \
         message */
#define ENLACE_SUBSCRIBE_REPLAY_END                          \
  0x8 /* with enlace_subscribe_replay(): also call back once \
         with kind ENLACE_DELIVERY_REPLAY_END after the last \
         replayed message */
#define ENLACE_SUBSCRIBE_CONFLATE                          \
  0x4 /* while the broker holds a backlog for this client, \
         keep only the newest message of each topic        \
         (docs/protocol.md 5.6) */

/* A received message, as the delivery callback sees it. The struct and everything it
 * points to belong to the SDK and are valid only during the callback: copy what you keep.
 * Strings are NUL-terminated and never NULL ("" when absent).
 *
 * Trust: origin_nation/origin_system are the identity the broker authenticated for the
 * publisher, never a field the publisher typed. The envelope's own origin (inside
 * `envelope`) is what the publisher wrote; the broker refused the message if they differed.
 *
 * Later versions only append fields; `struct_size` tells how many bytes are valid. */
typedef struct enlace_delivery {
  size_t struct_size;       /* sizeof(enlace_delivery_t) of the library */
  int kind;                 /* enum enlace_delivery_kind */
  uint64_t subscription_id; /* the subscription this callback belongs to */

  const char* topic;         /* e.g. "track.COL.radar.rx17.T0042" */
  const char* origin_nation; /* authenticated publisher nation, e.g. "COL" */
  const char* origin_system; /* authenticated publisher system id */
  uint64_t sequence;         /* broker sequence number, strictly increasing per broker */
  int64_t receive_time_ns;   /* UTC ns at which the broker accepted the message */
  int64_t publish_time_ns;   /* UTC ns, from the envelope (the publisher's clock) */
  int64_t stale_time_ns;     /* UTC ns after which the content is stale; 0 = never */
  uint64_t message_id_hi;    /* the envelope's id */
  uint64_t message_id_lo;
  int from_snapshot;         /* 1 when it comes from the COP cache, 0 when live */
  int classification;        /* label classification: 0 unmarked .. 5 top secret */
  const char* releasable_to; /* label nations, comma-separated ("ECU,PER"); "" when none */
  int payload_type;          /* enum enlace_payload_type */

  /* Convenience views of the two payload types that need no schema on the receiving side. */
  const char* text;         /* ENLACE_PAYLOAD_TEXT: the body; otherwise "" */
  const char* content_type; /* ENLACE_PAYLOAD_OPAQUE: the media type; otherwise "" */
  const uint8_t* data;      /* ENLACE_PAYLOAD_OPAQUE: the bytes; otherwise NULL */
  size_t data_size;

  /* The raw FlatBuffers, verified by the SDK, for typed access from generated code. */
  const uint8_t* envelope; /* the Envelope ("ENV1") */
  size_t envelope_size;
  const uint8_t* delivery; /* the whole Delivery ("EDL1") wrapping the envelope */
  size_t delivery_size;

  uint32_t snapshot_count; /* ENLACE_DELIVERY_SNAPSHOT_END: cached messages sent */
  int replayed;            /* 1 when it comes from a durable stream's journal (a replay) */
  uint64_t replay_count;   /* ENLACE_DELIVERY_REPLAY_END: journaled messages sent */
  /* ENLACE_DELIVERY_REPLAY_END: damaged journal records the replay skipped, which may have
   * held messages it should have sent; 0 when the replay is whole. Appended last: the
   * struct is the library's, read through the pointer the callback gets. */
  uint64_t replay_damaged;
} enlace_delivery_t;

/* Called on the client's I/O thread for every delivery matching the subscription, one at
 * a time, in the broker's order. Must not block for long: every other delivery of the
 * client waits meanwhile (and once a subscriber is behind by its queue bound, the broker
 * drops each new delivery for it that does not fit: drop-newest, docs/protocol.md 5.6).
 * May publish without acknowledgement; the blocking functions of the same client return
 * ENLACE_ERR_INVALID_ARGUMENT here. */
typedef void (*enlace_delivery_cb)(const enlace_delivery_t* delivery, void* user);

/* Subscribes to `pattern` (dot-separated tokens; `*` matches one token, `>` as the last
 * token matches one or more: e.g. "track.*.radar.>") and waits up to `timeout_ms` for the
 * broker's answer. On success stores the subscription's id in *subscription_id_out (may be
 * NULL) and `callback` starts receiving deliveries with `user`; the subscription is
 * restored after every reconnection. On refusal nothing is kept and the broker's code is
 * returned: ENLACE_ERR_SUBSCRIBE_DENIED (the reason names the rule),
 * ENLACE_ERR_WILDCARD_FORBIDDEN, ENLACE_ERR_INVALID_PATTERN,
 * ENLACE_ERR_TOO_MANY_SUBSCRIPTIONS; also ENLACE_ERR_TIMEOUT, ENLACE_ERR_CLOSED,
 * ENLACE_ERR_INVALID_ARGUMENT (NULL, unknown flag, SNAPSHOT_END without SNAPSHOT, or called
 * from a callback).
 * Subscribing before the session is established is allowed: the request goes out with
 * the session, within `timeout_ms`. After ENLACE_ERR_TIMEOUT the SDK cancels the request;
 * no callback starts for it once this function has returned, but one may have started just
 * before, so keep `user` valid until enlace_client_close() in that case. Blocking. */
ENLACE_API int enlace_subscribe(enlace_client_t* client, const char* pattern,
                                enlace_delivery_cb callback, void* user, int flags, int timeout_ms,
                                uint64_t* subscription_id_out);

/* Subscribes as enlace_subscribe() does, and first replays the journaled messages of the
 * durable streams matching `pattern` that this system may see, from `replay_from`
 * (enum enlace_replay_from) and `replay_value`: each with replayed = 1, in sequence order;
 * then, with ENLACE_SUBSCRIBE_REPLAY_END in `flags`, one callback of kind
 * ENLACE_DELIVERY_REPLAY_END with replay_count and replay_damaged; live deliveries start at once,
 * with the sequences after the replay's (docs/protocol.md 5.3, "Replay"). The replay is asked for
 * once: after a reconnection the subscription is restored live only. Besides the codes of
 * enlace_subscribe(): ENLACE_ERR_REPLAY_UNAVAILABLE (no durable stream of the broker can
 * hold the pattern's topics); ENLACE_ERR_INVALID_ARGUMENT also for an unknown
 * `replay_from` or ENLACE_SUBSCRIBE_SNAPSHOT in `flags` (a snapshot or a replay). Blocking. */
ENLACE_API int enlace_subscribe_replay(enlace_client_t* client, const char* pattern,
                                       int replay_from, uint64_t replay_value,
                                       enlace_delivery_cb callback, void* user, int flags,
                                       int timeout_ms, uint64_t* subscription_id_out);

/* Removes a subscription. Once this returns ENLACE_OK its callback is not called any more
 * and `user` may be freed. Returns ENLACE_OK, ENLACE_ERR_INVALID_ARGUMENT (NULL client,
 * unknown or already removed id, or called from a callback), ENLACE_ERR_CLOSED, or
 * ENLACE_ERR_TIMEOUT: the broker did not confirm in time, and the callback may still run
 * until the client has processed the request, so keep `user` alive until
 * enlace_client_close() returns. Blocking. */
ENLACE_API int enlace_unsubscribe(enlace_client_t* client, uint64_t subscription_id,
                                  int timeout_ms);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ENLACE_ENLACE_H */
