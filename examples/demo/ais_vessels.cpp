#include "ais_vessels.hpp"

#include <fmt/format.h>

#include <cmath>

#include "nmea_encode.hpp"

namespace demo {
namespace {

const std::vector<VesselInfo> kVessels = {
    {735057210, "DONA ROSA", false},
    {735019884, "RIO SAN MIGUEL", false},
    {730012345, "DON JULIO", true},
};

// What a vessel's transponder is set up with (message 5) and how it moves.
struct Vessel {
  const VesselInfo& info;
  std::uint32_t imo;
  std::string_view callsign;
  int ship_type;
  int to_bow_m, to_stern_m, to_port_m, to_starboard_m;
  double draught_m;
  std::string_view destination;
  geo::Route route;
  double speed_mps;
  double start_m;
};

std::vector<Vessel> vessels() {
  const auto reach = [] {
    return geo::Route::back_and_forth({place::puerto_el_carmen, {0.06, -75.70}, {0.02, -75.58}});
  };
  // River boats: passenger launch, cargo barge, and a boat the Ecuadorian Navy watches.
  return {
      {kVessels[0], 0, "HC4521", 60, 14, 4, 2, 2, 1.2, "PUERTO EL CARMEN", reach(), 6.0, 0},
      {kVessels[1], 0, "HC3307", 70, 28, 8, 4, 4, 1.8, "PTO LEGUIZAMO", reach(), 3.5, 9000},
      {kVessels[2], 0, "HK7712", 90, 9, 3, 1, 2, 0.9, "PUERTO ASIS", reach(), 4.0, 16000},
  };
}

class AisReceiver final : public DeviceFeed {
 public:
  explicit AisReceiver(const SystemSpec& gateway) : DeviceFeed(gateway), vessels_(vessels()) {}
  ~AisReceiver() override { join(); }

  std::string gateway_config(std::uint16_t port) const override {
    std::string out = fmt::format(
        "# The AIS receiver forwards the sentences it hears over UDP.\n"
        "[[sources]]\n"
        "name = \"ais\"\n"
        "kind = \"udp\"\n"
        "listen = \"127.0.0.1:{}\"\n"
        "receiver = \"{}\"\n\n"
        "[ais]\n"
        "stale_class_a_s = 60\n",
        port, kAisReceiver);
    for (const Vessel& v : vessels_) {
      if (!v.info.watch_listed) continue;
      out += fmt::format(
          "\n[[ais.watch]]\n"
          "mmsi = {}\n"
          "identity = \"suspect\"\n"
          "note = \"{}: suspected of carrying precursor chemicals upriver\"\n",
          v.info.mmsi, v.info.name);
    }
    return out;
  }

 protected:
  void run(StopFlag& stop, Clock::time_point start, std::uint16_t port) override {
    Schedule schedule;
    int next_sequence_id = 0;
    for (std::size_t i = 0; i < vessels_.size(); ++i) {
      // Vessels under way transmit every 2-10 s; these every 6 s, not all at once.
      schedule.every(0.5 + 2.0 * static_cast<double>(i), 6.0, [this, i, start, port](int n) {
        const Vessel& v = vessels_[i];
        const double t = std::chrono::duration<double>(Clock::now() - start).count();
        const geo::Route::Fix fix = v.route.at(v.start_m + v.speed_mps * t);
        const auto now = std::chrono::system_clock::now();
        nmea::AisPosition report;
        report.mmsi = v.info.mmsi;
        report.point = fix.point;
        report.speed_mps = v.speed_mps;
        report.course_deg = fix.course_deg;
        report.heading_deg = static_cast<int>(std::lround(fix.course_deg)) % 360;
        report.utc_second = static_cast<int>(
            std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count() % 60);
        // Transponders alternate between the two AIS channels.
        transmit(receiver_, port, nmea::ais_position(report, n % 2 == 0 ? 'A' : 'B'));
      });
      // Static and voyage data: every 6 minutes in life, every 30 s here; the first
      // right after the vessel's first position.
      schedule.every(
          0.7 + 2.0 * static_cast<double>(i), 30.0, [this, i, port, &next_sequence_id](int n) {
            const Vessel& v = vessels_[i];
            nmea::AisStatic data;
            data.mmsi = v.info.mmsi;
            data.imo = v.imo;
            data.callsign = v.callsign;
            data.name = v.info.name;
            data.ship_type = v.ship_type;
            data.to_bow_m = v.to_bow_m;
            data.to_stern_m = v.to_stern_m;
            data.to_port_m = v.to_port_m;
            data.to_starboard_m = v.to_starboard_m;
            data.draught_m = v.draught_m;
            data.destination = v.destination;
            std::string sentences;
            for (const std::string& s :
                 nmea::ais_static(data, next_sequence_id++ % 10, n % 2 == 0 ? 'B' : 'A')) {
              sentences += s;
            }
            transmit(receiver_, port, sentences);
          });
    }
    schedule.run(stop, start);
  }

 private:
  std::vector<Vessel> vessels_;
  UdpTransmitter receiver_;
};

}  // namespace

std::unique_ptr<DeviceFeed> make_ais_receiver(const SystemSpec& gateway) {
  return std::make_unique<AisReceiver>(gateway);
}

const std::vector<VesselInfo>& ais_vessels() {
  return kVessels;
}

}  // namespace demo
