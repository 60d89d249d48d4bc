// A sustained abuser is cut off (docs/protocol.md 8.2): a session refused more than it is
// served, at a rate worth stopping, for a second is closed with Error{rate_limited}, its
// connection is shut, and its system's handshakes are refused for a cool-down. Everyone
// else is served throughout. No timing is asserted: the test floods until the broker's notice
// arrives (within a generous deadline), then checks what follows by markers.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <mutex>

#include "broker_process.hpp"
#include "raw_client.hpp"

using namespace enlace;
using namespace enlace::test;

namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

bool is_cut_off_notice(const Received& a) {
  return a.control_type() == wire::Control::Error && a.error_code() == Errc::rate_limited &&
         !a.message_id() && a.reason().find("cut off") != std::string::npos;
}

}  // namespace

TEST_CASE("a sustained flooder is cut off and its system refused new sessions for a cool-down",
          "[integration][ingest][flood]") {
  TestCoalition coalition;
  // Every system may publish 10 messages a second; the bystanders publish a few.
  coalition.edits = {{"default_rate = 100000", "default_rate = 10"},
                     {"default_burst = 100000", "default_burst = 10"}};
  coalition.add("col-flood", "COL", "command_post");
  coalition.add("col-cp", "COL", "command_post");
  coalition.add("ecu-cp", "ECU", "command_post");
  BrokerProcess broker(coalition);
  Client bystander(broker.options_for(coalition["col-cp"]));
  Client subscriber(broker.options_for(coalition["ecu-cp"]));
  REQUIRE(bystander.wait_connected(10s).ok());
  REQUIRE(subscriber.wait_connected(10s).ok());
  Inbox inbox;
  REQUIRE(subscriber.subscribe("text.>", inbox.handler()).ok());

  RawClient flooder(broker, coalition["col-flood"],
                    {.sndhwm = 1000});  // try_send() sees a full queue
  REQUIRE(flooder.hello());
  // Served before it floods: within its rate, a publish is acknowledged.
  flooder.send(
      publish_frame(EnvelopeSpec("col-flood", "text.COL.before-flood"), wire::flag::ack_requested));
  CHECK(flooder.next()->control_type() == wire::Control::Ack);

  // Batches of 300 publishes without ack_requested, as fast as the socket takes them,
  // until the broker's notice comes.
  std::vector<Frame> records(300, publish_frame(EnvelopeSpec("col-flood", "text.COL.x"), 0));
  const Frame batch = with_header(wire::Command::batch, batch_body(records));
  std::vector<Received> during;
  bool cut = false;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (!cut && std::chrono::steady_clock::now() < deadline) {
    for (int i = 0; i < 50; ++i) (void)flooder.try_send(batch);
    for (const auto& answer : flooder.drain()) {
      during.push_back(answer);
      cut = cut || is_cut_off_notice(answer);
    }
  }
  REQUIRE(cut);
  // Refused all along, and answered within the error rate limit only.
  CHECK(has_error(during, Errc::rate_limited));
  CHECK(during.size() < 1000);

  // The broker shuts the connection, and refuses the system's handshakes for the
  // cool-down: a new client with its key is denied.
  const auto metrics = broker.directory() / "metrics.json";
  CHECK(eventually(
      [&] { return read_file(metrics).find("\"connections_closed\":1,") != std::string::npos; }));
  Client again(broker.options_for(coalition["col-flood"]));
  const auto refused = again.wait_connected(10s);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == Errc::authentication_failed);
  CHECK(eventually([&] {
    const std::string m = read_file(metrics);
    return !m.empty() && m.find("\"auth_refused_cooling\":0,") == std::string::npos;
  }));
  // Another system of the same nation connects meanwhile: allowed.
  Client other(broker.options_for(coalition["col-cp"]));
  CHECK(other.wait_connected(10s).ok());

  // Everyone else is served; nothing of the flood was delivered.
  REQUIRE(publish_text(bystander, "text.COL.after-flood", "still here", {"ECU"}).ok());
  CHECK(inbox.wait_for_topic("text.COL.after-flood"));
  CHECK_FALSE(inbox.has_topic("text.COL.x"));

  // The cut-off is counted and logged once.
  CHECK(eventually(
      [&] { return read_file(metrics).find("\"sessions_cut_off\":1,") != std::string::npos; }));
  CHECK(count_of(read_file(broker.directory() / "broker.log"), "cut off: session") == 1);
}

TEST_CASE("an SDK client cut off for flooding stops, and says why while its handshakes are refused",
          "[integration][ingest][flood]") {
  TestCoalition coalition;
  coalition.edits = {{"default_rate = 100000", "default_rate = 10"},
                     {"default_burst = 100000", "default_burst = 10"}};
  coalition.add("col-flood", "COL", "command_post");
  BrokerProcess broker(coalition);
  std::mutex mutex;
  std::vector<ErrorInfo> states;
  ClientOptions options = broker.options_for(coalition["col-flood"]);
  options.reconnect_max = std::chrono::milliseconds(200);
  options.on_state = [&](ConnectionState, const ErrorInfo& why) {
    std::lock_guard lock(mutex);
    states.push_back(why);
  };
  Client flooder(options);
  REQUIRE(flooder.wait_connected(10s).ok());
  const auto saw = [&](const std::string& what) {
    std::lock_guard lock(mutex);
    return std::any_of(states.begin(), states.end(), [&](const ErrorInfo& e) {
      return e.code == Errc::rate_limited && e.reason.find(what) != std::string::npos;
    });
  };

  // As fast as it can, far over its rate of 10 a second, until the broker cuts it off.
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (!saw("session cut off") && std::chrono::steady_clock::now() < deadline) {
    for (int i = 0; i < 1000; ++i) {
      (void)flooder.publish("text.COL.x", [](flatbuffers::FlatBufferBuilder& fbb) {
        return wire::CreateTextDirect(fbb, "flood");
      });
    }
  }
  REQUIRE(saw("session cut off"));
  // Its fresh connections are refused during the cool-down, and the client says why.
  CHECK(eventually([&] { return saw("refuses this system for now"); }));
  CHECK(flooder.state() == ConnectionState::reconnecting);
}
