// The TAK gateway's configuration (gateways/tak/src/config.cpp): what it accepts, and the
// "file:line: what" it answers for each mistake, so that an operator's typo is never a
// silent default.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <fstream>
#include <string>

#include "config.hpp"

namespace {

using enlace::tak::load_config;

// [broker] and [gateway] that load, followed by `listeners`.
std::string with_broker(const std::string& listeners) {
  return "[broker]\nendpoint = \"tcp://127.0.0.1:7450\"\n"
         "public_key = \"rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7\"\nkeys = \"ecu-tak\"\n"
         "[gateway]\nuid = \"ecu-tak\"\n" +
         listeners;
}

// The error load_config gives for `text`, or "" when it loads.
std::string config_error(const std::string& text) {
  // One file per call and process: CTest runs the test cases in parallel.
  static int calls = 0;
  const auto file =
      std::filesystem::temp_directory_path() /
      ("enlace-tak-config-" + std::to_string(::getpid()) + "-" + std::to_string(++calls) + ".toml");
  std::ofstream(file, std::ios::trunc) << text;
  const auto loaded = load_config(file);
  std::filesystem::remove(file);
  return loaded ? std::string() : loaded.error().reason;
}

}  // namespace

TEST_CASE("TAK gateway configuration: multicast group and interface", "[tak][config]") {
  const std::string mesh = "[udp]\nlisten = \"239.2.3.1:6969\"\ngroup = \"239.2.3.1\"\n";
  CHECK(config_error(with_broker(mesh)) == "");
  CHECK(config_error(with_broker(mesh + "interface = \"127.0.0.1\"\n")) == "");
  CHECK_THAT(config_error(with_broker("[udp]\nlisten = \"0.0.0.0:6969\"\ngroup = \"10.0.0.1\"\n")),
             Catch::Contains(":9: 'group': not an IPv4 multicast address (224.0.0.0/4): "
                             "'10.0.0.1'"));
  CHECK_THAT(config_error(with_broker(mesh + "interface = \"eth0\"\n")),
             Catch::Contains(":10: 'interface': not an IPv4 address: 'eth0'"));
  CHECK_THAT(
      config_error(with_broker("[udp]\nlisten = \"0.0.0.0:6969\"\ninterface = \"127.0.0.1\"\n")),
      Catch::Contains(":9: 'interface' is the multicast interface: it needs 'group'"));
}

TEST_CASE("TAK gateway configuration: unknown keys and missing listeners", "[tak][config]") {
  CHECK_THAT(config_error(with_broker("[udp]\nlisten = \"0.0.0.0:6969\"\ngroupe = \"x\"\n")),
             Catch::Contains(":9: unknown key 'groupe' in [udp]"));
  CHECK_THAT(config_error(with_broker("")),
             Catch::Contains("no listener: configure [tcp], [tls] or [udp]"));
}
