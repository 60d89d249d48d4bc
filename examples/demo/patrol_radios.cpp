#include "patrol_radios.hpp"

#include <fmt/format.h>

#include <vector>

#include "nmea_encode.hpp"

namespace demo {

using namespace std::chrono_literals;

namespace {

// A patrol with a radio. Boat patrols go up and down a reach of the river; foot patrols
// walk a beat round a town.
struct PatrolUnit {
  std::string id;        // e.g. "P21"
  std::string callsign;  // e.g. "PIRANA 21"
  geo::Route route;
  double speed_mps;
  double report_every_s;  // radios report every 5-30 s; the demo keeps it brisk
  double altitude_msl_m;  // river level or ground, metres above mean sea level
  double start_m;         // where on its route the unit is at time zero
};

std::vector<PatrolUnit> units_of(std::string_view nation) {
  using geo::Route;
  if (nation == "COL") {
    return {
        {"P21", "PIRANA 21",
         Route::back_and_forth({{-0.19, -74.78}, {-0.24, -74.68}, {-0.30, -74.57}}), 6.0, 4, 180,
         0},
        {"P22", "PIRANA 22",
         Route::back_and_forth({{-0.19, -74.78}, {-0.14, -74.90}, {-0.07, -75.05}}), 4.5, 5, 180,
         4000},
        {"J03", "JAGUAR 3", Route::beat(place::puerto_asis, 800), 1.5, 6, 255, 1200},
    };
  }
  if (nation == "ECU") {
    return {
        {"C12", "CONDOR 12", Route::beat(place::nueva_loja, 1000), 1.4, 6, 300, 3300},
        {"C07", "CONDOR 7",
         Route::back_and_forth({place::puerto_el_carmen, {0.06, -75.70}, {0.02, -75.58}}), 5.0, 4,
         200, 2000},
    };
  }
  if (nation == "PER") {
    return {
        {"D04", "DELFIN 4",
         Route::back_and_forth({{-0.22, -74.74}, {-0.28, -74.62}, {-0.36, -74.48}}), 5.5, 4, 178,
         1000},
        {"O02", "OTORONGO 2", Route::beat({-0.215, -74.775}, 600), 1.5, 6, 185, 1900},
    };
  }
  return {};
}

// The gateway publishes a unit's fix at most this often. Each report carries an RMC and
// a GGA: the first of the two makes the report, the second (within the interval) only
// updates what the gateway knows of the unit for the next one.
constexpr double kMinIntervalS = 3;
static_assert(kMinIntervalS < 4, "below the briskest radio's reporting interval");

class PatrolRadios final : public DeviceFeed {
 public:
  explicit PatrolRadios(const SystemSpec& gateway)
      : DeviceFeed(gateway), units_(units_of(gateway.nation)), radios_(units_.size()) {}
  ~PatrolRadios() override { join(); }

  std::string gateway_config(std::uint16_t port) const override {
    std::string out = fmt::format(
        "# The patrol radios send their GPS sentences over UDP, each from its own address.\n"
        "[[sources]]\n"
        "name = \"radios\"\n"
        "kind = \"udp\"\n"
        "listen = \"127.0.0.1:{}\"\n\n"
        "[radio]\n"
        "min_interval_s = {:g}\n"
        "stale_s = 60\n",
        port, kMinIntervalS);
    for (std::size_t i = 0; i < units_.size(); ++i) {
      out += fmt::format(
          "\n[[radios]]\n"
          "unit = \"{}\"\n"
          "callsign = \"{}\"\n"
          "source = \"radios\"\n"
          "address = \"{}\"\n",
          units_[i].id, units_[i].callsign, radios_[i].address());
    }
    return out;
  }

 protected:
  void run(StopFlag& stop, Clock::time_point start, std::uint16_t port) override {
    Schedule schedule;
    for (std::size_t i = 0; i < units_.size(); ++i) {
      // Staggered, so that a gateway's radios do not all report in the same instant.
      schedule.every(0.1 + 0.3 * static_cast<double>(i), units_[i].report_every_s,
                     [this, i, start, port](int) {
                       const PatrolUnit& unit = units_[i];
                       const double t = std::chrono::duration<double>(Clock::now() - start).count();
                       const geo::Route::Fix at = unit.route.at(unit.start_m + unit.speed_mps * t);
                       nmea::GpsFix fix;
                       // Older radios have a GPS-only receiver; newer ones GPS + GLONASS.
                       fix.talker = i % 2 == 0 ? "GP" : "GN";
                       fix.time = std::chrono::system_clock::now();
                       fix.point = at.point;
                       fix.speed_mps = unit.speed_mps;
                       fix.course_deg = at.course_deg;
                       fix.altitude_msl_m = unit.altitude_msl_m;
                       fix.satellites = 7 + static_cast<int>(i);
                       transmit(radios_[i], port, nmea::rmc(fix) + nmea::gga(fix));
                     });
    }
    schedule.run(stop, start);
  }

 private:
  std::vector<PatrolUnit> units_;
  std::vector<UdpTransmitter> radios_;  // radios_[i] is units_[i]'s radio
};

}  // namespace

std::unique_ptr<DeviceFeed> make_patrol_radios(const SystemSpec& gateway) {
  return std::make_unique<PatrolRadios>(gateway);
}

std::size_t patrol_units(std::string_view nation) {
  return units_of(nation).size();
}

}  // namespace demo
