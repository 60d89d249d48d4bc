// enlace-demo's command line.
#pragma once

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
  bool help = false;
};

/// The usage text (--help).
extern const char* const kUsage;

/// The options, or a message saying what is wrong with the command line.
std::variant<Options, std::string> parse_options(int argc, char** argv);

}  // namespace demo
