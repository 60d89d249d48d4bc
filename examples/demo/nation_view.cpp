#include "nation_view.hpp"

#include <fmt/format.h>

#include <cctype>

namespace demo {
namespace {

namespace wire = enlace::wire;

Kind kind_of(wire::Payload type) noexcept {
  switch (type) {
    case wire::Payload::PositionReport:
      return Kind::position;
    case wire::Payload::Track:
      return Kind::track;
    case wire::Payload::Detection:
      return Kind::detection;
    case wire::Payload::Alert:
      return Kind::alert;
    case wire::Payload::SpotReport:
      return Kind::spot;
    case wire::Payload::Text:
      return Kind::text;
    default:
      return Kind::other;
  }
}

std::string str(const flatbuffers::String* s) {
  return s ? s->str() : std::string();
}

std::optional<geo::Point> point_of(const wire::Position* position) {
  if (position == nullptr || position->point() == nullptr) return std::nullopt;
  return geo::Point{position->point()->lat_deg(), position->point()->lon_deg()};
}

std::optional<std::pair<double, double>> motion_of(const wire::Motion* motion) {
  if (motion == nullptr) return std::nullopt;
  return std::pair<double, double>{motion->speed_mps(), motion->course_deg()};
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The topic without its last token: the "source" part the self-check counts by.
std::string stem_of(std::string_view topic) {
  const auto dot = topic.rfind('.');
  return std::string(dot == std::string_view::npos ? topic : topic.substr(0, dot));
}

}  // namespace

std::string_view kind_label(Kind kind) noexcept {
  switch (kind) {
    case Kind::position:
      return "pos";
    case Kind::track:
      return "trk";
    case Kind::detection:
      return "det";
    case Kind::alert:
      return "alert";
    case Kind::spot:
      return "spot";
    case Kind::text:
      return "text";
    case Kind::other:
      return "other";
  }
  return "?";
}

std::uint64_t ViewSnapshot::count(std::string_view pattern,
                                  std::optional<std::string_view> released) const {
  std::uint64_t n = 0;
  for (const auto& [key, count] : by_stem) {
    if (released && key.second != *released) continue;
    // Any last token will do: the stem decides whether the pattern matches.
    if (enlace::topic::matches(pattern, key.first + ".x")) n += count;
  }
  return n;
}

bool ViewSnapshot::refused(std::string_view code) const {
  for (const auto& r : refusals) {
    if (r.code == code) return true;
  }
  return false;
}

NationView::NationView(std::string nation, std::string system, std::string role) {
  data_.nation = std::move(nation);
  data_.system = std::move(system);
  data_.role = std::move(role);
}

void NationView::record(const enlace::Delivery& delivery) {
  // Decode outside the lock; the delivery is only valid during this call.
  const Kind kind = kind_of(delivery.payload_type());
  const std::string origin(delivery.origin_nation());
  const std::string source(delivery.origin_system());
  const std::string released = delivery.releasable_to();
  const std::string stem = stem_of(delivery.topic());
  const bool from_snapshot = delivery.from_snapshot();

  PictureItem item;
  ReportItem report;
  bool is_report = false;
  std::optional<std::pair<std::uint32_t, VesselItem>> vessel;
  switch (kind) {
    case Kind::position: {
      const auto* p = delivery.as<wire::PositionReport>();
      item.name = p->callsign() ? p->callsign()->str() : p->unit_id()->str();
      item.point = point_of(p->position());
      item.motion = motion_of(p->motion());
      item.detail = lower(wire::EnumNameUnitStatus(p->status()));
      break;
    }
    case Kind::track: {
      const auto* t = delivery.as<wire::Track>();
      item.name = t->name() ? t->name()->str() : t->track_id()->str();
      item.point = point_of(t->position());
      item.motion = motion_of(t->motion());
      item.detail = lower(wire::EnumNameStandardIdentity(t->identity()));
      if (t->external_id()) {
        item.detail = fmt::format("MMSI {} {}", t->external_id()->string_view(), item.detail);
      }
      if (t->vessel() && t->vessel()->mmsi() != 0) {
        vessel.emplace(t->vessel()->mmsi(),
                       VesselItem{str(t->name()),
                                  lower(wire::EnumNameStandardIdentity(t->identity())), source, 0});
      }
      break;
    }
    case Kind::detection: {
      const auto* d = delivery.as<wire::Detection>();
      item.name = d->detection_id()->str();
      item.point = point_of(d->position());
      item.detail = fmt::format("{} {:.0f}%{}", lower(wire::EnumNameContactKind(d->kind())),
                                d->confidence() * 100, d->media_uri() ? " +media" : "");
      break;
    }
    case Kind::alert: {
      const auto* a = delivery.as<wire::Alert>();
      is_report = true;
      report.watch_list = a->category() == wire::AlertCategory::WatchListHit;
      report.severity = wire::EnumNameAlertSeverity(a->severity());
      report.title = str(a->title());
      break;
    }
    case Kind::spot: {
      const auto* s = delivery.as<wire::SpotReport>();
      is_report = true;
      report.title = fmt::format("SALUTE {}, {} ({})", str(s->size()), str(s->activity()),
                                 str(s->location_text()));
      break;
    }
    case Kind::text: {
      const auto* t = delivery.as<wire::Text>();
      is_report = true;
      report.title = fmt::format("\"{}\"", t->body()->string_view());
      break;
    }
    case Kind::other:
      break;
  }

  std::lock_guard lock(mutex_);
  ++data_.received;
  ++data_.by_kind[static_cast<std::size_t>(kind)];
  ++data_.by_origin[origin];
  ++data_.by_stem[{stem, released}];
  if (from_snapshot) {
    ++data_.snapshot_received;
    ++data_.snapshot_by_stem[{stem, released}];
  }
  if (kind == Kind::alert) data_.alert_times[stem].push_back(delivery.receive_time_ns());
  if (vessel) {
    VesselItem& known = data_.vessels[vessel->first];
    if (!vessel->second.name.empty()) known.name = vessel->second.name;
    known.identity = vessel->second.identity;
    known.source = vessel->second.source;
    ++known.tracks;
  }
  if (is_report) {
    report.seq = ++next_seq_;
    report.kind = kind;
    report.origin = origin;
    report.released = released;
    report.at_ns = delivery.receive_time_ns();
    data_.reports.insert(data_.reports.begin(), std::move(report));
    if (data_.reports.size() > kMaxReports) data_.reports.pop_back();
  } else if (kind != Kind::other) {
    Source& entry = picture_[{kind, source}];
    entry.names.insert(item.name);
    item.kind = kind;
    item.origin = origin;
    item.source = source;
    item.released = released;
    item.updates = entry.latest.updates + 1;
    item.distinct = entry.names.size();
    item.from_snapshot = from_snapshot;
    entry.latest = std::move(item);
  }
}

void NationView::record_subscription(std::string pattern) {
  std::lock_guard lock(mutex_);
  data_.subscriptions.push_back(std::move(pattern));
}

void NationView::record_refusal(std::string what, const enlace::ErrorInfo& error) {
  std::lock_guard lock(mutex_);
  data_.refusals.push_back(
      {++next_seq_, std::move(what), std::string(enlace::to_string(error.code)), error.reason});
}

void NationView::record_joins_late(double at_s) {
  std::lock_guard lock(mutex_);
  data_.joins_at_s = at_s;
}

void NationView::record_joined(double at_s, std::int64_t utc_ns) {
  std::lock_guard lock(mutex_);
  data_.joined_at_s = at_s;
  data_.joined_ns = utc_ns;
}

void NationView::record_snapshot_end(std::string pattern, std::uint32_t count, double ms) {
  std::lock_guard lock(mutex_);
  data_.snapshot_ends.push_back({++next_seq_, std::move(pattern), count, ms, picture_locked()});
}

std::vector<PictureItem> NationView::picture_locked() const {
  std::vector<PictureItem> out;
  out.reserve(picture_.size());
  for (const auto& [key, entry] : picture_) out.push_back(entry.latest);
  return out;
}

ViewSnapshot NationView::snapshot() const {
  std::lock_guard lock(mutex_);
  ViewSnapshot copy = data_;
  copy.picture = picture_locked();
  return copy;
}

}  // namespace demo
