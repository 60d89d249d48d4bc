#include "radio_gateways.hpp"

#include <fmt/format.h>

namespace demo {

namespace wire = enlace::wire;
using namespace std::chrono_literals;

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

namespace {

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

}  // namespace

RadioGateway::RadioGateway(const SystemSpec& spec, const enlace::KeyPair& keys,
                           const BusAccess& bus)
    : SimulatedSystem(spec, keys, bus), units_(units_of(spec.nation)) {}

RadioGateway::~RadioGateway() {
  join();
  close();  // before units_ and taskings_ go: the I/O thread may still call back
}

std::size_t RadioGateway::units() const noexcept {
  return units_.size();
}

void RadioGateway::on_connected() {
  // Orders for this nation's patrols. The role allows tasking.<own nation>.> only.
  auto subscribed = client().subscribe(fmt::format("tasking.{}.>", spec().nation),
                                       [this](const enlace::Delivery&) { taskings_.fetch_add(1); });
  if (!subscribed) refusal("subscribe tasking", subscribed.error());
}

void RadioGateway::run(StopFlag& stop, Clock::time_point start) {
  Schedule schedule;
  for (std::size_t i = 0; i < units_.size(); ++i) {
    // Staggered, so that a gateway's radios do not all report in the same instant.
    schedule.every(
        0.1 + 0.3 * static_cast<double>(i), units_[i].report_every_s, [this, i, start](int) {
          const PatrolUnit& unit = units_[i];
          const double t = std::chrono::duration<double>(Clock::now() - start).count();
          const geo::Route::Fix fix = unit.route.at(unit.start_m + unit.speed_mps * t);
          // Batteries drain by 1 % every two minutes.
          const auto battery = static_cast<std::int8_t>(
              std::max(5.0, 96.0 - 7.0 * static_cast<double>(i) - t / 120.0));
          publish(
              topic::position(spec().nation, unit.id),
              [&](flatbuffers::FlatBufferBuilder& fbb) {
                const wire::GeoPoint point(fix.point.lat, fix.point.lon);
                const auto position = wire::CreatePosition(
                    fbb, &point, unit.altitude_msl_m, wire::AltitudeReference::MeanSeaLevel, 4.0f);
                const wire::Motion motion(static_cast<float>(fix.course_deg),
                                          static_cast<float>(unit.speed_mps));
                return wire::CreatePositionReportDirect(fbb, unit.id.c_str(), unit.callsign.c_str(),
                                                        position, &motion, wire::UnitStatus::Moving,
                                                        enlace::now_ns(), battery);
              },
              // Unlabelled: the putumayo-joint-patrol agreement decides who sees it.
              by_agreement(60s));
        });
  }
  schedule.run(stop, start);
}

}  // namespace demo
