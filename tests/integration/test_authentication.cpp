// Promise 2, first half: only registered keys get a session, and the session carries the
// identity the policy gives that key.
#include <catch2/catch.hpp>

#include "broker_process.hpp"

using namespace enlace;
using namespace enlace::test;

TEST_CASE("a registered key gets a session with the identity the policy gives it",
          "[integration][auth]") {
  TestCoalition coalition;
  const auto& cp = coalition.add("col-cp", "COL", "command_post");
  BrokerProcess broker(coalition);

  Client client(broker.options_for(cp));
  const auto session = client.wait_connected(10s);
  REQUIRE(session.ok());
  CHECK(session->nation == "COL");
  CHECK(session->system == "col-cp");
  CHECK(session->role == "command_post");
  CHECK(session->broker_id == "test-broker");
  CHECK(session->max_message_bytes == 65536);
  CHECK(client.state() == ConnectionState::connected);
}

TEST_CASE("an unknown key is refused at the handshake", "[integration][auth]") {
  TestCoalition coalition;
  coalition.add("col-cp", "COL", "command_post");
  BrokerProcess broker(coalition);

  TestSystem stranger{"stranger", "COL", "command_post", generate_keypair()};
  Client client(broker.options_for(stranger));
  const auto session = client.wait_connected(10s);
  REQUIRE_FALSE(session.ok());
  CHECK(session.code() == Errc::authentication_failed);
  CHECK(client.state() == ConnectionState::auth_failed);
}

TEST_CASE("a revoked system's key is refused at the handshake", "[integration][auth]") {
  TestCoalition coalition;
  const auto& revoked = coalition.add("col-old-radar", "COL", "sensor");
  coalition.revoked.push_back("col-old-radar");
  BrokerProcess broker(coalition);

  Client client(broker.options_for(revoked));
  const auto session = client.wait_connected(10s);
  REQUIRE_FALSE(session.ok());
  CHECK(session.code() == Errc::authentication_failed);
}

TEST_CASE("a client refused at the handshake keeps trying, and connects once its key is registered",
          "[integration][auth]") {
  TestCoalition coalition;
  const auto& radar = coalition.add("col-new-radar", "COL", "sensor");
  coalition.revoked.push_back("col-new-radar");
  BrokerProcess broker(coalition);

  ClientOptions options = broker.options_for(radar);
  options.reconnect_max = std::chrono::milliseconds(200);
  Client client(options);
  const auto refused = client.wait_connected(10s);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.code() == Errc::authentication_failed);

  // libzmq does not retry a refused handshake; the client opens a fresh connection.
  coalition.revoked.clear();
  broker.reload(coalition);
  CHECK(eventually([&] { return client.state() == ConnectionState::connected; }));
  CHECK(client.session().system == "col-new-radar");
}

TEST_CASE("a client that trusts the wrong broker key never gets a session", "[integration][auth]") {
  TestCoalition coalition;
  const auto& cp = coalition.add("col-cp", "COL", "command_post");
  BrokerProcess broker(coalition);

  auto options = broker.options_for(cp);
  options.broker_public_key = generate_keypair().public_key;  // an impostor's key
  Client client(options);
  const auto session = client.wait_connected(3s);
  REQUIRE_FALSE(session.ok());
  CHECK(client.state() != ConnectionState::connected);
  // The broker cannot open the Hello box and breaks the handshake off: that is told apart
  // from a refused client key.
  CHECK(session.code() == Errc::handshake_failed);
  CHECK_THAT(session.error().reason, Catch::Contains("not that broker's"));
}

TEST_CASE("a closed port is reported as connect_failed with the cause, while retrying",
          "[integration][auth]") {
  TestCoalition coalition;
  const auto& cp = coalition.add("col-cp", "COL", "command_post");
  BrokerProcess broker(coalition);
  auto options = broker.options_for(cp);
  options.endpoint = "tcp://127.0.0.1:1";  // nothing listens on port 1
  std::mutex mutex;
  std::optional<ErrorInfo> reported;
  std::condition_variable changed;
  options.on_state = [&](ConnectionState, const ErrorInfo& error) {
    std::lock_guard lock(mutex);
    if (error.code == Errc::connect_failed && !reported) reported = error;
    changed.notify_all();
  };
  Client client(options);
  std::unique_lock lock(mutex);
  REQUIRE(changed.wait_for(lock, 10s, [&] { return reported.has_value(); }));
  CHECK_THAT(reported->reason,
             Catch::StartsWith("cannot connect to tcp://127.0.0.1:1: connection refused"));
  CHECK(client.state() == ConnectionState::connecting);  // the SDK keeps trying
  CHECK(is_retryable(Errc::connect_failed));
}

TEST_CASE("a malformed endpoint fails the client's constructor", "[integration][auth]") {
  TestCoalition coalition;
  const auto& cp = coalition.add("col-cp", "COL", "command_post");
  BrokerProcess broker(coalition);
  auto options = broker.options_for(cp);
  options.endpoint = "tcp://127.0.0.1";  // no port
  CHECK_THROWS_AS(Client(options), std::invalid_argument);
  options.endpoint = "bogus";
  CHECK_THROWS_AS(Client(options), std::invalid_argument);
}
