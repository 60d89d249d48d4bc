// Simulated command posts: one per nation. Each subscribes with wildcards to everything
// its role allows and records what the broker lets through into its NationView; each
// also follows a short script of what its operators send: alerts, SALUTE spot reports,
// chat and tasking, every one labelled as a real operator would label it.
//
// Two scripted steps are refused on purpose, to show enforcement: Brazil's observer post
// asks for position.> (subscribe_denied) and Ecuador tries to release a spot report to
// Brazil, which its release cap forbids (release_not_permitted).
#pragma once

#include "nation_view.hpp"
#include "simulated_system.hpp"

namespace demo {

class CommandPost : public SimulatedSystem {
 public:
  CommandPost(const SystemSpec& spec, const enlace::KeyPair& keys, const BusAccess& bus);
  ~CommandPost() override;

  /// What this nation sees. Thread-safe.
  const NationView& view() const noexcept { return view_; }

 protected:
  void on_connected() override;
  void run(StopFlag& stop, Clock::time_point start) override;
  void on_refusal(std::string_view what, const enlace::ErrorInfo& error) override;

 private:
  void script_col(Schedule& s);
  void script_ecu(Schedule& s);
  void script_per(Schedule& s);
  void script_bra(Schedule& s);

  struct AlertText;
  struct Salute;
  bool alert(std::string_view area, const AlertText& text, const enlace::PublishOptions& options);
  bool spot(std::string_view area, const std::string& id, const Salute& report,
            const enlace::PublishOptions& options);
  bool chat(std::string_view room, std::string_view body, std::vector<std::string> to);

  NationView view_;
  int next_alert_ = 1;  // report ids; the simulation thread alone uses them
  int next_spot_ = 1;
};

}  // namespace demo
