// The TAK gateway's transports besides TLS, against a real broker over CURVE: plain TCP
// (8087-style, no authentication), UDP SA in and out as XML and TAK v1 mesh frames, and
// UDP multicast on the loopback interface. Every wait is on an event with a generous bound.
#include <catch2/catch.hpp>

#include "tak_coalition.hpp"

using namespace tak_test;
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
