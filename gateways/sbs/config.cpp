#include "sbs/config.hpp"

#include <fmt/format.h>

namespace enlace::gateway::sbs {

std::optional<std::chrono::nanoseconds> parse_utc_offset(std::string_view t) {
  if (t == "UTC" || t == "Z") return std::chrono::nanoseconds(0);
  if (t.size() != 6 || (t[0] != '+' && t[0] != '-') || t[3] != ':') return std::nullopt;
  for (const std::size_t i : {1, 2, 4, 5}) {
    if (t[i] < '0' || t[i] > '9') return std::nullopt;
  }
  const int hours = (t[1] - '0') * 10 + (t[2] - '0');
  const int minutes = (t[4] - '0') * 10 + (t[5] - '0');
  if (hours > 14 || minutes > 59) return std::nullopt;
  const auto offset = std::chrono::hours(hours) + std::chrono::minutes(minutes);
  return t[0] == '-' ? -offset : offset;
}

SbsConfig load_sbs_config(const std::string& path) {
  ConfigReader in(path);
  const toml::table& root = in.root();
  in.allow_only(root, "", {"bus", "sources", "gateway", "adsb"});
  SbsConfig config;
  config.bus = in.bus("enlace-sbs-gateway");
  config.sources = in.sources(
      {SourceKind::tcp_client, SourceKind::tcp_server, SourceKind::udp, SourceKind::file});
  for (const SourceConfig& s : config.sources) config.source_infos.push_back({s.name, s.receiver});
  if (const toml::table* t = in.table(root, "", "gateway")) {
    in.allow_only(*t, "gateway", {"stats_interval_s"});
    config.stats_interval =
        in.seconds(*t, "gateway", "stats_interval_s", 1, 86400).value_or(config.stats_interval);
  }
  SbsSettings& s = config.settings;
  if (const toml::table* t = in.table(root, "", "adsb")) {
    in.allow_only(*t, "adsb",
                  {"min_interval_s", "stale_s", "alert_stale_s", "clock", "utc_offset", "time_zone",
                   "max_aircraft", "forget_after_s"});
    s.interval = in.seconds(*t, "adsb", "min_interval_s", 0, 3600).value_or(s.interval);
    s.stale = in.seconds(*t, "adsb", "stale_s", 1, 86400).value_or(s.stale);
    s.alert_stale = in.seconds(*t, "adsb", "alert_stale_s", 1, 86400).value_or(s.alert_stale);
    const std::string clock = in.string(*t, "adsb", "clock").value_or("gateway");
    if (clock != "gateway" && clock != "receiver") {
      in.fail(t->get("clock"), "adsb", "clock", "expected \"gateway\" or \"receiver\"");
    }
    s.receiver_clock = clock == "receiver";
    if (const auto offset = in.string(*t, "adsb", "utc_offset")) {
      const auto parsed = parse_utc_offset(*offset);
      if (!parsed) {
        in.fail(t->get("utc_offset"), "adsb", "utc_offset",
                "expected \"UTC\" or \"+HH:MM\" / \"-HH:MM\"");
      }
      s.receiver_zone = ReceiverClock(*parsed);
    }
    if (const auto zone = in.string(*t, "adsb", "time_zone")) {
      if (t->contains("utc_offset")) {
        in.fail(t->get("time_zone"), "adsb", "time_zone", "give utc_offset or time_zone, not both");
      }
      const auto named = ReceiverClock::zone(*zone);
      if (!named) {
        in.fail(t->get("time_zone"), "adsb", "time_zone",
                fmt::format("'{}' is not a zone of the system's time zone database ({})", *zone,
                            tz_database_dir()));
      }
      s.receiver_zone = *named;
    }
    s.max_aircraft =
        static_cast<std::size_t>(in.integer(*t, "adsb", "max_aircraft", 1, 1'000'000)
                                     .value_or(static_cast<std::int64_t>(s.max_aircraft)));
    s.forget_after = in.seconds(*t, "adsb", "forget_after_s", 1, 86400).value_or(s.forget_after);
  }
  return config;
}

}  // namespace enlace::gateway::sbs
