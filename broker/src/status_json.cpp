// /status: one JSON document, like nats-server's /varz and /connz together: the broker
// (version, uptime, endpoint), the policy in force, totals, and one row per session.
// HTTP thread, from a StatusSnapshot. Every string is escaped: system ids and nation codes
// come from the policy, but the remote address and the file name do not.
#include <fmt/format.h>

#include <initializer_list>
#include <utility>
#include <vector>

#include "status_snapshot.hpp"

namespace enlace::broker {
namespace {

void json_string(std::string& out, std::string_view text) {
  out += '"';
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      fmt::format_to(std::back_inserter(out), "\\u{:04x}", u);
    } else {
      out += c;
    }
  }
  out += '"';
}

// RFC 3339 UTC with milliseconds.
std::string utc_text(std::int64_t utc_ns) {
  const std::time_t seconds = static_cast<std::time_t>(utc_ns / 1'000'000'000);
  std::tm tm{};
  ::gmtime_r(&seconds, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (utc_ns / 1'000'000) % 1000);
}

void json_strings(std::string& out, const std::vector<std::string>& texts) {
  out += '[';
  for (std::size_t i = 0; i < texts.size(); ++i) {
    if (i > 0) out += ',';
    json_string(out, texts[i]);
  }
  out += ']';
}

// "last_reload": what `enlace broker reload` waits for and prints (docs/operations.md).
void render_last_reload(std::string& out, const ReloadOutcome& r) {
  const char* outcome = r.sequence == 0 ? "none" : r.applied ? "applied" : "refused";
  fmt::format_to(std::back_inserter(out), ",\"last_reload\":{{\"sequence\":{},\"outcome\":\"{}\"",
                 r.sequence, outcome);
  if (r.sequence == 0) {
    out += '}';
    return;
  }
  out += ",\"time\":";
  json_string(out, utc_text(r.utc_ns));
  out += ",\"digest\":";
  json_string(out, r.digest);
  out += ",\"previous_digest\":";
  json_string(out, r.previous_digest);
  fmt::format_to(std::back_inserter(out), ",\"sessions_ended\":{},\"subscriptions_removed\":{}",
                 r.sessions_ended, r.subscriptions_removed);
  out += ",\"changes\":{";
  bool first = true;
  for (const auto& [name, list] : r.changes.lists()) {
    if (!first) out += ',';
    first = false;
    json_string(out, name);
    out += ':';
    json_strings(out, *list);
  }
  out += "},\"errors\":[";
  for (std::size_t i = 0; i < r.errors.size(); ++i) {
    if (i > 0) out += ',';
    out += "{\"file\":";
    json_string(out, r.errors[i].where.file);
    fmt::format_to(std::back_inserter(out), ",\"line\":{},\"message\":", r.errors[i].where.line);
    json_string(out, r.errors[i].message);
    out += '}';
  }
  out += "]}";
}

}  // namespace

std::string render_status_json(const StatusSnapshot& s) {
  const Metrics& m = s.metrics;
  std::string out;
  out.reserve(1024 + 256 * s.sessions.size());
  // "name":"text" pairs, comma-separated, every text escaped.
  const auto strings =
      [&](std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
        bool first = true;
        for (const auto& [name, text] : fields) {
          if (!first) out += ',';
          first = false;
          json_string(out, name);
          out += ':';
          json_string(out, text);
        }
      };
  out += "{\"server\":{";
  strings({{"version", s.version},
           {"broker_id", s.broker_id},
           {"endpoint", s.endpoint},
           {"start_time", utc_text(s.started_utc_ns)},
           {"now", utc_text(s.taken_utc_ns)}});
  fmt::format_to(std::back_inserter(out), ",\"uptime_seconds\":{},\"ready\":{},\"pid\":{}}}",
                 static_cast<double>(s.uptime_ns) / 1e9, s.ready, s.pid);

  out += ",\"policy\":{";
  strings({{"coalition", s.policy->coalition()},
           {"digest", s.policy->digest()},
           {"file", s.policy_file.string()}});
  fmt::format_to(std::back_inserter(out),
                 ",\"systems\":{},\"reloads\":{},\"reload_failures\":{},\"nations\":[",
                 s.policy->systems().size(), m.policy_reloads, m.policy_reload_failures);
  bool first = true;
  for (const auto& nation : s.policy->nations()) {
    if (!first) out += ',';
    first = false;
    json_string(out, nation.code);
  }
  out += "]}";
  render_last_reload(out, *s.last_reload);

  const std::uint64_t dropped = m.dropped_slow_consumer + m.dropped_gone;
  fmt::format_to(std::back_inserter(out),
                 ",\"totals\":{{\"sessions\":{},\"sessions_detached\":{},\"subscriptions\":{},"
                 "\"published\":{},\"deliveries\":{},\"withheld\":{},\"dropped\":{},"
                 "\"refusals_answered\":{},\"handshakes_refused\":{}}}",
                 m.sessions_open, m.sessions_detached_now, m.subscriptions, m.published,
                 m.deliveries, m.denied_by_audience, dropped, m.errors_sent,
                 m.auth_refused + m.auth_refused_cooling);

  fmt::format_to(std::back_inserter(out), ",\"sessions_not_listed\":{},\"sessions\":[",
                 s.sessions_not_listed);
  first = true;
  for (const SessionRow& row : s.sessions) {
    if (!first) out += ',';
    first = false;
    fmt::format_to(std::back_inserter(out), "{{\"session_id\":{},", row.session_id);
    strings({{"nation", row.nation},
             {"system", row.system},
             {"role", row.role},
             {"remote_address", row.remote_address},
             {"connected_since", utc_text(row.connected_utc_ns)}});
    fmt::format_to(std::back_inserter(out),
                   ",\"subscriptions\":{},\"queue_bytes\":{},\"delivered\":{},\"dropped\":{},"
                   "\"frames_sent\":{},\"detached\":{}}}",
                   row.subscriptions, row.queue_bytes, row.delivered, row.dropped, row.frames_sent,
                   row.detached);
  }
  out += "]}\n";
  return out;
}

}  // namespace enlace::broker
