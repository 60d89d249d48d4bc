// Simulated command posts: one per nation. Each subscribes with wildcards to everything
// its role allows and records what the broker lets through into its NationView; each
// also follows a short script of what its operators send: alerts, SALUTE spot reports,
// chat and tasking, every one labelled as a real operator would label it.
//
// Two scripted steps are refused on purpose, to show enforcement: Brazil's observer post
// asks for position.> (subscribe_denied) and Ecuador tries to release a spot report to
// Brazil, which its release cap forbids (release_not_permitted).
//
// Every subscription asks for a COP snapshot, so a post that joins late (Brazil's, by
// default) has the cached picture it may see at once, before live traffic fills it.
#pragma once

#include <optional>

#include "nation_view.hpp"
#include "simulated_system.hpp"

namespace demo {

class CommandPost : public SimulatedSystem {
 public:
  /// `observer_joins_s`: when Brazil's post joins, in seconds after the start (0: with the
  /// others); Peru's script times its tri-border update from it.
  CommandPost(const SystemSpec& spec, const enlace::KeyPair& keys, const BusAccess& bus,
              double observer_joins_s);
  ~CommandPost() override;

  /// What this nation sees. Thread-safe.
  const NationView& view() const noexcept { return view_; }

  /// Before connect(): this post joins late, `at_s` after `start`, the scenario's time zero.
  void joins_late(Clock::time_point start, double at_s);

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
  double observer_joins_s_;
  std::optional<Clock::time_point> start_;  // set for a late joiner, before connect()
  int next_alert_ = 1;                      // report ids; the simulation thread alone uses them
  int next_spot_ = 1;
};

}  // namespace demo
