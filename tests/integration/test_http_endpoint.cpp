// The broker's HTTP endpoint (docs/operations.md): /metrics, /healthz, /readyz, /status
// over real HTTP on loopback, against a real broker process.
//
// The broker publishes what HTTP serves once a second, so every check of a count waits for
// the figure with a generous bound (eventually), never for a fixed time.
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>

#include "broker_process.hpp"
#include "http_client.hpp"

using namespace enlace;
using namespace enlace::test;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

struct Bus {
  TestCoalition coalition;
  std::unique_ptr<BrokerProcess> broker;
  std::map<std::string, std::unique_ptr<Client>> clients;
  std::map<std::string, std::unique_ptr<Inbox>> inboxes;

  explicit Bus(std::vector<std::string> args = {}) {
    coalition.add("col-cp", "COL", "command_post");
    coalition.add("ecu-cp", "ECU", "command_post");
    broker = std::make_unique<BrokerProcess>(coalition, std::move(args));
  }
  Client& connect(const std::string& id) {
    auto& client = clients[id];
    client = std::make_unique<Client>(broker->options_for(coalition[id]));
    REQUIRE(client->wait_connected(10s).ok());
    return *client;
  }
  Inbox& subscribe(const std::string& id, const std::string& pattern) {
    auto& inbox = inboxes[id + "/" + pattern];
    inbox = std::make_unique<Inbox>();
    REQUIRE(clients.at(id)->subscribe(pattern, inbox->handler()).ok());
    return *inbox;
  }
  std::string metrics() const { return http_get(broker->http_address(), "/metrics").body; }
  /// Waits until the sample `series` of /metrics equals `expected`.
  bool wait_value(std::string_view series, double expected) const {
    return eventually([&] { return prometheus_value(metrics(), series) == expected; }, 20s);
  }
};

/// The object of /status's "sessions" array that names `system`, "" if none.
std::string session_row(const std::string& status, const std::string& system) {
  const auto at = status.find("\"system\":\"" + system + "\"");
  if (at == std::string::npos) return {};
  const auto begin = status.rfind("{\"session_id\"", at);
  const auto end = status.find('}', at);
  return status.substr(begin, end - begin + 1);
}

/// Runs `command` with `input` on its standard input; its exit status and output.
std::pair<int, std::string> run_with_input(const std::string& command, const std::string& input) {
  char path[] = "/tmp/enlace-http-test-XXXXXX";
  const int fd = ::mkstemp(path);
  REQUIRE(fd >= 0);
  ::close(fd);
  std::ofstream(path) << input;
  std::string output;
  FILE* pipe = ::popen((command + " < " + path + " 2>&1").c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[4096];
  while (std::fgets(buffer, sizeof(buffer), pipe) != nullptr) output += buffer;
  const int status = ::pclose(pipe);
  ::unlink(path);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

}  // namespace

TEST_CASE("/healthz and /readyz answer 200 on a ready broker", "[integration][http]") {
  Bus bus;
  REQUIRE_FALSE(bus.broker->http_address().empty());
  const auto health = http_get(bus.broker->http_address(), "/healthz");
  CHECK(health.status == 200);
  CHECK(health.body == "ok\n");
  const auto ready = http_get(bus.broker->http_address(), "/readyz");
  CHECK(ready.status == 200);
  CHECK(ready.body == "ready\n");
}

TEST_CASE("/metrics is Prometheus text that promtool accepts", "[integration][http]") {
  Bus bus;
  Client& col = bus.connect("col-cp");
  bus.connect("ecu-cp");
  auto& ecu = bus.subscribe("ecu-cp", "text.>");
  REQUIRE(publish_text(col, "text.COL.one", "uno", {"ECU"}).ok());
  REQUIRE(ecu.wait_for_topic("text.COL.one"));
  // A refusal, so that enlace_refusals_total has a sample.
  CHECK_FALSE(publish_text(col, "track.COL.radar.T1", "not a command post's").ok());
  REQUIRE(bus.wait_value("enlace_refusals_total{code=\"publish_denied\"}", 1));

  const auto response = http_get(bus.broker->http_address(), "/metrics");
  REQUIRE(response.status == 200);
  CHECK_THAT(response.header("Content-Type"), StartsWith("text/plain; version=0.0.4"));
  const std::string& text = response.body;
  CHECK(prometheus_value(text, "enlace_messages_published_total{nation=\"COL\"}") == 1);
  CHECK(prometheus_value(text,
                         "enlace_deliveries_total{nation=\"COL\",recipient_nation=\"ECU\"}") == 1);
  CHECK(prometheus_value(text, "enlace_sessions") == 2);
  CHECK(prometheus_value(text, "enlace_subscriptions") == 1);
  CHECK(prometheus_value(text, "enlace_ingest_to_send_seconds_count") == 1);
  CHECK(prometheus_value(text, "enlace_ingest_to_send_seconds_bucket{le=\"+Inf\"}") == 1);
  CHECK(prometheus_value(text, "process_resident_memory_bytes") > 0);
  CHECK(prometheus_value(text, "process_open_fds") > 0);
  CHECK(prometheus_value(text, "process_cpu_seconds_total").has_value());
  // Every family has its HELP and TYPE; counters end in _total.
  CHECK_THAT(text, Contains("# TYPE enlace_deliveries_total counter\n"));
  CHECK_THAT(text, Contains("# TYPE enlace_ingest_to_send_seconds histogram\n"));
  CHECK(text.back() == '\n');

  if (std::system("command -v promtool >/dev/null 2>&1") != 0) {
    WARN("SKIP: promtool not found (Debian package prometheus; scripts/setup.sh installs it)");
    return;
  }
  const auto [status, output] = run_with_input("promtool check metrics", text);
  INFO(output);
  CHECK(status == 0);
  CHECK(output.empty());  // promtool prints each lint problem it finds
}

TEST_CASE("per-nation counters stay with their nation across a reload that renumbers nations",
          "[integration][http][reload]") {
  Bus bus;
  Client& col = bus.connect("col-cp");
  bus.connect("ecu-cp");
  auto& ecu = bus.subscribe("ecu-cp", "text.>");
  for (int i = 0; i < 3; ++i)
    REQUIRE(publish_text(col, "text.COL.before" + std::to_string(i), "antes", {"ECU"}).ok());
  REQUIRE(ecu.wait_for_topic("text.COL.before2"));
  const std::string col_to_ecu = "enlace_deliveries_total{nation=\"COL\",recipient_nation=\"ECU\"}";
  REQUIRE(bus.wait_value(col_to_ecu, 3));

  // ARG sorts before every other code: each nation's index moves up by one.
  bus.coalition.extra = "[nations.ARG]\nname = \"Argentina\"\n";
  bus.broker->reload(bus.coalition);
  REQUIRE(bus.wait_value("enlace_policy_reloads_total", 1));
  const std::string text = bus.metrics();
  INFO(text);
  CHECK(prometheus_value(text, col_to_ecu) == 3);
  CHECK(prometheus_value(text, "enlace_messages_published_total{nation=\"COL\"}") == 3);
  CHECK(prometheus_value(text, "enlace_messages_published_total{nation=\"ARG\"}") == 0);
  CHECK(prometheus_value(text, "enlace_messages_published_total{nation=\"BRA\"}") == 0);
  CHECK_FALSE(
      prometheus_value(text, "enlace_deliveries_total{nation=\"BRA\",recipient_nation=\"COL\"}"));
  CHECK_FALSE(
      prometheus_value(text, "enlace_deliveries_total{nation=\"COL\",recipient_nation=\"COL\"}"));
  // The metrics file keys them by code as well.
  REQUIRE(bus.broker->wait_metric("policy_reloads", [](auto n) { return n == 1; }));
  CHECK(bus.broker->metric("COL->ECU") == 3u);
  CHECK_FALSE(bus.broker->metric("BRA->COL"));

  // New deliveries count under the new numbering, into the same series.
  REQUIRE(publish_text(col, "text.COL.after", "despues", {"ECU"}).ok());
  REQUIRE(ecu.wait_for_topic("text.COL.after"));
  REQUIRE(bus.wait_value(col_to_ecu, 4));
  CHECK(prometheus_value(bus.metrics(), "enlace_messages_published_total{nation=\"COL\"}") == 4);
}

TEST_CASE("/status lists the broker, its policy and one row per session", "[integration][http]") {
  Bus bus;
  Client& col = bus.connect("col-cp");
  bus.connect("ecu-cp");
  auto& ecu = bus.subscribe("ecu-cp", "text.>");
  bus.subscribe("ecu-cp", "alert.>");
  REQUIRE(publish_text(col, "text.COL.status", "hola", {"ECU"}).ok());
  REQUIRE(ecu.wait_for_topic("text.COL.status"));

  std::string status;
  REQUIRE(eventually(
      [&] {
        const auto response = http_get(bus.broker->http_address(), "/status");
        status = response.body;
        const std::string row = session_row(status, "ecu-cp");
        return response.status == 200 && row.find("\"delivered\":1,") != std::string::npos &&
               row.find("\"subscriptions\":2,") != std::string::npos;
      },
      20s));
  INFO(status);
  CHECK_THAT(status, Contains("\"broker_id\":\"test-broker\""));
  CHECK_THAT(status, Contains("\"ready\":true"));
  CHECK_THAT(status, Contains("\"uptime_seconds\":"));
  CHECK_THAT(status, Contains("\"version\":\""));
  CHECK_THAT(status,
             Contains("\"file\":\"" + (bus.broker->directory() / "policy.toml").string() + "\""));
  CHECK_THAT(status, Contains("\"digest\":\""));
  CHECK_THAT(status, Contains("\"nations\":[\"BRA\",\"COL\",\"ECU\",\"PER\",\"VEN\"]"));
  const std::string ecu_row = session_row(status, "ecu-cp");
  CHECK_THAT(ecu_row, Contains("\"nation\":\"ECU\""));
  CHECK_THAT(ecu_row, Contains("\"role\":\"command_post\""));
  CHECK_THAT(ecu_row, Contains("\"remote_address\":\"127.0.0.1:"));
  CHECK_THAT(ecu_row, Contains("\"connected_since\":\"20"));
  CHECK_THAT(ecu_row, Contains("\"dropped\":0"));
  const std::string col_row = session_row(status, "col-cp");
  CHECK_THAT(col_row, Contains("\"nation\":\"COL\""));
  CHECK_THAT(col_row, Contains("\"subscriptions\":0,"));

  // A session that ends leaves the list.
  bus.clients.erase("col-cp");
  CHECK(eventually(
      [&] {
        return session_row(http_get(bus.broker->http_address(), "/status").body, "col-cp").empty();
      },
      20s));
}

TEST_CASE("unknown paths get 404 and methods other than GET 405", "[integration][http]") {
  Bus bus;
  const std::string& at = bus.broker->http_address();
  CHECK(http_get(at, "/nope").status == 404);
  CHECK(http_get(at, "/metrics/extra").status == 404);
  CHECK(http_request(at, "POST", "/nope").status == 404);
  for (const char* path : {"/metrics", "/healthz", "/readyz", "/status"}) {
    INFO(path);
    const auto post = http_request(at, "POST", path, "Content-Length: 0\r\n");
    CHECK(post.status == 405);
    CHECK(post.header("Allow") == "GET");
    CHECK(http_request(at, "DELETE", path).status == 405);
  }
  CHECK(http_get(at, "/metrics?format=text").status == 200);  // a query names no other path
}

TEST_CASE("an oversized request is refused and the endpoint keeps serving", "[integration][http]") {
  Bus bus;
  const std::string& at = bus.broker->http_address();
  const std::string huge = "X-Filler: " + std::string(64 * 1024, 'a') + "\r\n";
  const auto refused = http_request(at, "GET", "/metrics", huge);
  CHECK(refused.status != 200);
  const std::string body = "Content-Length: 100000\r\n\r\n" + std::string(100000, 'b');
  CHECK(http_request(at, "GET", "/status", body).status != 200);
  CHECK(http_get(at, "/healthz").status == 200);
}

TEST_CASE("open HTTP connections do not hold up the broker's shutdown", "[integration][http]") {
  Bus bus;
  const std::string& at = bus.broker->http_address();
  const int idle = http_connect(at);
  REQUIRE(idle >= 0);
  const int half = http_connect(at);
  REQUIRE(half >= 0);
  const std::string partial = "GET /metrics HTTP/1.1\r\nHost: x\r\n";  // never finished
  REQUIRE(::send(half, partial.data(), partial.size(), MSG_NOSIGNAL) > 0);
  REQUIRE(http_get(at, "/healthz").status == 200);
  const int status = bus.broker->stop();  // SIGTERM; SIGKILL only after 10 s
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  ::close(idle);
  ::close(half);
}

TEST_CASE("with --http off nothing is served, and a bad --http value is refused",
          "[integration][http]") {
  Bus off({"--http", "off"});
  CHECK(off.broker->http_address().empty());
  Client& col = off.connect("col-cp");
  CHECK(publish_text(col, "text.COL.x", "works without HTTP").ok());

  const auto [code, output] = run_with_input(
      std::string(ENLACE_BROKER_PATH) + " --http 127.0.0.1:99999 --policy none --keys none", "");
  CHECK(code == 2);
  CHECK_THAT(output, Contains("--http '127.0.0.1:99999'"));
  const auto [host_code, host_output] =
      run_with_input(std::string(ENLACE_BROKER_PATH) + " --http localhost:7451", "");
  CHECK(host_code == 2);
  CHECK_THAT(host_output, Contains("literal IP address"));
}

TEST_CASE("a busy HTTP port stops the broker with a message naming it", "[integration][http]") {
  Bus first;
  TestCoalition coalition;
  coalition.add("col-cp", "COL", "command_post");
  const std::string taken = first.broker->http_address();
  try {
    BrokerProcess second(coalition, {"--http", taken});
    FAIL("a second broker started on the HTTP port of the first");
  } catch (const std::runtime_error& e) {
    CHECK_THAT(e.what(), Contains("HTTP endpoint " + taken));
    CHECK_THAT(e.what(), Contains("--http off"));
  }
  CHECK(http_get(taken, "/healthz").status == 200);  // the first is unaffected
}
