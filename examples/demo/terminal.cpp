#include "terminal.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <optional>
#include <set>

#include "geo.hpp"
#include "scenario.hpp"

namespace demo {
namespace {

// --- styled text ----------------------------------------------------------------------------

// SGR parameters.
constexpr std::string_view kBold = "1";
constexpr std::string_view kDim = "2";
constexpr std::string_view kRed = "1;31";
constexpr std::string_view kGreen = "32";
constexpr std::string_view kYellow = "33";

std::string_view nation_style(std::string_view code) {
  if (code == "COL") return "1;33";
  if (code == "ECU") return "1;36";
  if (code == "PER") return "1;31";
  if (code == "BRA") return "1;32";
  return kBold;
}

// Bytes of the first `columns` code points of `text`.
std::size_t prefix_bytes(std::string_view text, std::size_t columns) {
  std::size_t i = 0, seen = 0;
  while (i < text.size()) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      if (seen == columns) break;
      ++seen;
    }
    ++i;
  }
  return i;
}

// A line of styled segments that can be cut or padded to an exact width.
class Line {
 public:
  Line& add(std::string_view text, std::string_view style = {}) {
    if (!text.empty()) segments_.push_back({std::string(text), std::string(style)});
    return *this;
  }
  std::size_t width() const {
    std::size_t w = 0;
    for (const auto& s : segments_) w += display_width(s.text);
    return w;
  }
  // Exactly `width` columns: cut with an ellipsis, or padded with spaces.
  std::string render(std::size_t width, bool ansi) const {
    const bool cut = this->width() > width;
    std::size_t room = cut && width > 0 ? width - 1 : width;
    std::string out;
    for (const auto& s : segments_) {
      if (room == 0) break;
      const std::size_t w = display_width(s.text);
      const std::string_view text =
          w <= room ? std::string_view(s.text)
                    : std::string_view(s.text).substr(0, prefix_bytes(s.text, room));
      room -= std::min(w, room);
      if (ansi && !s.style.empty()) {
        out += fmt::format("\x1b[{}m{}\x1b[0m", s.style, text);
      } else {
        out += text;
      }
    }
    if (cut && width > 0) out += "…";
    const std::size_t used = display_width(ansi ? strip(out) : out);
    if (used < width) out.append(width - used, ' ');
    return out;
  }
  std::string plain() const {
    std::string out;
    for (const auto& s : segments_) out += s.text;
    return out;
  }

 private:
  static std::string strip(const std::string& text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\x1b') {
        while (i < text.size() && text[i] != 'm') ++i;
        continue;
      }
      out += text[i];
    }
    return out;
  }

  struct Segment {
    std::string text;
    std::string style;
  };
  std::vector<Segment> segments_;
};

// `left` cut to leave room for `right`, which ends at column `width`.
std::string two_sided(const Line& left, const Line& right, std::size_t width, bool ansi) {
  const std::size_t tail = std::min(right.width(), width);
  const std::size_t head = width > tail + 1 ? width - tail - 1 : 0;
  return left.render(head, ansi) + (head > 0 ? " " : "") + right.render(tail, ansi);
}

std::string pad(std::string_view text, std::size_t width) {
  std::string out(text);
  const std::size_t w = display_width(text);
  if (w < width) out.append(width - w, ' ');
  return out;
}

std::string utc_clock(std::int64_t ns) {
  const std::time_t seconds = static_cast<std::time_t>(ns / 1'000'000'000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[16];
  std::strftime(text, sizeof(text), "%H:%M:%SZ", &tm);
  return text;
}

std::string released_text(const std::string& released) {
  return released.empty() ? "by agreement" : "released to " + released;
}

std::string nation_name(std::string_view code) {
  for (const auto& n : kNations) {
    if (n.code == code) return std::string(n.name);
  }
  return std::string(code);
}

// --- pieces shared by both displays ------------------------------------------------------

Line kind_counts(const ViewSnapshot& v) {
  Line line;
  for (std::size_t k = 0; k + 1 < kKinds; ++k) {
    line.add(kind_label(static_cast<Kind>(k)), kDim).add(" ");
    line.add(fmt::format("{}", v.by_kind[k]), v.by_kind[k] ? kBold : kDim).add("  ");
  }
  return line;
}

Line origin_counts(const ViewSnapshot& v) {
  Line line;
  line.add("from", kDim);
  bool any = false;
  for (const auto& n : kNations) {
    const auto it = v.by_origin.find(std::string(n.code));
    if (it == v.by_origin.end()) continue;
    line.add(" ").add(n.code, nation_style(n.code)).add(fmt::format(" {} ", it->second));
    any = true;
  }
  if (!any) line.add(" nobody yet", kDim);
  return line;
}

std::size_t nation_rank(std::string_view code) {
  for (std::size_t i = 0; i < kNations.size(); ++i) {
    if (kNations[i].code == code) return i;
  }
  return kNations.size();
}

std::vector<PictureItem> ordered_picture(const ViewSnapshot& v) {
  std::vector<PictureItem> items = v.picture;
  std::stable_sort(items.begin(), items.end(), [](const PictureItem& a, const PictureItem& b) {
    if (a.kind != b.kind) return a.kind < b.kind;
    if (a.origin != b.origin) return nation_rank(a.origin) < nation_rank(b.origin);
    return a.source < b.source;
  });
  return items;
}

Line picture_line(const PictureItem& item) {
  Line line;
  line.add(item.origin, nation_style(item.origin)).add(" ");
  line.add(pad(kind_label(item.kind), 4), kDim);
  line.add(pad(item.name, 14), kBold).add(" ");
  line.add(pad(item.point ? geo::format(*item.point) : "", 19));
  line.add(item.motion
               ? fmt::format("{:4.1f} m/s {:03.0f}° ", item.motion->first, item.motion->second)
               : std::string());
  if (!item.released.empty()) line.add("to " + item.released + " ", kYellow);
  line.add(item.detail, kDim);
  if (item.from_snapshot) line.add(" (from the COP snapshot)", kDim);
  return line;
}

// What the snapshots brought, e.g. "2 cached (track.> 2) in 0.3 ms".
std::string snapshot_text(const ViewSnapshot& v) {
  std::uint64_t total = 0;
  double ms = 0;
  std::string parts;
  for (const SnapshotEnd& end : v.snapshot_ends) {
    total += end.count;
    ms = std::max(ms, end.ms);
    if (end.count > 0)
      parts += fmt::format("{}{} {}", parts.empty() ? "" : ", ", end.pattern, end.count);
  }
  return fmt::format("{} cached{} in {:.1f} ms", total, parts.empty() ? "" : " (" + parts + ")",
                     ms);
}

// For a post that joins late: that it waits, or when it joined and what its snapshot
// brought. Nothing for a post that joined with the others.
std::optional<Line> late_join_line(const ViewSnapshot& v) {
  if (!v.joins_at_s) return std::nullopt;
  Line line;
  if (!v.joined_at_s) {
    line.add(fmt::format("waiting: joins late, at t+{:g}s; not connected yet", *v.joins_at_s),
             kYellow);
  } else {
    line.add(fmt::format("joined late at t+{:.1f}s", *v.joined_at_s), kYellow);
    line.add(v.snapshot_ends.empty() ? "; snapshot under way" : "; snapshot: " + snapshot_text(v),
             kDim);
  }
  return line;
}

Line refusal_line(const RefusalItem& r) {
  Line line;
  line.add("✗ ", kRed).add(r.what, kBold).add(" refused: ", kRed).add(r.code, kRed);
  line.add(" - " + r.reason, kDim);
  return line;
}

// Refused requests by error code. The broker also counts the shutting_down notice it sends
// every session when it stops; that refuses nothing, so it is left out.
std::string count_list(const std::map<std::string, std::uint64_t, std::less<>>& counts) {
  std::string out;
  for (const auto& [name, n] : counts) {
    if (n == 0 || name == "shutting_down") continue;
    out += fmt::format("{}{} {}", out.empty() ? "" : ", ", name, n);
  }
  return out.empty() ? "none" : out;
}

Line broker_line(const Frame& f) {
  Line line;
  line.add("BROKER", kBold).add(fmt::format(" {}  ", f.endpoint));
  if (!f.metrics) return line.add("(no counters yet)", kDim);
  const BrokerMetrics& m = *f.metrics;
  line.add(fmt::format("{}", m.counter("published")), kBold).add(" published  ");
  line.add(fmt::format("{}", m.counter("deliveries")), kBold).add(" delivered  ");
  line.add(fmt::format("{}", m.counter("denied_by_audience")), kBold).add(" withheld by policy  ");
  line.add("handshakes refused ").add(fmt::format("{}", m.counter("auth_refused")), kBold);
  line.add("  COP cache ").add(fmt::format("{}", m.counter("cop_entries")), kBold).add(" topics");
  return line;
}

Line refusal_counts_line(const Frame& f) {
  Line line;
  line.add("refused requests: ", kDim);
  if (f.metrics) line.add(count_list(f.metrics->refusals), kRed);
  return line;
}

// Deliveries by origin (rows) and receiving nation (columns).
std::vector<Line> delivery_matrix(const Frame& f) {
  std::vector<Line> lines;
  Line head;
  head.add("deliveries  from\\to", kDim);
  for (const auto& to : kNations) head.add(fmt::format("{:>8}", to.code), nation_style(to.code));
  lines.push_back(head);
  for (const auto& from : kNations) {
    Line row;
    row.add(fmt::format("{:>19}", from.code), nation_style(from.code));
    for (const auto& to : kNations) {
      std::uint64_t n = 0;
      if (f.metrics) {
        const auto it = f.metrics->delivered.find({std::string(from.code), std::string(to.code)});
        if (it != f.metrics->delivered.end()) n = it->second;
      }
      row.add(fmt::format("{:>8}", n), n ? std::string_view() : kDim);
    }
    lines.push_back(row);
  }
  return lines;
}

Line subscriptions_line(const ViewSnapshot& v) {
  Line line;
  line.add("subscribed", kDim);
  for (const auto& pattern : v.subscriptions) line.add(" " + pattern);
  if (v.subscriptions.empty()) line.add(" to nothing", kDim);
  return line;
}

// Up to `n` reports: alerts first (the newest first), then spot reports, then chat, so
// that a burst of chat never hides an alert.
std::vector<const ReportItem*> reports_to_show(const ViewSnapshot& v, std::size_t n) {
  std::vector<const ReportItem*> out;
  for (const Kind kind : {Kind::alert, Kind::spot, Kind::text}) {
    for (const auto& r : v.reports) {
      if (out.size() == n) return out;
      if (r.kind == kind) out.push_back(&r);
    }
  }
  return out;
}

std::string report_line(const ReportItem& r, std::size_t width, bool ansi) {
  Line left;
  left.add(utc_clock(r.at_ns), kDim).add(" ").add(r.origin, nation_style(r.origin)).add(" ");
  left.add(pad(kind_label(r.kind), 6), kDim);
  const bool urgent = r.severity == "High" || r.severity == "Critical";
  left.add(r.title, r.watch_list || urgent ? kRed : std::string_view());
  Line right;
  right.add(r.released.empty() ? "agreement" : "to " + r.released,
            r.released.empty() ? kDim : kYellow);
  return two_sided(left, right, width, ansi);
}

const char* mark(PromiseState state, bool ansi) {
  switch (state) {
    case PromiseState::held:
      return ansi ? "✓" : "[held]   ";
    case PromiseState::pending:
      return ansi ? "…" : "[pending]";
    case PromiseState::broken:
      return ansi ? "✗" : "[BROKEN] ";
  }
  return "?";
}

Line promise_line(const Promise& p, bool ansi) {
  Line line;
  const std::string_view style = p.state == PromiseState::held     ? kGreen
                                 : p.state == PromiseState::broken ? kRed
                                                                   : kDim;
  line.add(mark(p.state, ansi), style).add(" ").add(p.what);
  line.add(" - " + p.because, kDim);
  if (p.state != PromiseState::held && !p.problem.empty()) line.add(" (" + p.problem + ")", style);
  if (p.state == PromiseState::held && !p.evidence.empty()) line.add(" (" + p.evidence + ")", kDim);
  return line;
}

std::string promise_tally(const std::vector<Promise>& promises) {
  int held = 0, pending = 0, broken = 0;
  for (const auto& p : promises) {
    (p.state == PromiseState::held ? held : p.state == PromiseState::pending ? pending : broken)++;
  }
  return fmt::format("{} held, {} pending, {} broken", held, pending, broken);
}

// --- the ANSI dashboard --------------------------------------------------------------------

class Dashboard : public Display {
 public:
  Dashboard() { std::fputs("\x1b[?25l\x1b[2J", stdout); }  // hide the cursor, clear once
  ~Dashboard() override {
    if (!finished_) finish();  // an error unwound past the main loop: give the cursor back
  }

  void show(const Frame& f) override {
    winsize size{};
    std::size_t cols = 100, rows = 48;
    if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) {
      // Below 40 columns nothing is legible anyway; the frame is cut to the screen.
      cols = std::max<std::size_t>(size.ws_col, 40);
      rows = size.ws_row;
    }
    std::vector<std::string> out = render(f, cols, rows);
    if (out.size() > rows) out.resize(rows);
    std::string frame = "\x1b[H";
    for (std::size_t i = 0; i < out.size(); ++i) {
      frame += out[i];
      frame += "\x1b[K";
      if (i + 1 < out.size()) frame += '\n';
    }
    frame += "\x1b[J";
    std::fwrite(frame.data(), 1, frame.size(), stdout);
    std::fflush(stdout);
  }

  void finish() override {
    std::fputs("\n\x1b[?25h", stdout);
    std::fflush(stdout);
    finished_ = true;
  }

 private:
  // The frame for a terminal of `cols` x `rows`. Space goes, in order, to: the header,
  // each panel's title and counts, the broker's counters, the policy promises (in full, or
  // as one tally line on a small terminal), then the panels' contents, and last the
  // delivery matrix.
  std::vector<std::string> render(const Frame& f, std::size_t cols, std::size_t rows) const {
    const bool two_columns = cols >= 2 * kMinPanel + 1;
    const std::size_t panel_width =
        two_columns ? std::min((cols - 1) / 2, kMaxPanel) : std::min(cols, kMaxPanel + 20);
    const std::size_t panel_rows = two_columns ? 2 : 4;

    const std::vector<Line> broker = {broker_line(f), refusal_counts_line(f)};
    const std::size_t fixed = 1 + panel_rows * kPanelBase + 1 + broker.size();
    std::size_t left = rows > fixed ? rows - fixed : 0;
    std::vector<Line> footer;
    if (left >= 2 + f.promises.size() + panel_rows * 3) {
      footer.push_back(Line()
                           .add("WHY THE VIEWS DIFFER", kBold)
                           .add("  what policy.toml promises, checked live against what each "
                                "command post received",
                                kDim));
      for (const auto& p : f.promises) footer.push_back(promise_line(p, true));
      left -= 1 + footer.size();
    } else {
      Line tally;
      tally.add("POLICY PROMISES ", kBold).add(promise_tally(f.promises));
      for (const auto& p : f.promises) {
        if (p.state == PromiseState::broken) tally.add(" - broken: " + p.what, kRed);
      }
      tally.add("  (a taller terminal shows them all)", kDim);
      footer.push_back(tally);
      left -= std::min<std::size_t>(left, 1);
    }
    std::vector<Line> matrix = delivery_matrix(f);
    if (left >= matrix.size() + panel_rows * 9) {
      left -= matrix.size();
    } else {
      matrix.clear();
    }
    const std::size_t panel_height = kPanelBase + std::min<std::size_t>(left / panel_rows, 14);

    std::vector<std::string> out;
    Line header;
    header.add("ENLACE DEMO", kBold).add("  ").add(kCoalitionName);
    header.add(fmt::format("  t+{:.0f}s", f.elapsed_s));
    if (f.duration_s) header.add(fmt::format(" of {:.0f}s", *f.duration_s));
    header.add("  policy ", kDim).add(f.policy_file);
    header.add(f.final ? "  stopped" : "  Ctrl-C stops", kDim);
    out.push_back(header.render(cols, true));

    std::vector<std::vector<std::string>> panels;
    for (const auto& v : f.views) panels.push_back(panel(v, panel_width, panel_height));
    for (std::size_t i = 0; i < panels.size(); i += two_columns ? 2 : 1) {
      for (std::size_t r = 0; r < panel_height; ++r) {
        std::string line = panels[i][r];
        if (two_columns && i + 1 < panels.size()) line += " " + panels[i + 1][r];
        out.push_back(std::move(line));
      }
    }
    out.emplace_back();
    for (const auto& line : broker) out.push_back(line.render(cols, true));
    for (const auto& line : matrix) out.push_back(line.render(cols, true));
    if (footer.size() > 1) out.emplace_back();
    for (const auto& line : footer) out.push_back(line.render(cols, true));
    return out;
  }

  // One nation's panel: exactly `height` lines of exactly `width` columns.
  static std::vector<std::string> panel(const ViewSnapshot& v, std::size_t width,
                                        std::size_t height) {
    const std::size_t inner = width - 4;
    std::vector<std::string> body;
    const auto add = [&](const std::string& text) { body.push_back("│ " + text + " │"); };
    add(kind_counts(v).render(inner, true));
    add(origin_counts(v).render(inner, true));

    // Lines beyond the title, the counts and the border, given out by importance: the
    // latest refusal, two reports, the picture, more reports, the subscriptions.
    std::size_t room = height - kPanelBase;
    const auto take = [&](std::size_t wanted) {
      const std::size_t n = std::min(wanted, room);
      room -= n;
      return n;
    };
    const std::optional<Line> late = late_join_line(v);
    const std::size_t late_lines = take(late ? 1 : 0);
    const std::size_t refusals = take(v.refusals.empty() ? 0 : 1);
    std::size_t report_count = take(std::min<std::size_t>(v.reports.size(), 2));
    const auto picture = ordered_picture(v);
    const std::size_t picture_count = take(picture.size());
    report_count += take(v.reports.size() - report_count);
    const bool subscriptions = take(1) == 1;

    if (late_lines > 0) add(late->render(inner, true));
    if (subscriptions) add(subscriptions_line(v).render(inner, true));
    for (std::size_t i = 0; i < picture_count; ++i)
      add(picture_line(picture[i]).render(inner, true));
    for (const ReportItem* r : reports_to_show(v, report_count)) add(report_line(*r, inner, true));
    if (refusals > 0) add(refusal_line(v.refusals.back()).render(inner, true));
    if (v.received == 0 && !(v.joins_at_s && !v.joined_at_s) && body.size() + 2 < height) {
      add(Line().add("nothing received yet", kDim).render(inner, true));
    }
    while (body.size() < height - 2) add(std::string(inner, ' '));

    // ┌─ COL Colombia · col-cp-leguizamo (command_post) ───── 1234 received ─┐
    Line title;
    title.add("┌─ ").add(v.nation, nation_style(v.nation)).add(" " + nation_name(v.nation), kBold);
    title.add(fmt::format(" · {} ({}) ", v.system, v.role), kDim);
    const std::string right = v.joins_at_s && !v.joined_at_s
                                  ? std::string(" waiting ─┐")
                                  : fmt::format(" {} received ─┐", v.received);
    const std::size_t title_room = width - display_width(right);
    const std::size_t shown = std::min(title.width(), title_room);
    std::string top = title.render(shown, true);
    for (std::size_t i = shown; i < title_room; ++i) top += "─";
    top += right;

    std::string bottom = "└";
    for (std::size_t i = 2; i < width; ++i) bottom += "─";
    bottom += "┘";

    std::vector<std::string> lines;
    lines.push_back(std::move(top));
    for (auto& line : body) lines.push_back(std::move(line));
    lines.resize(height - 1);
    lines.push_back(std::move(bottom));
    return lines;
  }

  static constexpr std::size_t kMinPanel = 58;
  static constexpr std::size_t kPanelBase = 4;  // borders and the two count lines
  static constexpr std::size_t kMaxPanel = 100;
  bool finished_ = false;
};

// --- the plain log -------------------------------------------------------------------------

class PlainLog : public Display {
 public:
  void show(const Frame& f) override {
    const std::string stamp = fmt::format("[{:6.1f}s]", f.elapsed_s);
    for (const auto& v : f.views) {
      std::uint64_t& last = last_seq_[v.nation];
      std::uint64_t newest = last;
      // Reports are kept newest first; print them oldest first.
      for (auto it = v.reports.rbegin(); it != v.reports.rend(); ++it) {
        if (it->seq <= last) continue;
        fmt::print("{} {} received {} from {} ({}): {}{}\n", stamp, v.nation, kind_label(it->kind),
                   it->origin, released_text(it->released),
                   it->severity.empty() ? "" : it->severity + ": ", it->title);
        newest = std::max(newest, it->seq);
      }
      for (const auto& r : v.refusals) {
        if (r.seq <= last) continue;
        fmt::print("{} {} refused: {} ({}: {})\n", stamp, v.nation, r.what, r.code, r.reason);
        newest = std::max(newest, r.seq);
      }
      if (v.joins_at_s && v.joined_at_s && joined_.insert(v.nation).second) {
        fmt::print(
            "{} {} joined late, at t+{:.1f}s: {} is on the bus, subscribed with COP "
            "snapshots\n",
            stamp, v.nation, *v.joined_at_s, v.system);
      }
      for (const auto& end : v.snapshot_ends) {
        if (end.seq <= last || !v.joins_at_s) continue;
        std::size_t tracks = 0, units = 0;
        for (const auto& item : end.picture) {
          if (item.kind == Kind::track) tracks += item.distinct;
          if (item.kind == Kind::position) units += item.distinct;
        }
        fmt::print(
            "{} {} snapshot of {} ended: {} cached message{} in {:.1f} ms; its picture "
            "then held {} track{} and {} unit{}\n",
            stamp, v.nation, end.pattern, end.count, end.count == 1 ? "" : "s", end.ms, tracks,
            tracks == 1 ? "" : "s", units, units == 1 ? "" : "s");
        newest = std::max(newest, end.seq);
      }
      last = newest;
    }
    if (f.final || f.elapsed_s >= next_status_s_) {
      status(f, stamp);
      while (next_status_s_ <= f.elapsed_s) next_status_s_ += kStatusEvery;
    }
    std::fflush(stdout);
  }

  void finish() override { std::fflush(stdout); }

 private:
  static void status(const Frame& f, const std::string& stamp) {
    for (const auto& v : f.views) {
      if (v.joins_at_s && !v.joined_at_s) {
        fmt::print("{} {} view: waiting, not connected until t+{:g}s (joins late)\n", stamp,
                   v.nation, *v.joins_at_s);
        continue;
      }
      fmt::print("{} {} view: {} received | {}| {}\n", stamp, v.nation, v.received,
                 kind_counts(v).plain(), origin_counts(v).plain());
      if (f.final) {
        for (const auto& item : ordered_picture(v)) {
          fmt::print("{}     {}\n", stamp, picture_line(item).plain());
        }
      }
    }
    fmt::print("{} {} | {}\n", stamp, broker_line(f).plain(), refusal_counts_line(f).plain());
    if (f.final) {
      for (const auto& line : delivery_matrix(f)) fmt::print("{}   {}\n", stamp, line.plain());
      fmt::print("{} why the views differ (policy promises):\n", stamp);
      for (const auto& p : f.promises)
        fmt::print("{}   {}\n", stamp, promise_line(p, false).plain());
    } else {
      fmt::print("{} policy promises: {}\n", stamp, promise_tally(f.promises));
    }
  }

  static constexpr double kStatusEvery = 5.0;
  std::map<std::string, std::uint64_t> last_seq_;
  std::set<std::string> joined_;  // late joiners whose arrival was printed
  double next_status_s_ = kStatusEvery;
};

}  // namespace

std::size_t display_width(std::string_view text) noexcept {
  std::size_t n = 0;
  for (const char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

std::unique_ptr<Display> make_display(bool ansi) {
  if (ansi) return std::make_unique<Dashboard>();
  return std::make_unique<PlainLog>();
}

void print_summary(const Summary& s, bool ansi) {
  const auto bold = [&](const std::string& text) {
    return ansi ? fmt::format("\x1b[1m{}\x1b[0m", text) : text;
  };
  fmt::print("\n{}\n", bold(fmt::format("Summary: {} ran {:.1f} s", kCoalitionName, s.elapsed_s)));
  fmt::print("  nation  published  received  received from\n");
  for (const auto& v : s.views) {
    const auto published = s.published.count(v.nation) ? s.published.at(v.nation) : 0;
    fmt::print("  {:<6}  {:>9}  {:>8}  {}\n", v.nation, published, v.received,
               origin_counts(v).plain().substr(5));
  }
  if (s.metrics) {
    const BrokerMetrics& m = *s.metrics;
    fmt::print(
        "  broker: {} published, {} delivered, {} withheld by policy, handshakes refused "
        "{}; refused requests: {}\n",
        m.counter("published"), m.counter("deliveries"), m.counter("denied_by_audience"),
        m.counter("auth_refused"), count_list(m.refusals));
  }
  fmt::print("  broker process: {}\n", s.broker_end);
  for (const auto& line : s.gateways) fmt::print("  {}\n", line);
  for (const auto& line : s.system_refusals) fmt::print("  {}\n", line);
  std::size_t held = 0;
  for (const auto& p : s.promises) held += p.state == PromiseState::held;
  if (held == s.promises.size()) {
    fmt::print("  self-check: all {} policy promises held\n", s.promises.size());
    for (const auto& p : s.promises) {
      if (!p.evidence.empty())
        fmt::print("    {} {}: {}\n", mark(p.state, ansi), p.what, p.evidence);
    }
  } else {
    fmt::print("  self-check: {} of {} policy promises held; not held:\n", held, s.promises.size());
    for (const auto& p : s.promises) {
      if (p.state != PromiseState::held) {
        fmt::print("    {} {}: {}\n", mark(p.state, ansi), p.what, p.problem);
      }
    }
  }
  fmt::print(
      "State kept in {}/ (policy.toml, keys/, broker.log, gateways/): the next run reuses it; "
      "--reset starts afresh.\n",
      s.state_dir);
  std::fflush(stdout);
}

}  // namespace demo
