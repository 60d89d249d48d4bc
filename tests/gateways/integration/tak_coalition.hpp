// The TAK gateway's integration tests' shared fixtures: a coalition with a TAK gateway
// role, a broker and a test CA (Coalition), one nation's site (Site), the CoT and TAK v1
// events a client sends, and the waits on what reaches the bus. Used by
// test_tak_gateway.cpp (TLS, certificates, policy) and test_tak_transports.cpp (TCP, UDP,
// multicast).
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>
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

namespace tak_test {

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
inline constexpr const char* kTakRole = R"(
[roles.tak_gateway]
publish.allow = ["position.{nation}.>", "track.{nation}.>", "text.{nation}.>",
                 "alert.{nation}.>", "spot.{nation}.>"]
subscribe.allow = ["position.>", "track.>", "text.>", "alert.>", "spot.>", "tasking.>"]

[roles.position_gateway]
publish.allow = ["position.{nation}.>"]
subscribe.allow = ["position.>", "text.>"]
)";

// A CoT time `offset` from now, as TAK clients write it.
inline std::string cot_time(std::chrono::seconds offset = 0s) {
  const auto at =
      std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now() + offset);
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", at);
}

// An ATAK client's own position report (a friendly ground unit with its <takv>).
inline std::string own_position(const std::string& uid, const std::string& callsign, double lat,
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
inline std::string hostile_vessel(const std::string& uid) {
  return fmt::format(
      R"(<event version="2.0" uid="{0}" type="a-h-S-X" time="{1}" start="{1}" stale="{2}" how="h-e">)"
      R"(<point lat="-0.25" lon="-75.1" hae="0" ce="50" le="9999999"/>)"
      R"(<detail><contact callsign="LANCHA 1"/></detail></event>)",
      uid, cot_time(), cot_time(300s));
}

inline std::string ping(const std::string& uid) {
  return fmt::format(
      R"(<event version="2.0" uid="{0}-ping" type="t-x-c-t" time="{1}" start="{1}" stale="{2}" how="h-g-i-g-o">)"
      R"(<point lat="0" lon="0" hae="0" ce="9999999" le="9999999"/><detail/></event>)",
      uid, cot_time(), cot_time(10s));
}

inline std::string protocol_request(const std::string& uid) {
  return fmt::format(
      R"(<event version="2.0" uid="{0}" type="t-x-takp-q" time="{1}" start="{1}" stale="{2}" how="m-g">)"
      R"(<point lat="0" lon="0" hae="0" ce="9999999" le="9999999"/>)"
      R"(<detail><TakControl><TakRequest version="1"/></TakControl></detail></event>)",
      uid, cot_time(), cot_time(60s));
}

// ---- a TakMessage written field by field (protobuf wire format), independent of the
// gateway's generated code ----------------------------------------------------------

inline void varint(std::string& out, std::uint64_t value) {
  do {
    auto byte = static_cast<unsigned char>(value & 0x7f);
    value >>= 7;
    if (value != 0) byte |= 0x80;
    out.push_back(static_cast<char>(byte));
  } while (value != 0);
}
inline void field_varint(std::string& out, int number, std::uint64_t value) {
  varint(out, static_cast<std::uint64_t>(number) << 3);
  varint(out, value);
}
inline void field_bytes(std::string& out, int number, std::string_view bytes) {
  varint(out, (static_cast<std::uint64_t>(number) << 3) | 2);
  varint(out, bytes.size());
  out.append(bytes);
}
inline void field_double(std::string& out, int number, double value) {
  varint(out, (static_cast<std::uint64_t>(number) << 3) | 1);
  std::uint64_t bits = 0;
  std::memcpy(&bits, &value, sizeof bits);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
}

// TakMessage { cotEvent = 2 { type, uid, times, how, point, detail { contact, takv } } }
inline std::string own_position_proto(const std::string& uid, const std::string& callsign,
                                      double lat, double lon) {
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
inline std::optional<std::uint64_t> counter(const std::string& json,
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

inline std::string read_text(const std::filesystem::path& path) {
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
inline constexpr const char* kTcpListener = "\n[tcp]\nlisten = \"127.0.0.1:0\"\n";

inline std::string unit(const std::string& cn, const std::string& id, const std::string& callsign) {
  return fmt::format("[[units]]\ncertificate_cn = \"{}\"\nunit = \"{}\"\ncallsign = \"{}\"\n", cn,
                     id, callsign);
}

// A client is in once the gateway has sent it its protocol offer (the first thing it sends
// an accepted client).
inline constexpr const char* kOffer = "t-x-takp-v";

inline const Delivery* find(const std::vector<Delivery>& all, const std::string& topic) {
  for (const Delivery& d : all) {
    if (d.topic() == topic) return &d;
  }
  return nullptr;
}

// Waits for the PositionReport on `topic` (the test fails without one). It points into its
// delivery's buffer, which the inbox keeps alive.
inline const wire::PositionReport* report_on(test::Inbox& inbox, const std::string& topic) {
  REQUIRE(inbox.wait_for_topic(topic, 20s));
  const auto* report = find(inbox.snapshot(), topic)->as<wire::PositionReport>();
  REQUIRE(report);
  return report;
}

// A streaming client's ping is answered; it negotiates TAK protocol 1; a TakMessage it
// sends reaches the bus on `topic`, and a bus message reaches it as stream frames only.
inline void negotiate_protocol_1(Coalition& c, TakClient& client, test::Inbox& inbox,
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

}  // namespace tak_test
