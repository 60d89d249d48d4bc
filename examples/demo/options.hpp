// enlace-demo's command line.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

namespace demo {

struct Options {
  std::optional<double> duration_s;  // --duration SECONDS; nullopt: until Ctrl-C
  std::string state_dir = ".enlace-demo";
  bool reset = false;
  std::string broker;        // --broker PATH; empty: search (see find_broker)
  std::string nmea_gateway;  // --nmea-gateway PATH; empty: search (see find_nmea_gateway)
  bool plain = false;        // --plain: no ANSI even on a terminal
  bool tak = false;          // --tak: one enlace-tak-gateway per nation (tak_sites.hpp)
  std::string tak_gateway;   // --tak-gateway PATH; empty: search (see find_tak_gateway)
  std::string tak_listen = "127.0.0.1";  // --tak-listen ADDRESS
  std::uint16_t tak_port_base = 8080;    // --tak-port-base N: Colombia's TLS port is N + 9
  /// --late-joiner-seconds N: Brazil's post joins N s after the start; 0: from the start.
  /// nullopt: the default (see late_joiner_seconds).
  std::optional<double> late_joiner_s;
  bool help = false;
};

/// When Brazil's command post joins, in seconds after the start; 0: it joins with the
/// others. The default is 10 s, or half of --duration when the run is shorter than 20 s.
double late_joiner_seconds(const Options& options);

/// The usage text (--help).
extern const char* const kUsage;

/// The options, or a message saying what is wrong with the command line.
std::variant<Options, std::string> parse_options(int argc, char** argv);

}  // namespace demo
