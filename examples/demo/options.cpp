#include "options.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <string_view>

namespace demo {

const char* const kUsage = R"(usage: enlace-demo [options]

Runs the Enlace demo coalition: a joint operation on the Putumayo river between Colombia,
Ecuador and Peru, with Brazil observing. Starts an enlace-broker on a loopback port,
four enlace-nmea-gateway processes (three nations' patrol radio gateways and an AIS
receiver) fed NMEA 0183 and AIS sentences over UDP by simulated radios and vessels, and
simulated radars, a drone, a biometric checkpoint and four command posts: each system
with its own CURVE key. Shows what each nation's command post sees, and why, according
to the policy file.

  --duration SECONDS  stop after this long (default: run until Ctrl-C)
  --state-dir DIR     keys, policy.toml, broker log and metrics (default .enlace-demo);
                      created on the first run, reused afterwards
  --reset             regenerate the keys and policy.toml in the state directory
  --broker PATH       the enlace-broker to run (default: the one built with this demo,
                      else one next to enlace-demo, else the first on PATH)
  --nmea-gateway PATH the enlace-nmea-gateway to run (searched like the broker)
  --late-joiner-seconds N
                      Brazil's command post joins N seconds after the others, and its
                      picture fills at once from the broker's COP snapshot (default 10,
                      or half of --duration when that is under 20; 0: it joins with
                      the others)
  --tak               also start one enlace-tak-gateway per nation, a TAK Server to that
                      nation's ATAK and WinTAK clients, and print how to connect them
  --tak-listen ADDRESS
                      the address the TAK sites listen on (default 127.0.0.1; 0.0.0.0
                      or this machine's address for phones on its network)
  --tak-port-base N   the sites' ports: N + 10 x i + 9 for TLS and + 7 for TCP, i = 0 for
                      Colombia, 1 Ecuador, 2 Peru, 3 Brazil (default 8080: 8089, 8087, ...)
  --tak-gateway PATH  the enlace-tak-gateway to run (searched like the broker)
  --plain             plain periodic lines instead of the live terminal view (the
                      default when stdout is not a terminal)
  --help              this text

Exit status: 0 when every policy promise held, 1 when one did not (or the demo failed),
2 for a bad command line. Ctrl-C or SIGTERM stop it cleanly. See docs/demo.md.
)";

namespace {

// A number of seconds: finite, and positive or (with `zero_ok`) zero.
std::optional<double> seconds_of(std::string_view text, bool zero_ok) {
  double seconds = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(seconds) ||
      seconds < 0 || (seconds == 0 && !zero_ok)) {
    return std::nullopt;
  }
  return seconds;
}

}  // namespace

double late_joiner_seconds(const Options& options) {
  if (options.late_joiner_s) return *options.late_joiner_s;
  if (options.duration_s && *options.duration_s < 20) return *options.duration_s / 2;
  return 10;
}

std::variant<Options, std::string> parse_options(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::string_view value;
    bool inline_value = false;
    if (const auto eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      inline_value = true;
    }
    const auto take = [&]() -> std::optional<std::string_view> {
      if (inline_value) return value;
      if (i + 1 >= argc) return std::nullopt;
      return std::string_view(argv[++i]);
    };
    if (arg == "--help" || arg == "-h") {
      options.help = true;
    } else if (arg == "--reset") {
      options.reset = true;
    } else if (arg == "--plain") {
      options.plain = true;
    } else if (arg == "--duration") {
      const auto text = take();
      if (!text) return std::string("--duration needs a number of seconds");
      options.duration_s = seconds_of(*text, false);
      if (!options.duration_s)
        return fmt::format("--duration: '{}' is not a positive number of seconds", *text);
    } else if (arg == "--late-joiner-seconds") {
      const auto text = take();
      if (!text) return std::string("--late-joiner-seconds needs a number of seconds (0: none)");
      options.late_joiner_s = seconds_of(*text, true);
      if (!options.late_joiner_s) {
        return fmt::format("--late-joiner-seconds: '{}' is not a number of seconds, 0 or more",
                           *text);
      }
    } else if (arg == "--state-dir") {
      const auto text = take();
      if (!text || text->empty()) return std::string("--state-dir needs a directory");
      options.state_dir = std::string(*text);
    } else if (arg == "--broker") {
      const auto text = take();
      if (!text || text->empty()) return std::string("--broker needs the path of enlace-broker");
      options.broker = std::string(*text);
    } else if (arg == "--tak") {
      options.tak = true;
    } else if (arg == "--tak-listen") {
      const auto text = take();
      in_addr parsed{};
      if (!text || ::inet_pton(AF_INET, std::string(*text).c_str(), &parsed) != 1) {
        return std::string("--tak-listen needs an IPv4 address, e.g. 127.0.0.1 or 0.0.0.0");
      }
      options.tak_listen = std::string(*text);
    } else if (arg == "--tak-port-base") {
      const auto text = take();
      unsigned base = 0;
      const auto [end, error] =
          text ? std::from_chars(text->data(), text->data() + text->size(), base)
               : std::from_chars_result{nullptr, std::errc::invalid_argument};
      if (!text || error != std::errc() || end != text->data() + text->size() || base < 1024 ||
          base > 65535 - 39) {
        return fmt::format("--tak-port-base needs a port from 1024 to {}", 65535 - 39);
      }
      options.tak_port_base = static_cast<std::uint16_t>(base);
    } else if (arg == "--tak-gateway") {
      const auto text = take();
      if (!text || text->empty()) {
        return std::string("--tak-gateway needs the path of enlace-tak-gateway");
      }
      options.tak_gateway = std::string(*text);
    } else if (arg == "--nmea-gateway") {
      const auto text = take();
      if (!text || text->empty()) {
        return std::string("--nmea-gateway needs the path of enlace-nmea-gateway");
      }
      options.nmea_gateway = std::string(*text);
    } else {
      return fmt::format("unknown argument '{}'", argv[i]);
    }
  }
  if (options.duration_s && late_joiner_seconds(options) >= *options.duration_s) {
    return fmt::format(
        "--late-joiner-seconds {:g} is not before the end of the run (--duration {:g}): "
        "Brazil's post would never join",
        late_joiner_seconds(options), *options.duration_s);
  }
  return options;
}

}  // namespace demo
