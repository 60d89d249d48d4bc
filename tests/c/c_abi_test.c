/*
 * The C ABI seen from C: this file includes nothing of Enlace but <enlace/enlace.h> and is
 * compiled as strict C99, so it proves that the header is valid C on its own and that a C
 * program links against libenlace. It needs no broker: the one client it opens points at
 * a loopback port where nothing listens, and is only observed while it tries.
 *
 * Exits 0 when every check holds; otherwise prints each failed check and exits 1.
 */
#define _POSIX_C_SOURCE 200809L /* mkdtemp, unlink, rmdir */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <enlace/enlace.h>

static int failures = 0;

#define CHECK(condition)                                                                           \
  do {                                                                                             \
    if (!(condition)) {                                                                            \
      ++failures;                                                                                  \
      fprintf(stderr, "%s:%d: FAILED: %s (last reason: \"%s\")\n", __FILE__, __LINE__, #condition, \
              enlace_last_error_reason());                                                         \
    }                                                                                              \
  } while (0)

static void check_errors(void) {
  CHECK(strcmp(enlace_strerror(ENLACE_OK), "ok") == 0);
  CHECK(strcmp(enlace_strerror(ENLACE_ERR_PUBLISH_DENIED), "publish_denied") == 0);
  CHECK(strcmp(enlace_strerror(202), "publish_denied") == 0);
  CHECK(strcmp(enlace_strerror(ENLACE_ERR_AUTHENTICATION_FAILED), "authentication_failed") == 0);
  CHECK(strcmp(enlace_strerror(ENLACE_ERR_INVALID_ARGUMENT), "invalid_argument") == 0);
  CHECK(strcmp(enlace_strerror(12345), "unknown_error") == 0);
  CHECK(strcmp(enlace_strerror(-1), "unknown_error") == 0);

  CHECK(enlace_is_retryable(ENLACE_ERR_TIMEOUT) == 1);
  CHECK(enlace_is_retryable(ENLACE_ERR_RATE_LIMITED) == 1);
  CHECK(enlace_is_retryable(ENLACE_ERR_PUBLISH_DENIED) == 0);
  CHECK(enlace_is_retryable(ENLACE_OK) == 0);
  CHECK(enlace_is_retryable(12345) == 0);

  CHECK(strcmp(enlace_version(), ENLACE_VERSION_STRING) == 0);
#ifdef ENLACE_PROJECT_VERSION /* set by the build: the version in the top CMakeLists.txt */
  CHECK(strcmp(ENLACE_VERSION_STRING, ENLACE_PROJECT_VERSION) == 0);
#endif
  CHECK(strcmp(enlace_state_name(ENLACE_STATE_AUTH_FAILED), "auth_failed") == 0);
  CHECK(strcmp(enlace_state_name(99), "unknown") == 0);

  /* Before any failing call the reason is empty, never NULL. */
  CHECK(enlace_last_error_reason() != NULL);
}

static void check_keys(void) {
  char public_key[ENLACE_KEY_BUFFER_SIZE];
  char secret_key[ENLACE_KEY_BUFFER_SIZE];
  char public_back[ENLACE_KEY_BUFFER_SIZE];
  char secret_back[ENLACE_KEY_BUFFER_SIZE];
  char directory[] = "/tmp/enlace-c-abi-XXXXXX";
  char base[64];
  char file[80];

  CHECK(enlace_keygen(public_key, secret_key) == ENLACE_OK);
  CHECK(strlen(public_key) == ENLACE_KEY_LENGTH && strlen(secret_key) == ENLACE_KEY_LENGTH);
  CHECK(strcmp(public_key, secret_key) != 0);
  CHECK(enlace_key_is_valid(public_key) == 1 && enlace_key_is_valid(secret_key) == 1);
  CHECK(enlace_key_is_valid("too short") == 0);
  CHECK(enlace_key_is_valid(NULL) == 0);
  CHECK(strcmp(enlace_last_error_reason(), "") == 0); /* the successful keygen cleared it */

  CHECK(enlace_keygen(NULL, secret_key) == ENLACE_ERR_INVALID_ARGUMENT);
  CHECK(enlace_last_error_code() == ENLACE_ERR_INVALID_ARGUMENT);
  CHECK(strlen(enlace_last_error_reason()) > 0);

  if (mkdtemp(directory) == NULL) {
    CHECK(!"mkdtemp failed");
    return;
  }
  snprintf(base, sizeof base, "%s/cp", directory);
  CHECK(enlace_keys_save(base, public_key, secret_key, 0) == ENLACE_OK);
  CHECK(enlace_keys_save(base, public_key, secret_key, 0) == ENLACE_ERR_KEY_ERROR); /* exists */
  CHECK(enlace_keys_save(base, public_key, secret_key, 1) == ENLACE_OK);
  CHECK(enlace_keys_save(base, "not a key", secret_key, 1) == ENLACE_ERR_INVALID_ARGUMENT);
  CHECK(enlace_keys_load(base, public_back, secret_back) == ENLACE_OK);
  CHECK(strcmp(public_back, public_key) == 0 && strcmp(secret_back, secret_key) == 0);

  snprintf(file, sizeof file, "%s.pub", base);
  CHECK(enlace_public_key_load(file, public_back) == ENLACE_OK);
  CHECK(strcmp(public_back, public_key) == 0);

  CHECK(enlace_keys_load("/nonexistent/enlace/key", public_back, secret_back) ==
        ENLACE_ERR_KEY_ERROR);
  CHECK(strstr(enlace_last_error_reason(), "/nonexistent/enlace/key") != NULL);
  CHECK(public_back[0] == '\0' && secret_back[0] == '\0');

  unlink(file);
  snprintf(file, sizeof file, "%s.key", base);
  unlink(file);
  rmdir(directory);
}

static void check_client_without_broker(void) {
  enlace_client_options_t options;
  enlace_client_t* client = NULL;
  char public_key[ENLACE_KEY_BUFFER_SIZE];
  char secret_key[ENLACE_KEY_BUFFER_SIZE];
  char broker_key[ENLACE_KEY_BUFFER_SIZE];
  char broker_secret[ENLACE_KEY_BUFFER_SIZE];
  char nation[16];
  uint64_t subscription = 0;

  CHECK(enlace_keygen(public_key, secret_key) == ENLACE_OK);
  CHECK(enlace_keygen(broker_key, broker_secret) == ENLACE_OK);

  CHECK(enlace_client_options_init(&options, sizeof options) == ENLACE_OK);
  CHECK(options.struct_size == sizeof options && options.endpoint == NULL);
  CHECK(enlace_client_options_init(&options, 4) == ENLACE_ERR_INVALID_ARGUMENT);
  CHECK(enlace_client_options_init(&options, sizeof options) == ENLACE_OK);

  /* Refusals come back as codes, with *out set to NULL. */
  client = (enlace_client_t*)&options; /* any non-NULL value */
  CHECK(enlace_client_open(&client, &options) == ENLACE_ERR_INVALID_ARGUMENT);
  CHECK(client == NULL);
  options.endpoint = "not-an-endpoint";
  options.broker_public_key = broker_key;
  options.public_key = public_key;
  options.secret_key = secret_key;
  CHECK(enlace_client_open(&client, &options) == ENLACE_ERR_INVALID_ARGUMENT);
  CHECK(strstr(enlace_last_error_reason(), "endpoint") != NULL);
  options.endpoint = "tcp://127.0.0.1:1"; /* nothing listens on port 1 */
  options.secret_key = "not a key";
  CHECK(enlace_client_open(&client, &options) == ENLACE_ERR_INVALID_ARGUMENT);
  CHECK(strstr(enlace_last_error_reason(), "secret_key") != NULL);
  CHECK(enlace_client_open(NULL, &options) == ENLACE_ERR_INVALID_ARGUMENT);

  options.secret_key = secret_key;
  options.send_queue_wait_ms = -1;
  CHECK(enlace_client_open(&client, &options) == ENLACE_ERR_INVALID_ARGUMENT);
  CHECK(strstr(enlace_last_error_reason(), "send_queue_wait_ms") != NULL);
  options.send_queue_wait_ms = 0;

  /* A client that can never connect: every call answers, none blocks beyond its bound. */
  options.heartbeat_ms = 200;
  CHECK(enlace_client_open(&client, &options) == ENLACE_OK);
  CHECK(client != NULL);
  CHECK(enlace_client_state(client) == ENLACE_STATE_CONNECTING);
  CHECK(enlace_client_wait_connected(client, 0) == ENLACE_ERR_TIMEOUT);
  CHECK(enlace_client_wait_connected(client, -1) == ENLACE_ERR_INVALID_ARGUMENT);
  CHECK(enlace_client_nation(client, nation, sizeof nation, NULL) == ENLACE_ERR_NOT_CONNECTED);
  /* The origin comes from the session: no session, no convenience publish. */
  CHECK(enlace_publish_text(client, "text.COL.ops", "hola", NULL, 0, 0, 0, NULL) ==
        ENLACE_ERR_NOT_CONNECTED);
  CHECK(enlace_publish_envelope(client, (const uint8_t*)"garbage!garbage!", 16, 0, 0, NULL) ==
        ENLACE_ERR_INVALID_ENVELOPE);
  CHECK(enlace_subscribe(client, "text.>", NULL, NULL, 0, 0, &subscription) ==
        ENLACE_ERR_INVALID_ARGUMENT);
  CHECK(enlace_unsubscribe(client, 42, 0) == ENLACE_ERR_INVALID_ARGUMENT);
  enlace_client_close(client);

  enlace_client_close(NULL);
  CHECK(enlace_client_state(NULL) == -1);
}

int main(void) {
  check_errors();
  check_keys();
  check_client_without_broker();
  if (failures != 0) {
    fprintf(stderr, "c_abi_test: %d check(s) failed\n", failures);
    return EXIT_FAILURE;
  }
  printf("c_abi_test: all checks passed (libenlace %s)\n", enlace_version());
  return EXIT_SUCCESS;
}
