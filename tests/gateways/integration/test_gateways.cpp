// The gateways as users run them: each gateway program against a real broker over CURVE,
// fed by UDP, TCP (server and client), a pseudo-terminal standing in for a serial device,
// a server speaking gpsd's protocol, and a capture file replayed with its own timing;
// what arrives is read by a command post subscribed through the SDK.
//
// Every wait is on an event (a delivery, a connection) with a generous bound. Sending is
// repeated until the event, since the gateway process may still be connecting to the broker:
// an early datagram is lost, as it would be from a real radio.
#include <catch2/catch.hpp>

#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cstring>
#include <fstream>
#include <thread>

#include "broker_process.hpp"
#include "gateway_process.hpp"

namespace {

using namespace std::chrono_literals;
using namespace enlace;
using enlace::gateway::test::GatewayProcess;
namespace gt = enlace::gateway::test;

// A role for the feed gateways: positions, tracks and alerts of their own nation.
constexpr const char* kFeedRole = R"(
[roles.feed_gateway]
publish.allow = ["position.{nation}.>", "track.{nation}.>", "alert.{nation}.>"]
subscribe.allow = ["tasking.{nation}.>"]
)";

constexpr const char* kGga =
    "$GPGGA,073000.00,0011.4000,S,07446.8000,W,1,09,0.9,182.5,M,-8.1,M,,*70\r\n";
constexpr const char* kRmc =
    "$GNRMC,073001.00,A,0030.6000,N,07630.0000,W,3.0,45.0,021226,,,A*67\r\n";
constexpr const char* kBadChecksum =
    "$GPGGA,073000.00,0011.4000,S,07446.8000,W,1,09,0.9,182.5,M,-8.1,M,,*71\r\n";
constexpr const char* kWatched = "!AIVDM,1,1,,A,1:p;e6P01@JbApQwo=P3Q2l:0000,0*1F\r\n";
constexpr const char* kVessel = "!AIVDM,1,1,,A,1:p;bbP01@Jb>u1wnn43Q2l:0000,0*60\r\n";

// `$` + body + `*hh` + CR LF, the checksum the XOR of the body.
std::string nmea_line(std::string_view body) {
  unsigned sum = 0;
  for (const char c : body) sum ^= static_cast<unsigned char>(c);
  return fmt::format("${}*{:02X}\r\n", body, sum);
}

// One line (without its end) read from `fd`, waiting at most `timeout` for each byte;
// what was read so far if the peer closes or the time runs out.
std::string read_line(int fd, std::chrono::milliseconds timeout) {
  std::string line;
  while (true) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return line;
    char c = 0;
    if (::read(fd, &c, 1) != 1 || c == '\n') return line;
    line.push_back(c);
  }
}

// Repeats `send` every 200 ms until `inbox` has `topic`, up to `timeout`.
bool send_until(test::Inbox& inbox, const std::string& topic, const std::function<void()>& send,
                std::chrono::milliseconds timeout = 30s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    send();
    if (inbox.wait_for_topic(topic, 200ms)) return true;
  }
  return false;
}

const Delivery* find(const std::vector<Delivery>& all, const std::string& topic) {
  for (const Delivery& d : all) {
    if (d.topic() == topic) return &d;
  }
  return nullptr;
}

struct Bus {
  test::TestCoalition coalition;
  std::optional<test::BrokerProcess> broker;
  std::optional<Client> command_post;
  test::Inbox inbox;

  explicit Bus(const std::string& gateway_role) {
    coalition.extra = kFeedRole;
    coalition.add("col-feed", "COL", gateway_role);
    coalition.add("col-cp", "COL", "command_post");
    broker.emplace(coalition);
    command_post.emplace(broker->options_for(coalition["col-cp"]));
    REQUIRE(command_post->wait_connected(10s));
    for (const char* pattern : {"position.COL.>", "track.COL.>", "alert.COL.>"}) {
      REQUIRE(command_post->subscribe(pattern, inbox.handler()));
    }
  }
};

}  // namespace

TEST_CASE("NMEA gateway: radio positions over UDP and TCP, AIS with a watch list",
          "[integration][gateways][nmea]") {
  Bus bus("feed_gateway");
  const auto udp = gt::free_port(true);
  const auto tcp = gt::free_port(false);
  GatewayProcess gateway(ENLACE_NMEA_GATEWAY_PATH, *bus.broker, bus.coalition["col-feed"],
                         fmt::format(R"(
[[sources]]
name = "radios"
kind = "udp"
listen = "127.0.0.1:{}"

[[sources]]
name = "coast"
kind = "tcp-server"
listen = "127.0.0.1:{}"
receiver = "rx7"

[radio]
min_interval_s = 0

[[radios]]
unit = "P21"
callsign = "PIRANA 21"
source = "radios"
address = "127.0.0.1"

[[radios]]
unit = "C12"
callsign = "CONDOR 12"
source = "coast"

[[ais.watch]]
mmsi = 730000666
identity = "suspect"
)",
                                     udp, tcp));

  SECTION("a radio's GGA over UDP arrives as its unit's PositionReport") {
    REQUIRE(send_until(bus.inbox, "position.COL.unit.P21",
                       [&] { gt::send_udp(udp, fmt::format("{}{}", kBadChecksum, kGga)); }));
    const auto all = bus.inbox.snapshot();
    const auto* report = find(all, "position.COL.unit.P21")->as<wire::PositionReport>();
    REQUIRE(report);
    CHECK(report->callsign()->str() == "PIRANA 21");
    CHECK(report->position()->point()->lat_deg() == Approx(-0.19));
    CHECK(report->position()->altitude_m() == Approx(174.4));
    CHECK(find(all, "position.COL.unit.P21")->origin_system() == "col-feed");
    // The counters at exit name the rejected sentence's reason on its source.
    gateway.stop();
    CHECK_THAT(gateway.out(),
               Catch::Contains("\"source\":\"radios\"") && Catch::Contains("\"checksum\":"));
  }

  SECTION("AIS over a TCP connection: a watch-listed vessel arrives as suspect") {
    REQUIRE(gateway.wait_ready(30s));
    const int fd = gt::connect_tcp(tcp);
    REQUIRE(fd >= 0);
    REQUIRE(send_until(bus.inbox, "track.COL.ais.rx7.730000666",
                       [&] { gt::write_all(fd, fmt::format("{}{}{}", kVessel, kWatched, kRmc)); }));
    REQUIRE(bus.inbox.wait_for_topic("track.COL.ais.rx7.730000042"));
    REQUIRE(bus.inbox.wait_for_topic("position.COL.unit.C12"));
    const auto all = bus.inbox.snapshot();
    const auto* watched = find(all, "track.COL.ais.rx7.730000666")->as<wire::Track>();
    const auto* other = find(all, "track.COL.ais.rx7.730000042")->as<wire::Track>();
    REQUIRE(watched);
    REQUIRE(other);
    CHECK(watched->identity() == wire::StandardIdentity::Suspect);
    CHECK(other->identity() == wire::StandardIdentity::Unknown);
    CHECK(watched->kind() == wire::ContactKind::Vessel);
    CHECK(watched->vessel()->mmsi() == 730000666u);
    ::close(fd);
  }
}

TEST_CASE("NMEA gateway: a serial radio on a pseudo-terminal", "[integration][gateways][nmea]") {
  Bus bus("feed_gateway");
  int master = -1, slave = -1;
  char name[128] = {};
  REQUIRE(::openpty(&master, &slave, name, nullptr, nullptr) == 0);
  termios raw{};
  ::tcgetattr(slave, &raw);
  ::cfmakeraw(&raw);
  ::tcsetattr(slave, TCSANOW, &raw);
  GatewayProcess gateway(ENLACE_NMEA_GATEWAY_PATH, *bus.broker, bus.coalition["col-feed"],
                         fmt::format(R"(
[[sources]]
name = "boat-radio"
kind = "serial"
device = "{}"
baud = 4800

[radio]
min_interval_s = 0

[[radios]]
unit = "P22"
callsign = "PIRANA 22"
source = "boat-radio"
)",
                                     name));
  REQUIRE(send_until(bus.inbox, "position.COL.unit.P22", [&] { gt::write_all(master, kRmc); }));
  const auto all = bus.inbox.snapshot();
  const auto* report = find(all, "position.COL.unit.P22")->as<wire::PositionReport>();
  REQUIRE(report);
  CHECK(report->position()->point()->lat_deg() == Approx(0.51));
  REQUIRE(report->motion());
  CHECK(report->motion()->speed_mps() == Approx(3.0 * 1852 / 3600));
  CHECK(report->observed_ns() == 1796196601000000000);  // 2026-12-02T07:30:01Z from the RMC
  gateway.stop();
  ::close(master);
  ::close(slave);
}

TEST_CASE("NMEA gateway: a radio network's TCP server, read as a TCP client",
          "[integration][gateways][nmea]") {
  Bus bus("feed_gateway");
  const auto port = gt::free_port(false);
  int fd = -1;
  // The radio network's server listens; the gateway connects to it.
  std::thread accepting([&] { fd = gt::accept_one(port, 30s); });
  GatewayProcess gateway(ENLACE_NMEA_GATEWAY_PATH, *bus.broker, bus.coalition["col-feed"],
                         fmt::format(R"(
[[sources]]
name = "radio-server"
kind = "tcp-client"
connect = "127.0.0.1:{0}"

[radio]
min_interval_s = 0

[[radios]]
unit = "P22"
callsign = "PIRANA 22"
source = "radio-server"
address = "127.0.0.1:{0}"
)",
                                     port));
  accepting.join();
  REQUIRE(fd >= 0);
  REQUIRE(send_until(bus.inbox, "position.COL.unit.P22", [&] { gt::write_all(fd, kRmc); }));
  const auto all = bus.inbox.snapshot();
  const Delivery* delivery = find(all, "position.COL.unit.P22");
  const auto* report = delivery->as<wire::PositionReport>();
  REQUIRE(report);
  CHECK(delivery->origin_system() == "col-feed");
  CHECK(report->callsign()->str() == "PIRANA 22");
  CHECK(report->position()->point()->lat_deg() == Approx(0.51));
  CHECK(report->position()->point()->lon_deg() == Approx(-76.5));
  CHECK(report->observed_ns() == 1796196601000000000);  // 2026-12-02T07:30:01Z from the RMC
  gateway.stop();
  ::close(fd);
}

TEST_CASE("NMEA gateway: gpsd's TPV reports, asked for with ?WATCH",
          "[integration][gateways][nmea]") {
  Bus bus("feed_gateway");
  const auto port = gt::free_port(false);
  int fd = -1;
  // A server speaking gpsd's protocol on its TCP port, as gpsd does on 2947.
  std::thread accepting([&] { fd = gt::accept_one(port, 30s); });
  GatewayProcess gateway(ENLACE_NMEA_GATEWAY_PATH, *bus.broker, bus.coalition["col-feed"],
                         fmt::format(R"(
[[sources]]
name = "gpsd"
kind = "gpsd"
connect = "127.0.0.1:{}"

[radio]
min_interval_s = 0

[[radios]]
unit = "J03"
callsign = "JAGUAR 3"
source = "gpsd"
station = "/dev/ttyACM0"
)",
                                     port));
  accepting.join();
  REQUIRE(fd >= 0);
  // gpsd sends nothing until the client asks for the JSON watch stream.
  const std::string request = read_line(fd, 30s);
  CHECK_THAT(request, Catch::StartsWith("?WATCH=") && Catch::Contains("\"enable\":true") &&
                          Catch::Contains("\"json\":true"));
  gt::write_all(fd,
                "{\"class\":\"VERSION\",\"release\":\"3.22\",\"rev\":\"3.22\","
                "\"proto_major\":3,\"proto_minor\":14}\n"
                "{\"class\":\"DEVICES\",\"devices\":[{\"class\":\"DEVICE\","
                "\"path\":\"/dev/ttyACM0\",\"driver\":\"u-blox\"}]}\n"
                "{\"class\":\"WATCH\",\"enable\":true,\"json\":true}\n");
  // A device no [[radios]] entry names, then the radio's own.
  const std::string tpv =
      "{\"class\":\"TPV\",\"device\":\"/dev/ttyUSB9\",\"mode\":3,"
      "\"time\":\"2026-12-02T07:30:00.000Z\",\"lat\":-4.2,\"lon\":-69.9}\n"
      "{\"class\":\"TPV\",\"device\":\"/dev/ttyACM0\",\"mode\":3,"
      "\"time\":\"2026-12-02T07:30:00.000Z\",\"lat\":0.51,\"lon\":-76.5,"
      "\"altHAE\":262.5,\"altMSL\":255.0,\"speed\":1.5,\"track\":90.0}\n";
  REQUIRE(send_until(bus.inbox, "position.COL.unit.J03", [&] { gt::write_all(fd, tpv); }));
  const auto all = bus.inbox.snapshot();
  const auto* report = find(all, "position.COL.unit.J03")->as<wire::PositionReport>();
  REQUIRE(report);
  CHECK(report->callsign()->str() == "JAGUAR 3");
  CHECK(report->position()->point()->lat_deg() == Approx(0.51));
  CHECK(report->position()->point()->lon_deg() == Approx(-76.5));
  CHECK(report->position()->altitude_m() == Approx(262.5));
  CHECK(report->position()->altitude_ref() == wire::AltitudeReference::Ellipsoid);
  REQUIRE(report->motion());
  CHECK(report->motion()->speed_mps() == Approx(1.5));
  CHECK(report->motion()->course_deg() == Approx(90.0));
  CHECK(report->observed_ns() == 1796196600000000000);  // 2026-12-02T07:30:00Z
  gateway.stop();
  CHECK_THAT(gateway.out(),
             Catch::Contains("\"source\":\"gpsd\"") && Catch::Contains("\"unknown_radio\":"));
  ::close(fd);
}

TEST_CASE("NMEA gateway: a capture replayed with its original timing, in order",
          "[integration][gateways][nmea]") {
  Bus bus("feed_gateway");
  // Three fixes of one radio a second apart, by their time of day.
  const auto capture = bus.broker->directory() / "capture.nmea";
  std::ofstream(capture)
      << nmea_line("GPGGA,073000.00,0011.4000,S,07446.8000,W,1,09,0.9,182.5,M,,M,,")
      << nmea_line("GPGGA,073001.00,0011.5000,S,07446.8000,W,1,09,0.9,182.5,M,,M,,")
      << nmea_line("GPGGA,073002.00,0011.6000,S,07446.8000,W,1,09,0.9,182.5,M,,M,,");
  GatewayProcess gateway(ENLACE_NMEA_GATEWAY_PATH, *bus.broker, bus.coalition["col-feed"],
                         fmt::format(R"(
[[sources]]
name = "capture"
kind = "file"
path = "{}"
timing = "original"

[radio]
min_interval_s = 0

[[radios]]
unit = "P21"
source = "capture"
)",
                                     capture.string()),
                         gateway::test::ConfigLayout::common, {"--exit-at-end"});
  const auto status = gateway.wait_exit(60s);
  REQUIRE(status);
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
  const auto reports = [](const std::vector<Delivery>& all) {
    std::vector<const wire::PositionReport*> out;
    for (const Delivery& d : all) {
      if (d.topic() == "position.COL.unit.P21") out.push_back(d.as<wire::PositionReport>());
    }
    return out;
  };
  REQUIRE(bus.inbox.wait_until([&](const auto& all) { return reports(all).size() >= 3; }, 30s));
  const auto all = bus.inbox.snapshot();
  const auto got = reports(all);
  REQUIRE(got.size() == 3);
  // In the file's order, each dated by its own fix time.
  CHECK(got[0]->position()->point()->lat_deg() == Approx(-11.4 / 60));
  CHECK(got[1]->position()->point()->lat_deg() == Approx(-11.5 / 60));
  CHECK(got[2]->position()->point()->lat_deg() == Approx(-11.6 / 60));
  CHECK(got[1]->observed_ns() - got[0]->observed_ns() == 1'000'000'000);
  CHECK(got[2]->observed_ns() - got[1]->observed_ns() == 1'000'000'000);
  // Replayed with its timing, the 2 s the capture spans cannot take less than that: a
  // lower bound only, since a loaded machine may take longer.
  const std::string out = gateway.out();
  const auto at = out.find("replay: 3 lines in ");
  REQUIRE(at != std::string::npos);
  const double seconds = std::stod(out.substr(at + std::strlen("replay: 3 lines in ")));
  CHECK(seconds >= 1.9);
}

TEST_CASE("NMEA gateway: the policy decides what it may publish", "[integration][gateways][nmea]") {
  // The "gateway" role may publish positions of its nation only: the AIS track is refused
  // by the broker, the radio position that follows it on the same feed is delivered.
  Bus bus("gateway");
  const auto udp = gt::free_port(true);
  GatewayProcess gateway(ENLACE_NMEA_GATEWAY_PATH, *bus.broker, bus.coalition["col-feed"],
                         fmt::format(R"(
[[sources]]
name = "mixed"
kind = "udp"
listen = "127.0.0.1:{}"

[radio]
min_interval_s = 0

[[radios]]
unit = "P21"
source = "mixed"
)",
                                     udp));
  REQUIRE(send_until(bus.inbox, "position.COL.unit.P21",
                     [&] { gt::send_udp(udp, fmt::format("{}{}", kVessel, kGga)); }));
  // The marker arrived; the track published before it on the same connection did not.
  CHECK_FALSE(bus.inbox.has_topic("track.COL.ais.mixed.730000042"));
  REQUIRE(bus.broker->wait_metric("publish_denied", [](std::uint64_t n) { return n >= 1; }));
  gateway.stop();
  CHECK_THAT(gateway.log(), Catch::Contains("publish_denied"));
}

TEST_CASE("NMEA gateway: a UDP port another gateway holds is refused at start, not shared",
          "[integration][gateways][nmea]") {
  // Two processes on one unicast port would split the datagrams between them in silence.
  Bus bus("gateway");
  const auto udp = gt::free_port(true);
  const std::string config = fmt::format(R"(
[[sources]]
name = "radios"
kind = "udp"
listen = "127.0.0.1:{}"

[radio]
min_interval_s = 0

[[radios]]
unit = "P21"
source = "radios"
)",
                                         udp);
  GatewayProcess first(ENLACE_NMEA_GATEWAY_PATH, *bus.broker, bus.coalition["col-feed"], config);
  REQUIRE(first.wait_ready(10s));
  GatewayProcess second(ENLACE_NMEA_GATEWAY_PATH, *bus.broker, bus.coalition["col-feed"], config);
  const auto status = second.wait_exit(10s);
  REQUIRE(status);
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) != 0);
  INFO(second.log());
  CHECK_THAT(second.log(), Catch::Contains("source 'radios' (udp 127.0.0.1:" + std::to_string(udp) +
                                           "): bind: Address already in use"));
  // The first one still reads its port.
  REQUIRE(send_until(bus.inbox, "position.COL.unit.P21", [&] { gt::send_udp(udp, kGga); }));
}

TEST_CASE("SBS gateway: dump1090's port 30003 as a TCP client, an emergency squawk alerts",
          "[integration][gateways][sbs]") {
  Bus bus("feed_gateway");
  const auto port = gt::free_port(false);
  std::optional<GatewayProcess> gateway;
  int fd = -1;
  // The fake dump1090 listens first; the gateway connects to it.
  std::thread accepting([&] { fd = gt::accept_one(port, 30s); });
  gateway.emplace(ENLACE_SBS_GATEWAY_PATH, *bus.broker, bus.coalition["col-feed"],
                  fmt::format(R"(
[[sources]]
name = "dump1090"
kind = "tcp-client"
connect = "127.0.0.1:{}"
receiver = "rx-leticia"

[adsb]
min_interval_s = 0
)",
                              port));
  accepting.join();
  REQUIRE(fd >= 0);
  const std::string lines =
      "MSG,1,1,1,4CA2D6,1,2026/12/02,02:30:00.000,2026/12/02,02:30:00.000,AVA123  "
      ",,,,,,,,0,0,0,0\r\n"
      "\r\n"
      "MSG,3,1,1,4CA2D6,1,2026/12/02,02:30:00.500,2026/12/"
      "02,02:30:00.500,,9500,,,-4.19321,-69.94012,,,0,0,0,0\r\n"
      "MSG,6,1,1,4CA2D6,1,2026/12/02,02:30:01.000,2026/12/"
      "02,02:30:01.000,,9500,,,,,,7700,-1,-1,0,0\r\n";
  REQUIRE(
      send_until(bus.inbox, "alert.COL.adsb.rx-leticia.4CA2D6", [&] { gt::write_all(fd, lines); }));
  REQUIRE(bus.inbox.wait_for_topic("track.COL.adsb.rx-leticia.4CA2D6"));
  const auto all = bus.inbox.snapshot();
  const auto* track = find(all, "track.COL.adsb.rx-leticia.4CA2D6")->as<wire::Track>();
  const auto* alert = find(all, "alert.COL.adsb.rx-leticia.4CA2D6")->as<wire::Alert>();
  REQUIRE(track);
  REQUIRE(alert);
  CHECK(track->name()->str() == "AVA123");
  CHECK(track->kind() == wire::ContactKind::Aircraft);
  CHECK(track->aircraft()->pressure_altitude_m() == Approx(9500 * 0.3048));
  CHECK(alert->severity() == wire::AlertSeverity::High);
  CHECK_THAT(alert->title()->str(), Catch::Contains("7700"));
  gateway->stop();
  ::close(fd);
}
