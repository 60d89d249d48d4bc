#include "sensors.hpp"

#include <fmt/format.h>

#include <random>
#include <stdexcept>

namespace demo {
namespace {

namespace wire = enlace::wire;
using namespace std::chrono_literals;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// A 20-digit MIL-STD-2525D / APP-6D symbol code for a sea-surface contact of the given
// standard identity, entity unspecified: enough for milsymbol to draw the frame.
std::string sea_surface_sidc(wire::StandardIdentity identity) {
  return fmt::format("100{}30000000000000000", static_cast<int>(identity));
}

// A contact moving on the river, as a radar sees it.
struct Contact {
  std::string id;  // track id
  wire::StandardIdentity identity;
  geo::Route route;
  double speed_mps;
  double start_m;
};

// --- river radar ------------------------------------------------------------------------

class RiverRadar : public SimulatedSystem {
 public:
  RiverRadar(const SystemSpec& spec, const enlace::KeyPair& keys, const BusAccess& bus,
             std::string site, std::vector<Contact> contacts)
      : SimulatedSystem(spec, keys, bus), site_(std::move(site)), contacts_(std::move(contacts)) {}
  ~RiverRadar() override {
    join();
    close();
  }

 protected:
  void run(StopFlag& stop, Clock::time_point start) override {
    std::mt19937 random(std::random_device{}());
    std::normal_distribution<double> plot_error_m(0.0, 15.0);  // radar plot scatter
    Schedule schedule;
    // One scan a second: every contact's track is updated.
    schedule.every(0.2, 1.0, [&](int) {
      const double t = seconds_since(start);
      for (std::size_t i = 0; i < contacts_.size(); ++i) {
        const Contact& c = contacts_[i];
        const geo::Route::Fix fix = c.route.at(c.start_m + c.speed_mps * t);
        const geo::Point plotted = geo::destination(
            geo::destination(fix.point, 0, plot_error_m(random)), 90, plot_error_m(random));
        const auto build = [&](flatbuffers::FlatBufferBuilder& fbb) {
          const wire::GeoPoint point(plotted.lat, plotted.lon);
          const auto position =
              wire::CreatePosition(fbb, &point, std::numeric_limits<double>::quiet_NaN(),
                                   wire::AltitudeReference::Unknown, 25.0f);
          const wire::Motion motion(static_cast<float>(fix.course_deg),
                                    static_cast<float>(c.speed_mps));
          const auto source =
              wire::CreateSensorRefDirect(fbb, wire::SensorType::Radar, site_.c_str());
          return wire::CreateTrackDirect(fbb, c.id.c_str(), position, &motion, c.identity,
                                         wire::BattleDimension::SeaSurface,
                                         sea_surface_sidc(c.identity).c_str(),
                                         wire::ContactKind::Vessel, source, enlace::now_ns());
        };
        // Unlabelled: tracks go where the agreements share them.
        const std::string topic = topic::radar_track(spec().nation, site_, c.id);
        if (i + 1 < contacts_.size()) {
          publish(topic, build, by_agreement(10s));
        } else {
          // The scan's last track asks for the broker's acknowledgement, so the radar
          // learns within the scan if its output is refused. (It also keeps traffic
          // flowing from the broker: the SDK does not ping a client that is always
          // sending, and declares a silent broker lost.)
          publish_and_wait(topic, build, by_agreement(10s));
        }
      }
    });
    schedule.run(stop, start);
  }

 private:
  std::string site_;
  std::vector<Contact> contacts_;
};

// --- surveillance drone -----------------------------------------------------------------

class SurveillanceDrone : public SimulatedSystem {
 public:
  SurveillanceDrone(const SystemSpec& spec, const enlace::KeyPair& keys, const BusAccess& bus,
                    std::string drone)
      : SimulatedSystem(spec, keys, bus), drone_(std::move(drone)) {}
  ~SurveillanceDrone() override {
    join();
    close();
  }

 protected:
  void run(StopFlag& stop, Clock::time_point start) override {
    struct Scene {
      wire::ContactKind kind;
      const char* description;
    };
    static constexpr Scene kScenes[] = {
        {wire::ContactKind::Group, "4 persons loading sacks into a canoe, north bank"},
        {wire::ContactKind::Vessel, "canoe with outboard motor heading upstream, 3 aboard"},
        {wire::ContactKind::Person, "person on the bank signalling with a torch"},
        {wire::ContactKind::Vessel, "fast boat with covered cargo, no lights"},
    };
    std::mt19937 random(std::random_device{}());
    std::uniform_real_distribution<double> offset_m(0, 2500), bearing(0, 360),
        confidence(0.62, 0.96);
    // The drone orbits over the Putumayo downstream of Puerto Leguízamo.
    const geo::Point orbit_centre{-0.27, -74.66};
    Schedule schedule;
    schedule.every(0.8, 2.5, [&](int n) {
      const Scene& scene = kScenes[n % 4];
      const std::string id = fmt::format("D{:04}", n + 1);
      const geo::Point seen = geo::destination(orbit_centre, bearing(random), offset_m(random));
      // Every third detection heads for the Ecuadorian reach of the river: Peru hands it
      // to Ecuador alone, not to the whole patrol.
      const bool ecuador_only = n % 3 == 1;
      const std::string description =
          ecuador_only ? fmt::format("{}; heading for the Ecuadorian reach", scene.description)
                       : scene.description;
      publish(
          topic::drone_detection(spec().nation, drone_, id),
          [&](flatbuffers::FlatBufferBuilder& fbb) {
            const wire::GeoPoint point(seen.lat, seen.lon);
            const auto position = wire::CreatePosition(
                fbb, &point, 180.0, wire::AltitudeReference::MeanSeaLevel, 30.0f);
            const auto sensor =
                wire::CreateSensorRefDirect(fbb, wire::SensorType::Drone, drone_.c_str());
            const std::string media =
                fmt::format("https://media.per.example/putumayo/{}/{}.jpg", drone_, id);
            return wire::CreateDetectionDirect(
                fbb, id.c_str(), sensor, position, std::numeric_limits<float>::quiet_NaN(),
                scene.kind, static_cast<float>(confidence(random)), enlace::now_ns(), media.c_str(),
                nullptr, description.c_str());
          },
          ecuador_only ? released_to({"ECU"}, 10min) : by_agreement(10min));
    });
    schedule.run(stop, start);
  }

 private:
  std::string drone_;
};

// --- biometric checkpoint ---------------------------------------------------------------

class BiometricCheckpoint : public SimulatedSystem {
 public:
  BiometricCheckpoint(const SystemSpec& spec, const enlace::KeyPair& keys, const BusAccess& bus,
                      std::string station, geo::Point where)
      : SimulatedSystem(spec, keys, bus), station_(std::move(station)), where_(where) {}
  ~BiometricCheckpoint() override {
    join();
    close();
  }

 protected:
  void run(StopFlag& stop, Clock::time_point start) override {
    Schedule schedule;
    // Hits are rare in life; the demo raises one early and then one every 45 s.
    schedule.every(2.0, 45.0, [&](int n) {
      const std::string id = fmt::format("H{:04}", n + 1);
      const std::string description = fmt::format(
          "Fingerprint match against the national watch list (score 0.9{}); traveller held "
          "for secondary inspection. Subject reference W-{}.",
          7 - n % 3, 20417 + 31 * n);
      publish(
          topic::biometric_alert(spec().nation, station_, id),
          [&](flatbuffers::FlatBufferBuilder& fbb) {
            const wire::GeoPoint point(where_.lat, where_.lon);
            return wire::CreateAlertDirect(
                fbb, id.c_str(), wire::AlertSeverity::High, wire::AlertCategory::WatchListHit,
                "Watch-list hit at the Puerto Asís river port checkpoint", description.c_str(),
                &point, 0, nullptr, enlace::now_ns());
          },
          // The most sensitive data on the bus: released to no partner at all.
          released_to({std::string(spec().nation)}, 1h, wire::Classification::Restricted));
    });
    schedule.run(stop, start);
  }

 private:
  std::string station_;
  geo::Point where_;
};

}  // namespace

std::unique_ptr<SimulatedSystem> make_sensor(const SystemSpec& spec, const enlace::KeyPair& keys,
                                             const BusAccess& bus) {
  using geo::Route;
  using SI = wire::StandardIdentity;
  if (spec.id == id::col_radar) {
    return std::make_unique<RiverRadar>(
        spec, keys, bus, "leguizamo",
        std::vector<Contact>{
            {"T0001", SI::Suspect,
             Route::back_and_forth({{-0.12, -74.98}, {-0.19, -74.79}, {-0.27, -74.63}}), 9.0, 6000},
            {"T0002", SI::Unknown, Route::back_and_forth({{-0.200, -74.760}, {-0.214, -74.757}}),
             2.5, 0},
            {"T0003", SI::Unknown,
             Route::back_and_forth({{-0.30, -74.57}, {-0.24, -74.68}, {-0.19, -74.78}}), 3.5, 1500},
        });
  }
  if (spec.id == id::col_radar_leticia) {
    return std::make_unique<RiverRadar>(
        spec, keys, bus, "leticia",
        std::vector<Contact>{
            {"T0101", SI::Unknown,
             Route::loop({{-4.215, -69.940}, {-4.235, -69.958}, {-4.248, -69.945}}), 5.0, 0},
            {"T0102", SI::Suspect,
             Route::back_and_forth({{-4.17, -69.88}, {-4.23, -69.95}, {-4.30, -70.05}}), 8.0, 3000},
        });
  }
  if (spec.id == id::per_drone) return std::make_unique<SurveillanceDrone>(spec, keys, bus, "pd3");
  if (spec.id == id::col_biometric) {
    return std::make_unique<BiometricCheckpoint>(spec, keys, bus, "puerto-asis",
                                                 place::puerto_asis);
  }
  throw std::invalid_argument(fmt::format("'{}' is not a sensor of the scenario", spec.id));
}

}  // namespace demo
