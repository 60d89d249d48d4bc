#include "nmea/config.hpp"

#include <fmt/format.h>

namespace enlace::gateway::nmea {

NmeaConfig load_nmea_config(const std::string& path) {
  ConfigReader in(path);
  const toml::table& root = in.root();
  in.allow_only(root, "", {"bus", "sources", "gateway", "radio", "radios", "ais"});
  NmeaConfig config;
  config.bus = in.bus("enlace-nmea-gateway");
  config.sources = in.sources({SourceKind::udp, SourceKind::tcp_client, SourceKind::tcp_server,
                               SourceKind::serial, SourceKind::gpsd, SourceKind::file});
  for (const SourceConfig& s : config.sources) {
    config.source_infos.push_back(
        {s.name, s.receiver, s.kind == SourceKind::gpsd ? SourceFormat::gpsd : SourceFormat::nmea});
  }
  NmeaSettings& settings = config.settings;

  if (const toml::table* t = in.table(root, "", "gateway")) {
    in.allow_only(*t, "gateway", {"stats_interval_s"});
    config.stats_interval =
        in.seconds(*t, "gateway", "stats_interval_s", 1, 86400).value_or(config.stats_interval);
  }
  if (const toml::table* t = in.table(root, "", "radio")) {
    in.allow_only(*t, "radio", {"min_interval_s", "stale_s"});
    settings.radio_interval =
        in.seconds(*t, "radio", "min_interval_s", 0, 3600).value_or(settings.radio_interval);
    settings.stale.radio =
        in.seconds(*t, "radio", "stale_s", 1, 86400).value_or(settings.stale.radio);
  }
  const auto radios = in.tables(root, "", "radios");
  for (std::size_t i = 0; i < radios.size(); ++i) {
    const toml::table& t = *radios[i];
    const std::string where = fmt::format("radios[{}]", i);
    in.allow_only(t, where, {"unit", "callsign", "source", "address", "station"});
    RadioSpec r;
    r.unit = in.required_string(t, where, "unit");
    if (r.unit.find_first_of(".*> ") != std::string::npos) {
      in.fail(t.get("unit"), where, "unit", "must be one topic token (no '.', '*', '>' or space)");
    }
    r.callsign = in.string(t, where, "callsign").value_or("");
    r.source = in.required_string(t, where, "source");
    bool known = false;
    for (const SourceConfig& s : config.sources) known = known || s.name == r.source;
    if (!known) in.fail(t.get("source"), where, "source", "no [[sources]] entry has this name");
    r.address = in.string(t, where, "address").value_or("");
    r.station = in.string(t, where, "station").value_or("");
    settings.radios.push_back(std::move(r));
  }
  if (const toml::table* t = in.table(root, "", "ais")) {
    in.allow_only(*t, "ais",
                  {"min_interval_s", "stale_class_a_s", "stale_class_a_at_anchor_s",
                   "stale_class_b_s", "stale_fixed_s", "reassembly_timeout_s",
                   "reassembly_max_entries", "max_vessels", "watch"});
    StaleTimes& stale = settings.stale;
    settings.ais_interval =
        in.seconds(*t, "ais", "min_interval_s", 0, 3600).value_or(settings.ais_interval);
    stale.class_a_under_way =
        in.seconds(*t, "ais", "stale_class_a_s", 1, 86400).value_or(stale.class_a_under_way);
    stale.class_a_at_anchor = in.seconds(*t, "ais", "stale_class_a_at_anchor_s", 1, 86400)
                                  .value_or(stale.class_a_at_anchor);
    stale.class_b = in.seconds(*t, "ais", "stale_class_b_s", 1, 86400).value_or(stale.class_b);
    stale.fixed = in.seconds(*t, "ais", "stale_fixed_s", 1, 86400).value_or(stale.fixed);
    if (const auto timeout = in.seconds(*t, "ais", "reassembly_timeout_s", 0.1, 600)) {
      settings.reassembly.timeout_ns = timeout->count();
    }
    settings.reassembly.max_entries = static_cast<std::size_t>(
        in.integer(*t, "ais", "reassembly_max_entries", 1, 65536)
            .value_or(static_cast<std::int64_t>(settings.reassembly.max_entries)));
    settings.max_vessels =
        static_cast<std::size_t>(in.integer(*t, "ais", "max_vessels", 1, 10'000'000)
                                     .value_or(static_cast<std::int64_t>(settings.max_vessels)));
    const auto watch = in.tables(*t, "ais", "watch");
    for (std::size_t i = 0; i < watch.size(); ++i) {
      const toml::table& w = *watch[i];
      const std::string where = fmt::format("ais.watch[{}]", i);
      in.allow_only(w, where, {"mmsi", "identity", "note"});
      const auto mmsi = in.integer(w, where, "mmsi", 1, 999'999'999);
      if (!mmsi) in.fail(&w, where, "mmsi", "missing (required)");
      const std::string identity = in.required_string(w, where, "identity");
      wire::StandardIdentity id;
      if (identity == "suspect") {
        id = wire::StandardIdentity::Suspect;
      } else if (identity == "hostile") {
        id = wire::StandardIdentity::Hostile;
      } else {
        in.fail(w.get("identity"), where, "identity", "expected \"suspect\" or \"hostile\"");
      }
      if (!settings.watch.emplace(static_cast<std::uint32_t>(*mmsi), id).second) {
        in.fail(w.get("mmsi"), where, "mmsi", "listed twice");
      }
    }
  }
  return config;
}

std::string describe(const NmeaConfig& config) {
  std::string out = fmt::format("broker {} as {}\n", config.bus.broker, config.bus.keys);
  for (const SourceConfig& s : config.sources) {
    out += fmt::format("source {}: {}\n", s.name, to_string(s.kind));
  }
  for (const RadioSpec& r : config.settings.radios) {
    out += fmt::format("radio {} ({}) on {}{}{}\n", r.unit, r.callsign, r.source,
                       r.address.empty() ? "" : " from " + r.address,
                       r.station.empty() ? "" : " station " + r.station);
  }
  out += fmt::format("{} watch-listed MMSIs\n", config.settings.watch.size());
  return out;
}

}  // namespace enlace::gateway::nmea
