// The TAK gateway as a nation site runs it: enlace-tak-gateway processes (one per nation)
// against a real broker over CURVE, TAK clients over mutual TLS with certificates made in
// the test, and command posts on the bus through the SDK.
//
// Every authorization decision is shown both ways over a real connection: a certificate of
// the site's CA that maps to a unit gets in, one of another CA, one without a mapping, an
// expired or a revoked one does not; a message releasable to ECU reaches ECU's TAK client
// and not PER's; a COL-only message reaches COL's client and not ECU's gateway.
//
// "Did not arrive" is proven by a marker that the same client must receive after the
// forbidden message (the broker and the gateway keep one publisher's order), never by
// waiting out a clock. Every wait is on an event with a generous bound.
#include <catch2/catch.hpp>

#include "tak_coalition.hpp"

using namespace tak_test;

TEST_CASE("TAK gateway: a mutual-TLS client's own position reaches the bus as its unit",
          "[integration][gateways][tak]") {
  Coalition c;
  test::Inbox inbox;
  REQUIRE(c.post("ecu-cp").subscribe("position.ECU.>", inbox.handler()));
  const auto site = c.start("ecu-tak", unit("ANDROID-ecu-001", "E21", "JAGUAR 21"));
  auto client = c.connect(site, c.ca->issue_client("ANDROID-ecu-001"));
  REQUIRE(client);
  REQUIRE(client->wait_for(kOffer));

  REQUIRE(client->send(own_position("ANDROID-ecu-001", "JAGUAR 21", -0.19, -74.78)));
  REQUIRE(inbox.wait_for_topic("position.ECU.tak.E21", 20s));
  const auto all = inbox.snapshot();
  const Delivery* delivery = find(all, "position.ECU.tak.E21");
  const auto* report = delivery->as<wire::PositionReport>();
  REQUIRE(report);
  CHECK(report->unit_id()->str() == "E21");
  CHECK(report->callsign()->str() == "JAGUAR 21");
  CHECK(report->position()->point()->lat_deg() == Approx(-0.19));
  CHECK(report->position()->point()->lon_deg() == Approx(-74.78));
  REQUIRE(report->motion());
  CHECK(report->motion()->speed_mps() == Approx(1.4));
  CHECK(delivery->origin_system() == "ecu-tak");
  CHECK(delivery->origin_nation() == "ECU");
  CHECK(site.wait_counter({"events_in", "position"}, 1));
  CHECK(site.wait_counter({"clients", "tls", "xml"}, 1));
}

TEST_CASE("TAK gateway: a bus message reaches the TLS client as CoT naming its origin",
          "[integration][gateways][tak]") {
  Coalition c;
  const auto site = c.start("ecu-tak", unit("ANDROID-ecu-001", "E21", "JAGUAR 21"));
  auto client = c.connect(site, c.ca->issue_client("ANDROID-ecu-001"));
  REQUIRE(client);
  REQUIRE(client->wait_for(kOffer));
  REQUIRE(test::publish_text(c.post("col-cp"), "text.COL.ops", "cruce en el puente norte", {"ECU"})
              .ok());
  REQUIRE(client->wait_for("cruce en el puente norte"));
  const std::string& xml = client->received();
  CHECK_THAT(xml, Catch::Contains("type=\"b-t-f\""));
  CHECK_THAT(xml, Catch::Contains("REL TO ECU"));
  CHECK_THAT(xml, Catch::Contains("origin=\"COL\""));
  CHECK_THAT(xml, Catch::Contains("system=\"col-cp\""));
}

TEST_CASE("TAK gateway: pings are answered and TAK protocol 1 is negotiated, TLS and TCP",
          "[integration][gateways][tak]") {
  // Over TLS the client's own SA is its certificate's unit; over plain TCP, its CoT uid.
  const bool tls = GENERATE(true, false);
  INFO((tls ? "over TLS" : "over plain TCP"));
  Coalition c;
  test::Inbox inbox;
  REQUIRE(c.post("ecu-cp").subscribe("position.ECU.>", inbox.handler()));
  const auto site = c.start_with("ecu-tak", tls ? c.tls_listener() : kTcpListener,
                                 unit("ANDROID-ecu-001", "E21", "JAGUAR 21"));
  auto client = tls ? c.connect(site, c.ca->issue_client("ANDROID-ecu-001"))
                    : TakClient::over_tcp(site.tcp_port);
  REQUIRE(client);
  negotiate_protocol_1(c, *client, inbox,
                       tls ? "position.ECU.tak.E21" : "position.ECU.tak.ANDROID-ecu-001");
  CHECK(site.wait_counter({"clients", tls ? "tls" : "tcp", "protobuf"}, 1));
}

TEST_CASE("TAK gateway: only certificates of the site's CA that map to a unit get in",
          "[integration][gateways][tak]") {
  Coalition c;
  TestCa rogue(c.broker->directory() / "rogue-ca", "Rogue CA");
  const auto site = c.start("ecu-tak", unit("ANDROID-ecu-001", "E21", "JAGUAR 21") +
                                           unit("ANDROID-ecu-666", "E66", "INTRUSO"));

  SECTION("allowed: the site's CA, a mapped CN") {
    auto client = c.connect(site, c.ca->issue_client("ANDROID-ecu-001"));
    REQUIRE(client);
    CHECK(client->wait_for(kOffer));
  }
  SECTION("denied: a mapped CN, but a certificate of an unknown CA") {
    // The CN is one the gateway maps: only the issuer is wrong.
    auto client = c.connect(site, rogue.issue_client("ANDROID-ecu-666"));
    if (client) {  // TLS 1.3: the client learns of the refusal on its first read
      CHECK(client->wait_closed());
      CHECK_THAT(client->received(), !Catch::Contains(kOffer));
    }
    CHECK(site.wait_counter({"refusals", "certificate_refused"}, 1));
    CHECK_THAT(site.process->log(), Catch::Contains("certificate_refused"));
  }
  SECTION("denied: no client certificate at all") {
    auto client = c.connect(site, Credentials{});
    if (client) {
      CHECK(client->wait_closed());
      CHECK_THAT(client->received(), !Catch::Contains(kOffer));
    }
    CHECK(site.wait_counter({"refusals", "certificate_refused"}, 1));
  }
  SECTION("denied: the site's CA, but a CN no [[units]] entry maps") {
    auto client = c.connect(site, c.ca->issue_client("ANDROID-ecu-999"));
    if (client) {
      CHECK(client->wait_closed());
      CHECK_THAT(client->received(), !Catch::Contains(kOffer));
    }
    CHECK(site.wait_counter({"refusals", "unmapped_certificate"}, 1));
    CHECK_THAT(site.process->log(),
               Catch::Contains("unmapped_certificate") && Catch::Contains("ANDROID-ecu-999"));
  }
  SECTION("denied: the site's CA and a mapped CN, but expired") {
    auto client = c.connect(site, c.ca->issue_expired_client("ANDROID-ecu-666"));
    if (client) {
      CHECK(client->wait_closed());
      CHECK_THAT(client->received(), !Catch::Contains(kOffer));
    }
    CHECK(site.wait_counter({"refusals", "certificate_refused"}, 1));
    CHECK_THAT(site.process->log(), Catch::Contains("expired"));
  }
}

TEST_CASE("TAK gateway: a revoked certificate is refused, one the CRL does not list gets in",
          "[integration][gateways][tak]") {
  Coalition c;
  const auto good = c.ca->issue_client("ANDROID-ecu-001");
  const auto lost = c.ca->issue_client("ANDROID-ecu-002");
  const auto crl = c.ca->revoke(lost);
  const auto site = c.start(
      "ecu-tak",
      unit("ANDROID-ecu-001", "E21", "JAGUAR 21") + unit("ANDROID-ecu-002", "E22", "JAGUAR 22"),
      fmt::format("crl = \"{}\"", crl.string()));
  auto allowed = c.connect(site, good);
  REQUIRE(allowed);
  CHECK(allowed->wait_for(kOffer));
  auto denied = c.connect(site, lost);
  if (denied) {
    CHECK(denied->wait_closed());
    CHECK_THAT(denied->received(), !Catch::Contains(kOffer));
  }
  CHECK(site.wait_counter({"refusals", "certificate_refused"}, 1));
  CHECK_THAT(site.process->log(), Catch::Contains("revoked"));
}

TEST_CASE("TAK gateway: each nation's clients see what the labels release to their nation",
          "[integration][gateways][tak]") {
  Coalition c;
  const auto col = c.start("col-tak", unit("ANDROID-col-001", "C12", "CONDOR 12"));
  const auto ecu = c.start("ecu-tak", unit("ANDROID-ecu-001", "E21", "JAGUAR 21"));
  const auto per = c.start("per-tak", unit("ANDROID-per-001", "P31", "PUMA 31"));
  auto col_client = c.connect(col, c.ca->issue_client("ANDROID-col-001", "CO"));
  auto ecu_client = c.connect(ecu, c.ca->issue_client("ANDROID-ecu-001", "EC"));
  auto per_client = c.connect(per, c.ca->issue_client("ANDROID-per-001", "PE"));
  REQUIRE(col_client);
  REQUIRE(ecu_client);
  REQUIRE(per_client);
  REQUIRE(col_client->wait_for(kOffer));
  REQUIRE(ecu_client->wait_for(kOffer));
  REQUIRE(per_client->wait_for(kOffer));
  auto& post = c.post("col-cp");

  SECTION("releasable to ECU: ECU's client gets it, PER's does not") {
    REQUIRE(test::publish_text(post, "text.COL.for-ecu", "solo para Ecuador", {"ECU"}).ok());
    REQUIRE(
        test::publish_text(post, "text.COL.marker", "para Ecuador y Peru", {"ECU", "PER"}).ok());
    REQUIRE(ecu_client->wait_for("para Ecuador y Peru"));
    CHECK_THAT(ecu_client->received(), Catch::Contains("solo para Ecuador"));
    REQUIRE(per_client->wait_for("para Ecuador y Peru"));
    CHECK_THAT(per_client->received(), !Catch::Contains("solo para Ecuador"));
  }
  SECTION("COL only: COL's client gets it, ECU's gateway does not") {
    REQUIRE(test::publish_text(post, "text.COL.internal", "solo Colombia", {"COL"}).ok());
    REQUIRE(test::publish_text(post, "text.COL.marker", "para todos", {"ECU", "PER"}).ok());
    REQUIRE(col_client->wait_for("solo Colombia"));
    REQUIRE(ecu_client->wait_for("para todos"));
    CHECK_THAT(ecu_client->received(), !Catch::Contains("solo Colombia"));
    // Not withheld from ECU's clients by the gateway: never delivered to it.
    CHECK(ecu.wait_counter({"events_out", "text"}, 1));
    CHECK(counter(ecu.metrics(), {"events_out", "text"}) == 1u);
  }
}

TEST_CASE("TAK gateway: a client's event reaches the site's other clients, not itself",
          "[integration][gateways][tak]") {
  Coalition c;
  const auto site = c.start("ecu-tak", unit("ANDROID-ecu-001", "E21", "JAGUAR 21") +
                                           unit("ANDROID-ecu-002", "E22", "JAGUAR 22"));
  auto sender = c.connect(site, c.ca->issue_client("ANDROID-ecu-001"));
  auto other = c.connect(site, c.ca->issue_client("ANDROID-ecu-002"));
  REQUIRE(sender);
  REQUIRE(other);
  REQUIRE(sender->wait_for(kOffer));
  REQUIRE(other->wait_for(kOffer));
  const std::size_t sent_at = sender->received().size();
  REQUIRE(sender->send(hostile_vessel("ANDROID-ecu-001.lancha-1")));
  REQUIRE(other->wait_for("uid=\"ANDROID-ecu-001.lancha-1\""));
  CHECK_THAT(other->received(), Catch::Contains("type=\"a-h-S-X\""));
  // The fan-out that reached `other` had passed `sender` by; a ping's answer, queued
  // behind anything the fan-out queued for it, is the marker.
  REQUIRE(sender->send(ping("ANDROID-ecu-001")));
  REQUIRE(sender->wait_for("t-x-c-t-r", sent_at));
  CHECK(sender->received().find("ANDROID-ecu-001.lancha-1", sent_at) == std::string::npos);
}

TEST_CASE("TAK gateway: the broker's policy decides what a gateway may publish",
          "[integration][gateways][tak]") {
  // ecu-pos may publish positions only: the client's hostile track is refused by the
  // broker and counted; its own position, sent after it, arrives.
  Coalition c;
  test::Inbox inbox;
  REQUIRE(c.post("ecu-cp").subscribe("position.ECU.>", inbox.handler()));
  REQUIRE(c.post("ecu-cp").subscribe("track.ECU.>", inbox.handler()));
  const auto site = c.start("ecu-pos", unit("ANDROID-ecu-001", "E21", "JAGUAR 21"), "",
                            "subscribe = [\"position.>\", \"text.>\"]");
  auto client = c.connect(site, c.ca->issue_client("ANDROID-ecu-001"));
  REQUIRE(client);
  REQUIRE(client->wait_for(kOffer));
  REQUIRE(client->send(hostile_vessel("ANDROID-ecu-001.lancha-1") +
                       own_position("ANDROID-ecu-001", "JAGUAR 21", -0.19, -74.78)));
  REQUIRE(inbox.wait_for_topic("position.ECU.tak.E21", 20s));
  CHECK_FALSE(inbox.has_topic("track.ECU.tak.ANDROID-ecu-001_lancha-1"));
  CHECK(inbox.size() == 1);
  CHECK(site.wait_counter({"refusals", "publish_refused"}, 1));
}

namespace {

// Where `program` is on PATH; empty when it is not.
std::string on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::stringstream folders(path ? path : "");
  std::string folder;
  while (std::getline(folders, folder, ':')) {
    const auto candidate = std::filesystem::path(folder) / program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return {};
}

// Runs `argv` with its output in `out` and `err`; its exit status, or -1 when it was still
// running after `timeout` (it is then killed).
int run_program(const std::vector<std::string>& argv, const std::filesystem::path& out,
                const std::filesystem::path& err, std::chrono::milliseconds timeout) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int spawned = ::posix_spawn(&pid, args[0], &actions, nullptr, args.data(), ::environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) return -1;
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  bool exited = true;
  if (pidfd >= 0) {
    pollfd p{pidfd, POLLIN, 0};
    exited = ::poll(&p, 1, static_cast<int>(timeout.count())) == 1;
    ::close(pidfd);
  }
  if (!exited) ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return exited && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Runs tests/gateways/tak/thirdparty/client.mjs against `site` as NODE-ecu-001: the
// picture text must reach it at once, its SA must reach the bus, and a text published
// after that must reach it too.
void third_party_client(bool protobuf) {
  const std::string node = on_path("node");
  if (node.empty()) {
    WARN("node is not installed: the third-party TAK client (node-tak, node-cot) is skipped");
    return;
  }
  const std::filesystem::path folder = ENLACE_TAK_THIRDPARTY_DIR;
  INFO("npm packages: scripts/setup.sh installs them in " << folder.string());
  REQUIRE(std::filesystem::exists(folder / "node_modules" / "@tak-ps" / "node-tak"));
  REQUIRE(std::filesystem::exists(folder / "node_modules" / "@tak-ps" / "node-cot"));

  Coalition c;
  test::Inbox inbox;
  REQUIRE(c.post("ecu-cp").subscribe("position.ECU.>", inbox.handler()));
  const auto site = c.start("ecu-tak", unit("NODE-ecu-001", "E31", "NODO 31"));
  // In the gateway's picture before the client connects.
  REQUIRE(test::publish_text(c.post("ecu-cp"), "text.ECU.picture", "puesto de control km 12").ok());
  REQUIRE(site.wait_counter({"events_out", "text"}, 1));

  const auto credentials = c.ca->issue_client("NODE-ecu-001");
  const auto out = site.process->directory() / "node.out";
  const auto err = site.process->directory() / "node.err";
  std::vector<std::string> argv = {node,           (folder / "client.mjs").string(),
                                   "--port",       std::to_string(site.tls_port),
                                   "--cert",       credentials.certificate.string(),
                                   "--key",        credentials.key.string(),
                                   "--uid",        "NODE-ecu-001",
                                   "--callsign",   "NODO 31",
                                   "--lat",        "-0.35",
                                   "--lon",        "-75.5",
                                   "--expect",     "puesto de control km 12",
                                   "--expect",     "segundo mensaje",
                                   "--timeout-ms", "90000"};
  if (protobuf) argv.push_back("--protobuf");
  int status = -2;
  std::thread client([&] { status = run_program(argv, out, err, 120s); });
  const bool arrived = inbox.wait_for_topic("position.ECU.tak.E31", 90s);
  if (arrived) {
    CHECK(test::publish_text(c.post("ecu-cp"), "text.ECU.later", "segundo mensaje").ok());
  }
  client.join();
  INFO("node stdout:\n"
       << read_text(out) << "\nnode stderr:\n"
       << read_text(err) << "\ngateway log:\n"
       << site.process->log());
  REQUIRE(arrived);
  CHECK(status == 0);
  const auto* report = find(inbox.snapshot(), "position.ECU.tak.E31")->as<wire::PositionReport>();
  REQUIRE(report);
  CHECK(report->unit_id()->str() == "E31");
  CHECK(report->callsign()->str() == "NODO 31");
  CHECK(report->position()->point()->lat_deg() == Approx(-0.35));
  CHECK(report->position()->point()->lon_deg() == Approx(-75.5));
  CHECK_THAT(read_text(out), Catch::Contains("\"type\":\"b-t-f\""));
  if (protobuf) CHECK_THAT(site.process->log(), Catch::Contains("TAK protocol version 1"));
}

}  // namespace

TEST_CASE("TAK gateway: node-tak, a third-party TAK client, over TLS in CoT XML",
          "[integration][gateways][tak][thirdparty]") {
  third_party_client(false);
}

TEST_CASE("TAK gateway: node-cot's TAK protocol 1 frames over TLS",
          "[integration][gateways][tak][thirdparty]") {
  third_party_client(true);
}

// ---- handshake bounds --------------------------------------------------------------------

namespace {

// The first bytes of a TLS record carrying a ClientHello of 508 bytes, and no more of it:
// a handshake the gateway must wait for and that never completes.
const std::string kPartialClientHello("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\x5a\x5a", 13);

}  // namespace

TEST_CASE("TAK gateway: a TLS handshake that does not complete is closed after its bound",
          "[integration][gateways][tak]") {
  Coalition c;
  const auto site = c.start(
      "ecu-tak",
      unit("ANDROID-ecu-001", "E21", "JAGUAR 21") + unit("ANDROID-ecu-002", "E22", "JAGUAR 22"),
      "handshake_timeout_ms = 2000");
  // `early` completes its handshake before the stalled ones start: its own bound passes
  // before theirs, so its answer after they are closed shows that a completed handshake
  // is not ended by the bound.
  auto early = c.connect(site, c.ca->issue_client("ANDROID-ecu-001"));
  REQUIRE(early);
  REQUIRE(early->wait_for(kOffer));
  const auto late_credentials = c.ca->issue_client("ANDROID-ecu-002");

  const int silent = gt::connect_tcp(site.tls_port);  // connects and sends nothing
  const int partial = gt::connect_tcp(site.tls_port);
  REQUIRE(silent >= 0);
  REQUIRE(partial >= 0);
  gt::write_all(partial, kPartialClientHello);
  // A proper client connecting while they stall is served.
  auto late = c.connect(site, late_credentials);
  REQUIRE(late);
  CHECK(late->wait_for(kOffer));

  CHECK(gt::wait_peer_closed(silent, 20s));
  CHECK(gt::wait_peer_closed(partial, 20s));
  ::close(silent);
  ::close(partial);
  REQUIRE(site.wait_counter({"refusals", "handshake_timeout"}, 2));
  CHECK(counter(site.metrics(), {"refusals", "handshake_timeout"}) == 2u);
  CHECK(counter(site.metrics(), {"refusals", "certificate_refused"}) == 0u);
  CHECK_THAT(site.process->log(), Catch::Contains("handshake_timeout"));

  const std::size_t from = early->received().size();
  REQUIRE(early->send(ping("ANDROID-ecu-001")));
  CHECK(early->wait_for("t-x-c-t-r", from));
  REQUIRE(late->send(ping("ANDROID-ecu-002")));
  CHECK(late->wait_for("t-x-c-t-r"));
}

TEST_CASE("TAK gateway: connections beyond max_handshakes are closed at once",
          "[integration][gateways][tak]") {
  Coalition c;
  const auto site =
      c.start("ecu-tak", unit("ANDROID-ecu-001", "E21", "JAGUAR 21"), "max_handshakes = 1");
  const auto credentials = c.ca->issue_client("ANDROID-ecu-001");
  const int stalled = gt::connect_tcp(site.tls_port);
  REQUIRE(stalled >= 0);
  gt::write_all(stalled, kPartialClientHello);
  REQUIRE(site.wait_counter({"handshaking"}, 1));

  const int over = gt::connect_tcp(site.tls_port);
  REQUIRE(over >= 0);
  CHECK(gt::wait_peer_closed(over, 20s));
  ::close(over);
  CHECK(site.wait_counter({"refusals", "too_many_handshakes"}, 1));
  CHECK_THAT(site.process->log(), Catch::Contains("too_many_handshakes"));

  // The stalled client goes away: its place is free, and a proper client gets in. Its
  // going away is not a certificate refusal.
  ::close(stalled);
  REQUIRE(test::eventually([&] { return counter(site.metrics(), {"handshaking"}) == 0u; }, 20s));
  auto client = c.connect(site, credentials);
  REQUIRE(client);
  CHECK(client->wait_for(kOffer));
  CHECK(counter(site.metrics(), {"refusals", "certificate_refused"}) == 0u);
}

// ---- plain TCP (8087) and UDP SA -------------------------------------------------------
