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

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

#include "broker_process.hpp"
#include "gateway_process.hpp"
#include "tak_tls.hpp"

namespace {

using namespace std::chrono_literals;
using namespace enlace;
using enlace::gateway::test::ConfigLayout;
using enlace::gateway::test::Credentials;
using enlace::gateway::test::GatewayProcess;
using enlace::gateway::test::TakClient;
using enlace::gateway::test::TestCa;
namespace gt = enlace::gateway::test;

// What a nation's TAK gateway may do: publish what its clients report for its own nation,
// and subscribe to the picture (the policy and the labels decide what of it it receives).
constexpr const char* kTakRole = R"(
[roles.tak_gateway]
publish.allow = ["position.{nation}.>", "track.{nation}.>", "text.{nation}.>",
                 "alert.{nation}.>", "spot.{nation}.>"]
subscribe.allow = ["position.>", "track.>", "text.>", "alert.>", "spot.>", "tasking.>"]

[roles.position_gateway]
publish.allow = ["position.{nation}.>"]
subscribe.allow = ["position.>", "text.>"]
)";

// A CoT time `offset` from now, as TAK clients write it.
std::string cot_time(std::chrono::seconds offset = 0s) {
  const auto at =
      std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now() + offset);
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", at);
}

// An ATAK client's own position report (a friendly ground unit with its <takv>).
std::string own_position(const std::string& uid, const std::string& callsign, double lat,
                         double lon) {
  return fmt::format(
      R"(<?xml version="1.0" encoding="UTF-8" standalone="yes"?>)"
      R"(<event version="2.0" uid="{0}" type="a-f-G-U-C" time="{1}" start="{1}" stale="{2}" how="m-g">)"
      R"(<point lat="{3}" lon="{4}" hae="112.5" ce="9.9" le="9999999.0"/>)"
      R"(<detail><contact endpoint="*:-1:stcp" callsign="{5}"/><__group name="Cyan" role="Team Member"/>)"
      R"(<takv device="SAMSUNG SM-G781B" platform="ATAK-CIV" os="33" version="4.10.0"/>)"
      R"(<track course="135.0" speed="1.4"/></detail></event>)",
      uid, cot_time(), cot_time(300s), lat, lon, callsign);
}

// A hostile surface vessel a client marks on its map (a Track on the bus).
std::string hostile_vessel(const std::string& uid) {
  return fmt::format(
      R"(<event version="2.0" uid="{0}" type="a-h-S-X" time="{1}" start="{1}" stale="{2}" how="h-e">)"
      R"(<point lat="-0.25" lon="-75.1" hae="0" ce="50" le="9999999"/>)"
      R"(<detail><contact callsign="LANCHA 1"/></detail></event>)",
      uid, cot_time(), cot_time(300s));
}

std::string ping(const std::string& uid) {
  return fmt::format(
      R"(<event version="2.0" uid="{0}-ping" type="t-x-c-t" time="{1}" start="{1}" stale="{2}" how="h-g-i-g-o">)"
      R"(<point lat="0" lon="0" hae="0" ce="9999999" le="9999999"/><detail/></event>)",
      uid, cot_time(), cot_time(10s));
}

std::string protocol_request(const std::string& uid) {
  return fmt::format(
      R"(<event version="2.0" uid="{0}" type="t-x-takp-q" time="{1}" start="{1}" stale="{2}" how="m-g">)"
      R"(<point lat="0" lon="0" hae="0" ce="9999999" le="9999999"/>)"
      R"(<detail><TakControl><TakRequest version="1"/></TakControl></detail></event>)",
      uid, cot_time(), cot_time(60s));
}

// ---- a TakMessage written field by field (protobuf wire format), independent of the
// gateway's generated code ----------------------------------------------------------

void varint(std::string& out, std::uint64_t value) {
  do {
    auto byte = static_cast<unsigned char>(value & 0x7f);
    value >>= 7;
    if (value != 0) byte |= 0x80;
    out.push_back(static_cast<char>(byte));
  } while (value != 0);
}
void field_varint(std::string& out, int number, std::uint64_t value) {
  varint(out, static_cast<std::uint64_t>(number) << 3);
  varint(out, value);
}
void field_bytes(std::string& out, int number, std::string_view bytes) {
  varint(out, (static_cast<std::uint64_t>(number) << 3) | 2);
  varint(out, bytes.size());
  out.append(bytes);
}
void field_double(std::string& out, int number, double value) {
  varint(out, (static_cast<std::uint64_t>(number) << 3) | 1);
  std::uint64_t bits = 0;
  std::memcpy(&bits, &value, sizeof bits);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
}

// TakMessage { cotEvent = 2 { type, uid, times, how, point, detail { contact, takv } } }
std::string own_position_proto(const std::string& uid, const std::string& callsign, double lat,
                               double lon) {
  const auto now =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  std::string contact, takv, detail, event, message;
  field_bytes(contact, 2, callsign);
  field_bytes(takv, 2, "ATAK-CIV");
  field_bytes(takv, 4, "4.10.0");
  field_bytes(detail, 2, contact);
  field_bytes(detail, 6, takv);
  field_bytes(event, 1, "a-f-G-U-C");
  field_bytes(event, 5, uid);
  field_varint(event, 6, now);
  field_varint(event, 7, now);
  field_varint(event, 8, now + 300'000);
  field_bytes(event, 9, "m-g");
  field_double(event, 10, lat);
  field_double(event, 11, lon);
  field_double(event, 12, 112.5);
  field_double(event, 13, 9.9);
  field_double(event, 14, 9999999.0);
  field_bytes(event, 15, detail);
  field_bytes(message, 2, event);
  return message;
}

// A number in the gateway's metrics JSON, found by its path of keys ("refusals",
// "certificate_refused"); nullopt before the first write or for a path it does not hold.
std::optional<std::uint64_t> counter(const std::string& json,
                                     std::initializer_list<std::string_view> path) {
  std::size_t at = 0;
  for (const auto key : path) {
    const std::string quoted = fmt::format("\"{}\":", key);
    at = json.find(quoted, at);
    if (at == std::string::npos) return std::nullopt;
    at += quoted.size();
  }
  if (at >= json.size() || json[at] < '0' || json[at] > '9') return std::nullopt;
  return std::strtoull(json.c_str() + at, nullptr, 10);
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// One nation's TAK site: its gateway process, with the listeners it was given on ports it
// picked (0 for a listener it does not have).
struct Site {
  std::unique_ptr<GatewayProcess> process;
  std::uint16_t tcp_port = 0;
  std::uint16_t tls_port = 0;
  std::uint16_t udp_port = 0;

  std::string metrics() const { return read_text(process->directory() / "metrics.json"); }
  // Waits until the counter at `path` is at least `value`.
  bool wait_counter(std::initializer_list<std::string_view> path, std::uint64_t value) const {
    return test::eventually(
        [&] {
          const auto n = counter(metrics(), path);
          return n && *n >= value;
        },
        20s);
  }
};

// A coalition with a TAK gateway role, a broker, command posts, and a CA that signs the
// gateways' server certificates and the TAK clients' certificates.
struct Coalition {
  test::TestCoalition coalition;
  std::optional<test::BrokerProcess> broker;
  std::optional<TestCa> ca;
  Credentials server;
  std::map<std::string, std::unique_ptr<Client>> posts;

  Coalition() {
    coalition.extra = kTakRole;
    for (const char* nation : {"COL", "ECU", "PER"}) {
      coalition.add(tolower(nation) + "-tak", nation, "tak_gateway");
      coalition.add(tolower(nation) + "-cp", nation, "command_post");
    }
    coalition.add("ecu-pos", "ECU", "position_gateway");
    broker.emplace(coalition);
    ca.emplace(broker->directory() / "ca", "Enlace Test CA");
    server = ca->issue_server("tak-gateway");
  }

  static std::string tolower(std::string text) {
    for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
  }

  Client& post(const std::string& id) {
    auto& client = posts[id];
    if (!client) {
      client = std::make_unique<Client>(broker->options_for(coalition[id]));
      REQUIRE(client->wait_connected(10s));
    }
    return *client;
  }

  // The [tls] table of a listener on a free port, with the test CA as the clients' CA and
  // `extra` keys appended to it.
  std::string tls_listener(const std::string& extra = "") const {
    return fmt::format(R"(
[tls]
listen = "127.0.0.1:0"
certificate = "{0}"
private_key = "{1}"
ca = "{2}"
{3}
)",
                       server.certificate.string(), server.key.string(), ca->certificate().string(),
                       extra);
  }

  // Starts `system`'s gateway with `listeners` ([tcp], [tls], [udp] tables), `units` as its
  // [[units]] tables and `gateway` appended to its [gateway] table.
  Site start_with(const std::string& system, const std::string& listeners,
                  const std::string& units = "", const std::string& gateway = "") {
    Site site;
    site.process =
        std::make_unique<GatewayProcess>(ENLACE_TAK_GATEWAY_PATH, *broker, coalition[system],
                                         fmt::format(R"(
[gateway]
uid = "{0}"
metrics_file = "metrics.json"
{1}
{2}
{3}
)",
                                                     system, gateway, units, listeners),
                                         ConfigLayout::tak);
    REQUIRE(site.process->wait_ready(60s));
    const std::string ready = site.process->ready();
    const auto tcp = counter(ready, {"tcp"});
    const auto tls = counter(ready, {"tls"});
    const auto udp = counter(ready, {"udp"});
    REQUIRE((tcp && tls && udp));
    site.tcp_port = static_cast<std::uint16_t>(*tcp);
    site.tls_port = static_cast<std::uint16_t>(*tls);
    site.udp_port = static_cast<std::uint16_t>(*udp);
    return site;
  }

  // Starts `system`'s gateway with a TLS listener (`extra` appended to its [tls] table).
  Site start(const std::string& system, const std::string& units, const std::string& extra = "",
             const std::string& gateway = "") {
    return start_with(system, tls_listener(extra), units, gateway);
  }

  std::unique_ptr<TakClient> connect(const Site& site, const Credentials& client) {
    return TakClient::over_tls(site.tls_port, ca->certificate(), client);
  }
};

// A [tcp] listener (8087-style, no authentication) on a free port.
constexpr const char* kTcpListener = "\n[tcp]\nlisten = \"127.0.0.1:0\"\n";

std::string unit(const std::string& cn, const std::string& id, const std::string& callsign) {
  return fmt::format("[[units]]\ncertificate_cn = \"{}\"\nunit = \"{}\"\ncallsign = \"{}\"\n", cn,
                     id, callsign);
}

// A client is in once the gateway has sent it its protocol offer (the first thing it sends
// an accepted client).
constexpr const char* kOffer = "t-x-takp-v";

const Delivery* find(const std::vector<Delivery>& all, const std::string& topic) {
  for (const Delivery& d : all) {
    if (d.topic() == topic) return &d;
  }
  return nullptr;
}

// Waits for the PositionReport on `topic` (the test fails without one). It points into its
// delivery's buffer, which the inbox keeps alive.
const wire::PositionReport* report_on(test::Inbox& inbox, const std::string& topic) {
  REQUIRE(inbox.wait_for_topic(topic, 20s));
  const auto* report = find(inbox.snapshot(), topic)->as<wire::PositionReport>();
  REQUIRE(report);
  return report;
}

// A streaming client's ping is answered; it negotiates TAK protocol 1; a TakMessage it
// sends reaches the bus on `topic`, and a bus message reaches it as stream frames only.
void negotiate_protocol_1(Coalition& c, TakClient& client, test::Inbox& inbox,
                          const std::string& topic) {
  REQUIRE(client.wait_for("<TakProtocolSupport version=\"1\""));

  REQUIRE(client.send(ping("ANDROID-ecu-001")));
  REQUIRE(client.wait_for("t-x-c-t-r"));

  REQUIRE(client.send(protocol_request("ANDROID-ecu-001")));
  REQUIRE(client.wait_for("t-x-takp-r"));
  CHECK_THAT(client.received(), Catch::Contains("<TakResponse status=\"true\""));
  // Everything after the response's </event> is TAK v1, both ways.
  const std::size_t binary_from =
      client.received().find("</event>", client.received().find("t-x-takp-r")) + 8;
  REQUIRE(client.send(
      gt::stream_frame(own_position_proto("ANDROID-ecu-001", "JAGUAR 21", -0.21, -74.9))));
  const auto* report = report_on(inbox, topic);
  CHECK(report->position()->point()->lat_deg() == Approx(-0.21));
  CHECK(report->callsign()->str() == "JAGUAR 21");

  REQUIRE(test::publish_text(c.post("ecu-cp"), "text.ECU.ops", "relevo a las 0600").ok());
  REQUIRE(client.read_until([&](const std::string& all) {
    for (const auto& frame : gt::stream_frames(all, binary_from)) {
      if (frame.find("relevo a las 0600") != std::string::npos) return true;
    }
    return false;
  }));
  // No XML after the switch: every byte from there on is a whole frame.
  std::size_t framed = 0;
  for (const auto& frame : gt::stream_frames(client.received(), binary_from)) {
    framed += gt::stream_frame(frame).size();
  }
  CHECK(binary_from + framed == client.received().size());
}

}  // namespace

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

namespace {

// A [udp] table: SA in on a free port, the picture out to 127.0.0.1:`send_to`.
std::string udp_listener(std::uint16_t send_to, bool protobuf = false) {
  return fmt::format("\n[udp]\nlisten = \"127.0.0.1:0\"\nsend_to = [\"127.0.0.1:{}\"]\n{}", send_to,
                     protobuf ? "protobuf = true\n" : "");
}

// A TAK v1 mesh datagram: 0xbf, version 1, 0xbf, one TakMessage.
std::string mesh_datagram(const std::string& takmessage) {
  return std::string("\xbf\x01\xbf", 3) + takmessage;
}

}  // namespace

TEST_CASE("TAK gateway: a plain TCP client's SA reaches the bus under its CoT uid",
          "[integration][gateways][tak]") {
  // Nobody is authenticated on [tcp]: the [[units]] mapping of a certificate CN is not
  // applied to a TCP client, even one whose uid is that CN.
  Coalition c;
  test::Inbox inbox;
  REQUIRE(c.post("ecu-cp").subscribe("position.ECU.>", inbox.handler()));
  const auto site =
      c.start_with("ecu-tak", kTcpListener, unit("ANDROID-ecu-001", "E21", "JAGUAR 21"));
  auto client = TakClient::over_tcp(site.tcp_port);
  REQUIRE(client);
  REQUIRE(client->wait_for(kOffer));
  REQUIRE(client->send(own_position("ANDROID-ecu-001", "TIGRE 7", -0.3, -75.2)));
  const auto* report = report_on(inbox, "position.ECU.tak.ANDROID-ecu-001");
  CHECK(report->unit_id()->str() == "ANDROID-ecu-001");
  CHECK(report->callsign()->str() == "TIGRE 7");
  CHECK(report->position()->point()->lat_deg() == Approx(-0.3));
  CHECK_FALSE(inbox.has_topic("position.ECU.tak.E21"));
  CHECK(site.wait_counter({"clients", "tcp", "xml"}, 1));
  CHECK(site.wait_counter({"events_in", "position"}, 1));

  REQUIRE(test::publish_text(c.post("col-cp"), "text.COL.ops", "paso habilitado", {"ECU"}).ok());
  REQUIRE(client->wait_for("paso habilitado"));
  CHECK_THAT(client->received(), Catch::Contains("type=\"b-t-f\"") &&
                                     Catch::Contains("REL TO ECU") &&
                                     Catch::Contains("origin=\"COL\""));
}

TEST_CASE("TAK gateway: a TCP client's refused events are counted, its connection kept",
          "[integration][gateways][tak]") {
  Coalition c;
  test::Inbox inbox;
  REQUIRE(c.post("ecu-cp").subscribe("position.ECU.>", inbox.handler()));
  const auto site = c.start_with("ecu-tak", kTcpListener, "", "max_event_bytes = 1024");
  auto client = TakClient::over_tcp(site.tcp_port);
  REQUIRE(client);
  REQUIRE(client->wait_for(kOffer));

  SECTION("bad XML, then an event of an unknown type: both refused, the next SA arrives") {
    REQUIRE(client->send(R"(<event version="2.0" uid="x" type="a-f-G" <point/></event>)"));
    REQUIRE(client->send(fmt::format(
        R"(<event version="2.0" uid="q-1" type="z-z-z" time="{0}" start="{0}" stale="{1}" how="h-e">)"
        R"(<point lat="0" lon="0" hae="0" ce="1" le="1"/></event>)",
        cot_time(), cot_time(60s))));
    REQUIRE(client->send(own_position("ANDROID-tcp-7", "TIGRE 7", -0.3, -75.2)));
    report_on(inbox, "position.ECU.tak.ANDROID-tcp-7");
    CHECK(site.wait_counter({"refusals", "bad_xml"}, 1));
    CHECK(site.wait_counter({"refusals", "unknown_type"}, 1));
    CHECK(inbox.size() == 1);
  }
  SECTION("an oversize event closes that connection only") {
    auto other = TakClient::over_tcp(site.tcp_port);
    REQUIRE(other);
    REQUIRE(other->wait_for(kOffer));
    REQUIRE(client->send("<event version=\"2.0\" uid=\"big\" type=\"a-f-G\">" +
                         std::string(2048, ' ')));
    CHECK(client->wait_closed());
    CHECK(site.wait_counter({"refusals", "oversize"}, 1));
    REQUIRE(other->send(own_position("ANDROID-tcp-8", "TIGRE 8", -0.3, -75.2)));
    report_on(inbox, "position.ECU.tak.ANDROID-tcp-8");
  }
}

TEST_CASE("TAK gateway: UDP SA in, as XML and as TAK v1 mesh frames, reaches the bus",
          "[integration][gateways][tak]") {
  Coalition c;
  test::Inbox inbox;
  REQUIRE(c.post("ecu-cp").subscribe("position.ECU.>", inbox.handler()));
  gt::UdpReceiver out;
  const auto site =
      c.start_with("ecu-tak", udp_listener(out.port()), unit("ANDROID-ecu-001", "E21", "JAGUAR 21"),
                   "max_event_bytes = 1024");

  // Bad XML, then an oversize datagram: each refused and counted; the next ones arrive.
  gt::send_udp(site.udp_port, R"(<event version="2.0" uid="x" <point/></event>)");
  gt::send_udp(site.udp_port,
               own_position("ANDROID-udp-0", "ZORRO 0", -0.3, -75.2) + std::string(2048, ' '));
  gt::send_udp(site.udp_port, own_position("ANDROID-ecu-001", "ZORRO 1", -0.31, -75.21));
  gt::send_udp(site.udp_port,
               mesh_datagram(own_position_proto("ANDROID-udp-2", "ZORRO 2", -0.32, -75.22)));
  const auto* xml = report_on(inbox, "position.ECU.tak.ANDROID-ecu-001");
  CHECK(xml->unit_id()->str() == "ANDROID-ecu-001");  // no certificate, no unit mapping
  CHECK(xml->callsign()->str() == "ZORRO 1");
  const auto* mesh = report_on(inbox, "position.ECU.tak.ANDROID-udp-2");
  CHECK(mesh->callsign()->str() == "ZORRO 2");
  CHECK(mesh->position()->point()->lat_deg() == Approx(-0.32));
  CHECK_FALSE(inbox.has_topic("position.ECU.tak.ANDROID-udp-0"));
  CHECK(site.wait_counter({"refusals", "bad_xml"}, 1));
  CHECK(site.wait_counter({"refusals", "oversize"}, 1));
  CHECK(site.wait_counter({"events_in", "position"}, 2));
}

TEST_CASE("TAK gateway: the bus picture goes out as UDP SA datagrams to send_to",
          "[integration][gateways][tak]") {
  Coalition c;
  gt::UdpReceiver out;
  const bool protobuf = GENERATE(false, true);
  INFO("protobuf = " << protobuf);
  const auto site = c.start_with("ecu-tak", udp_listener(out.port(), protobuf));
  REQUIRE(test::publish_text(c.post("col-cp"), "text.COL.ops", "columna en marcha", {"ECU"}).ok());
  const auto datagram = out.receive_until(
      [](const std::string& d) { return d.find("columna en marcha") != std::string::npos; }, 20s);
  REQUIRE(datagram);
  if (protobuf) {
    CHECK(datagram->rfind(std::string("\xbf\x01\xbf", 3), 0) == 0);
  } else {
    CHECK(datagram->front() == '<');
    CHECK_THAT(*datagram, Catch::Contains("type=\"b-t-f\"") && Catch::Contains("REL TO ECU") &&
                              Catch::Contains("</event>"));
  }
  CHECK(site.wait_counter({"events_out", "text"}, 1));
}

namespace {

// A mesh device on the loopback interface: a member of `group`:port (the port the gateway
// listens on), sending its SA to the group from a socket of its own.
class MeshDevice {
 public:
  MeshDevice(const std::string& group, std::uint16_t port) {
    group_.sin_family = AF_INET;
    group_.sin_port = htons(port);
    ::inet_pton(AF_INET, group.c_str(), &group_.sin_addr);
    in_addr loopback{};
    loopback.s_addr = htonl(INADDR_LOOPBACK);
    member_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    const int yes = 1;
    ::setsockopt(member_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    const ip_mreq membership{group_.sin_addr, loopback};
    if (::bind(member_, reinterpret_cast<const sockaddr*>(&group_), sizeof(group_)) != 0 ||
        ::setsockopt(member_, IPPROTO_IP, IP_ADD_MEMBERSHIP, &membership, sizeof(membership)) != 0)
      throw std::runtime_error(
          fmt::format("cannot join {} on loopback: {}", group, std::strerror(errno)));
    sender_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ::setsockopt(sender_, IPPROTO_IP, IP_MULTICAST_IF, &loopback, sizeof(loopback));
  }
  ~MeshDevice() {
    ::close(member_);
    ::close(sender_);
  }
  MeshDevice(const MeshDevice&) = delete;
  MeshDevice& operator=(const MeshDevice&) = delete;

  void send(const std::string& datagram) const {
    ::sendto(sender_, datagram.data(), datagram.size(), 0,
             reinterpret_cast<const sockaddr*>(&group_), sizeof(group_));
  }
  // Datagrams the group carries, until one contains `text`, up to 20 s.
  bool receive_containing(const std::string& text) const {
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    std::string datagram(65536, '\0');
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{member_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      const auto n = ::recv(member_, datagram.data(), datagram.size(), 0);
      if (n > 0 && std::string_view(datagram.data(), static_cast<std::size_t>(n)).find(text) !=
                       std::string_view::npos)
        return true;
    }
    return false;
  }

 private:
  sockaddr_in group_{};
  int member_ = -1;
  int sender_ = -1;
};

// A UDP port free on loopback a moment ago: the group's port must be known before the
// gateway starts, since it listens on it and sends there.
std::uint16_t free_udp_port() {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(a);
  ::bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof(a));
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &length);
  ::close(fd);
  return ntohs(a.sin_port);
}

}  // namespace

TEST_CASE("TAK gateway: mesh SA over UDP multicast, in and out, without hearing itself",
          "[integration][gateways][tak]") {
  // The gateway joins 239.2.3.1 on the loopback interface, as a site joins it on its
  // radio network's; it listens on the group's address, so only group traffic reaches it.
  Coalition c;
  test::Inbox inbox;
  REQUIRE(c.post("ecu-cp").subscribe("position.ECU.>", inbox.handler()));
  const std::uint16_t port = free_udp_port();
  const MeshDevice device("239.2.3.1", port);
  const auto site = c.start_with(
      "ecu-tak", fmt::format("\n[udp]\nlisten = \"239.2.3.1:{0}\"\ngroup = \"239.2.3.1\"\n"
                             "interface = \"127.0.0.1\"\nsend_to = [\"239.2.3.1:{0}\"]\n",
                             port));

  device.send(own_position("ANDROID-mesh-1", "CONDOR 1", -0.3, -75.2));
  CHECK(report_on(inbox, "position.ECU.tak.ANDROID-mesh-1")->callsign()->str() == "CONDOR 1");

  // The picture goes to the group: the device hears it, and so does the gateway's own
  // socket, which must not take it for a device's event (a loop refusal, or worse).
  REQUIRE(test::publish_text(c.post("col-cp"), "text.COL.ops", "vado asegurado", {"ECU"}).ok());
  CHECK(device.receive_containing("vado asegurado"));
  // Datagrams reach the gateway in the order sent: once this one is in, so is the echo.
  device.send(own_position("ANDROID-mesh-2", "CONDOR 2", -0.31, -75.21));
  report_on(inbox, "position.ECU.tak.ANDROID-mesh-2");
  REQUIRE(site.wait_counter({"events_in", "position"}, 2));
  CHECK(counter(site.metrics(), {"events_in", "text"}) == 0u);
  CHECK(counter(site.metrics(), {"refusals", "loop"}) == 0u);
}
