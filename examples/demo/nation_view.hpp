// What one nation's command post sees: the deliveries the broker let through to it,
// summarised for the terminal view and for the self-check.
//
// Threads: record() runs on the command post's Client I/O thread, the record_* calls on
// whichever thread learnt of the event; snapshot() on the display thread. One mutex,
// held only to copy.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "enlace/enlace.hpp"
#include "geo.hpp"

namespace demo {

enum class Kind : std::uint8_t { position, track, detection, alert, spot, text, other };
inline constexpr std::size_t kKinds = 7;
/// Short label: "pos", "trk", "det", "alert", "spot", "text", "other".
std::string_view kind_label(Kind kind) noexcept;

/// The latest state of one source as seen by this nation (the COP picture).
struct PictureItem {
  Kind kind = Kind::other;
  std::string origin;  // authenticated origin nation
  std::string source;  // authenticated origin system
  std::string name;    // unit callsign, track id / vessel name, detection id
  std::string detail;  // identity, kind, confidence...
  std::optional<geo::Point> point;
  std::optional<std::pair<double, double>> motion;  // speed m/s, course degrees true
  std::string released;                             // label's releasable_to, "" = by agreement
  std::uint64_t updates = 0;
  std::size_t distinct = 0;    // how many units / contacts this source reported so far
  bool from_snapshot = false;  // the latest update came from a COP snapshot, not live
};

/// An alert, spot report or chat message, newest first.
struct ReportItem {
  std::uint64_t seq = 0;  // per view, increasing: lets a log print each item once
  Kind kind = Kind::other;
  std::string origin;
  std::string title;
  std::string severity;    // alerts: "High", "Critical", ...
  std::string released;    // "" = by agreement
  std::int64_t at_ns = 0;  // broker receive time, UTC
  bool watch_list = false;
};

/// A vessel as this nation knows it from AIS tracks (merged: the name comes with static
/// data, which not every track carries).
struct VesselItem {
  std::string name;      // empty until a track carried it
  std::string identity;  // the latest track's standard identity, e.g. "unknown", "suspect"
  std::string source;    // authenticated origin system
  std::uint64_t tracks = 0;
};

/// Something the broker refused this command post.
struct RefusalItem {
  std::uint64_t seq = 0;
  std::string what;    // "subscribe position.>", "publish spot.ECU...."
  std::string code;    // e.g. "subscribe_denied"
  std::string reason;  // the broker's reason, naming the rule
};

/// A COP snapshot that ended (EndOfSnapshot): what the broker sent and what the view held
/// right then.
struct SnapshotEnd {
  std::uint64_t seq = 0;
  std::string pattern;               // the subscription's
  std::uint32_t count = 0;           // snapshot deliveries, as the broker counted them
  double ms = 0;                     // from sending the subscription to its end of snapshot
  std::vector<PictureItem> picture;  // the view's picture at that moment
};

struct ViewSnapshot {
  std::string nation;
  std::string system;
  std::string role;
  std::uint64_t received = 0;
  std::array<std::uint64_t, kKinds> by_kind{};
  std::map<std::string, std::uint64_t> by_origin;
  std::vector<PictureItem> picture;  // one per (kind, source system), in a stable order
  std::vector<ReportItem> reports;   // newest first, at most kMaxReports
  std::vector<RefusalItem> refusals;
  std::vector<std::string> subscriptions;  // patterns the broker granted
  /// Deliveries by (topic without its last token, releasable_to): what the self-check
  /// counts, e.g. {"detection.PER.drone.pd3", "ECU"}.
  std::map<std::pair<std::string, std::string>, std::uint64_t> by_stem;
  std::map<std::uint32_t, VesselItem> vessels;  // by MMSI, from tracks that carry one

  /// A command post that joins late: it is not connected until this many seconds after
  /// the start. nullopt: it joins with the others.
  std::optional<double> joins_at_s;
  /// Once its subscriptions are in place: when, in seconds after the start (0 for a post
  /// that joined before the start) and in UTC ns (the clock of the broker's receive times).
  std::optional<double> joined_at_s;
  std::int64_t joined_ns = 0;
  /// The deliveries that came from COP snapshots, by (stem, releasable_to) like by_stem
  /// (which counts them too).
  std::uint64_t snapshot_received = 0;
  std::map<std::pair<std::string, std::string>, std::uint64_t> snapshot_by_stem;
  std::vector<SnapshotEnd> snapshot_ends;  // in the order they ended
  /// The broker's receive times (UTC ns) of every alert received, by stem.
  std::map<std::string, std::vector<std::int64_t>> alert_times;

  /// Messages on topics matching `pattern`; with `released`, only those whose label
  /// says exactly that (e.g. "ECU"; "" for "by agreement").
  std::uint64_t count(std::string_view pattern,
                      std::optional<std::string_view> released = std::nullopt) const;
  bool refused(std::string_view code) const;
};

class NationView {
 public:
  static constexpr std::size_t kMaxReports = 24;

  NationView(std::string nation, std::string system, std::string role);

  void record(const enlace::Delivery& delivery);
  void record_subscription(std::string pattern);
  void record_refusal(std::string what, const enlace::ErrorInfo& error);
  /// Marks this post as one that joins late, `at_s` seconds after the start.
  void record_joins_late(double at_s);
  /// The post's subscriptions are in place, `at_s` seconds after the start.
  void record_joined(double at_s, std::int64_t utc_ns);
  /// On the I/O thread, from SubscribeOptions::on_snapshot_end: right after the snapshot's
  /// last delivery was recorded.
  void record_snapshot_end(std::string pattern, std::uint32_t count, double ms);

  ViewSnapshot snapshot() const;

 private:
  std::vector<PictureItem> picture_locked() const;

  mutable std::mutex mutex_;
  ViewSnapshot data_;
  std::uint64_t next_seq_ = 0;
  struct Source {
    PictureItem latest;
    std::set<std::string> names;
  };
  std::map<std::pair<Kind, std::string>, Source> picture_;  // by (kind, origin system)
};

}  // namespace demo
