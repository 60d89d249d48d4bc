// Simulated radio gateways: each nation's patrol radios report a GPS fix every few
// seconds, and the gateway publishes it as a PositionReport on
// position.<NATION>.unit.<unit>, unlabelled: the joint patrol agreement decides who sees
// friendly positions. The gateway also takes its nation's tasking for the patrols.
#pragma once

#include <atomic>
#include <memory>

#include "simulated_system.hpp"

namespace demo {

struct PatrolUnit;  // radio_gateways.cpp: callsign, route, speed, reporting interval

class RadioGateway : public SimulatedSystem {
 public:
  /// The patrol units come from the scenario, by the gateway's nation.
  RadioGateway(const SystemSpec& spec, const enlace::KeyPair& keys, const BusAccess& bus);
  ~RadioGateway() override;

  std::size_t units() const noexcept;
  /// Tasking messages received for this nation's patrols.
  std::uint64_t taskings() const noexcept { return taskings_.load(); }

 protected:
  void on_connected() override;
  void run(StopFlag& stop, Clock::time_point start) override;

 private:
  std::vector<PatrolUnit> units_;
  std::atomic<std::uint64_t> taskings_{0};
};

}  // namespace demo
