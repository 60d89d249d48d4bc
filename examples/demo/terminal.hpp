// Terminal output: a live ANSI dashboard (one panel per nation's command post, the
// broker's counters, the policy promises) when stdout is a terminal, periodic plain
// lines otherwise. No curses: the dashboard redraws in place with a handful of escape
// sequences, in one write per frame.
//
// Threads: the main thread alone calls these.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "broker_metrics.hpp"
#include "nation_view.hpp"
#include "promises.hpp"

namespace demo {

/// Everything one refresh shows.
struct Frame {
  double elapsed_s = 0;
  std::optional<double> duration_s;  // nullopt: until Ctrl-C
  std::string endpoint;              // the broker's
  std::string policy_file;
  std::vector<ViewSnapshot> views;  // in scenario order (COL, ECU, PER, BRA)
  std::optional<BrokerMetrics> metrics;
  std::vector<Promise> promises;
  bool final = false;  // the last frame, after everything stopped
};

class Display {
 public:
  virtual ~Display() = default;
  virtual void show(const Frame& frame) = 0;
  /// Leaves the terminal ready for ordinary output (cursor visible, below the frame).
  virtual void finish() = 0;
};

/// The ANSI dashboard (`ansi`) or the plain line log.
std::unique_ptr<Display> make_display(bool ansi);

/// What the demo prints after stopping.
struct Summary {
  double elapsed_s = 0;
  std::map<std::string, std::uint64_t> published;  // by nation, from the demo's systems
  std::vector<ViewSnapshot> views;
  std::optional<BrokerMetrics> metrics;
  std::vector<Promise> promises;
  std::string state_dir;
  std::string broker_end;  // how the broker process ended
  /// One line per gateway process: what it decoded and published, how it ended.
  std::vector<std::string> gateways;
  /// "system: n refused, last: ..." for every simulated system the broker refused something.
  std::vector<std::string> system_refusals;
};

void print_summary(const Summary& summary, bool ansi);

/// Number of terminal columns of UTF-8 `text` (one per code point: the demo prints no
/// wide characters).
std::size_t display_width(std::string_view text) noexcept;

}  // namespace demo
