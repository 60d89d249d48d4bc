#include "promises.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "ais_vessels.hpp"
#include "patrol_radios.hpp"
#include "scenario.hpp"

namespace demo {
namespace {

// Builds one promise from its two halves: `leak` names what should never have arrived
// (empty when nothing did), `missing` what has not arrived yet (empty when all did).
Promise judge(std::string what, std::string because, const std::string& leak,
              const std::string& missing, bool final) {
  Promise p{std::move(what), std::move(because), PromiseState::held, {}, {}};
  if (!leak.empty()) {
    p.state = PromiseState::broken;
    p.problem = leak;
  } else if (!missing.empty()) {
    p.state = final ? PromiseState::broken : PromiseState::pending;
    p.problem = missing;
  }
  return p;
}

void note(std::string& text, const std::string& more) {
  if (!text.empty()) text += "; ";
  text += more;
}

std::string_view radio_gateway_of(std::string_view nation) {
  for (const SystemSpec& s : systems()) {
    if (s.nation == nation && s.role == Role::radio_gateway) return s.id;
  }
  return {};
}

// How many units (or contacts, for `kind` track) a picture has had from `system`.
std::size_t seen_from(const std::vector<PictureItem>& picture, std::string_view system,
                      Kind kind = Kind::position) {
  for (const PictureItem& item : picture) {
    if (item.kind == kind && item.source == system) return item.distinct;
  }
  return 0;
}

std::size_t units_seen(const ViewSnapshot& view, std::string_view system) {
  return seen_from(view.picture, system);
}

// Units or contacts of `kind` in a picture, from every source.
std::size_t seen_of_kind(const std::vector<PictureItem>& picture, Kind kind) {
  std::size_t n = 0;
  for (const PictureItem& item : picture) {
    if (item.kind == kind) n += item.distinct;
  }
  return n;
}

// What amazon-triborder shares with Brazil, as policy_file.cpp writes it.
constexpr std::string_view kTriBorderTopics[] = {"track.*.radar.leticia.>", "alert.*.triborder.>"};

// Whether the policy lets BRA receive a message on a topic with this stem (the topic
// without its last token) and this label: its own, one labelled for it, or an unlabelled
// one that amazon-triborder shares. The same audience rule for a snapshot as for live.
bool bra_may_see(std::string_view stem, std::string_view released) {
  if (stem.substr(stem.find('.') + 1).starts_with("BRA.")) return true;
  if (!released.empty()) {
    for (std::string_view rest = released; !rest.empty();) {
      const auto comma = rest.find(',');
      if (rest.substr(0, comma) == "BRA") return true;
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
    return false;
  }
  for (const std::string_view pattern : kTriBorderTopics) {
    if (enlace::topic::matches(pattern, std::string(stem) + ".x")) return true;
  }
  return false;
}

}  // namespace

std::vector<Promise> check_promises(const Observations& seen, bool final) {
  static const ViewSnapshot kNothing;
  const auto view = [&](std::string_view nation) -> const ViewSnapshot& {
    const auto it = seen.views.find(nation);
    return it == seen.views.end() ? kNothing : it->second;
  };
  const ViewSnapshot &col = view("COL"), &ecu = view("ECU"), &per = view("PER"), &bra = view("BRA");
  std::vector<Promise> out;

  {
    // The positions come from the radios' NMEA sentences through each nation's
    // enlace-nmea-gateway: every unit its configuration maps must reach every partner.
    std::string missing;
    for (const char* receiver : {"COL", "ECU", "PER"}) {
      std::string origins;
      for (const char* origin : {"COL", "ECU", "PER"}) {
        const std::size_t heard = units_seen(view(receiver), radio_gateway_of(origin));
        const std::size_t units = patrol_units(origin);
        if (view(receiver).count(fmt::format("position.{}.>", origin)) == 0 || heard < units) {
          origins += fmt::format("{}{} ({} of {} units)", origins.empty() ? "" : ", ", origin,
                                 heard, units);
        }
      }
      if (!origins.empty())
        note(missing, fmt::format("{} lacks positions from {}", receiver, origins));
    }
    out.push_back(judge("COL, ECU and PER see each other's patrol positions",
                        fmt::format("{} shares position.*.unit.>", kJointPatrol), "", missing,
                        final));
  }
  {
    // The AIS vessels come from AIS messages 1 and 5 (two sentences) through the
    // Ecuadorian enlace-nmea-gateway, which marks the vessels on its watch list.
    std::string leak, missing;
    for (const ViewSnapshot* v : {&col, &ecu, &per}) {
      for (const VesselInfo& vessel : ais_vessels()) {
        const auto it = v->vessels.find(vessel.mmsi);
        if (it == v->vessels.end() || it->second.name.empty()) {
          note(missing,
               fmt::format("{} has no named track of MMSI {} yet", v->nation, vessel.mmsi));
          continue;
        }
        const VesselItem& known = it->second;
        const std::string_view identity = vessel.watch_listed ? "suspect" : "unknown";
        if (known.name != vessel.name || known.identity != identity) {
          note(leak, fmt::format("{} has MMSI {} as '{}' ({}), not '{}' ({})", v->nation,
                                 vessel.mmsi, known.name, known.identity, vessel.name, identity));
        }
      }
    }
    if (!bra.vessels.empty())
      note(leak, fmt::format("BRA received tracks of {} AIS vessels", bra.vessels.size()));
    out.push_back(judge(
        "COL, ECU and PER track the AIS vessels by name, the watch-listed one as suspect; BRA "
        "does not",
        fmt::format("{} shares track.>; {} is no party to it, and {} shares only "
                    "track.*.radar.leticia.>",
                    kJointPatrol, "BRA", kTriBorder),
        leak, missing, final));
  }
  out.push_back(judge(
      "BRA's observer post may not subscribe to position.>",
      "no subscribe.allow rule of the observer role contains it", "",
      bra.refused("subscribe_denied") ? "" : "BRA's position.> request was not refused", final));
  {
    const auto positions = bra.count("position.>");
    out.push_back(judge("BRA sees no positions at all",
                        fmt::format("BRA is no party to {}, which alone shares them", kJointPatrol),
                        positions ? fmt::format("BRA received {} positions", positions) : "", "",
                        final));
  }
  {
    const auto tracks = bra.count("track.>"), leticia = bra.count("track.*.radar.leticia.>");
    const auto alerts = bra.count("alert.>"), triborder = bra.count("alert.*.triborder.>");
    std::string leak;
    if (tracks != leticia)
      note(leak, fmt::format("BRA received {} other tracks", tracks - leticia));
    if (alerts != triborder)
      note(leak, fmt::format("BRA received {} other alerts", alerts - triborder));
    out.push_back(
        judge("BRA gets only tri-border tracks (Leticia radar) and alerts",
              fmt::format("{} shares track.*.radar.leticia.> and alert.*.triborder.>", kTriBorder),
              leak, leticia ? "" : "BRA has no Leticia track yet", final));
  }
  if (seen.late_join_s > 0) {
    // Brazil's post joins once the picture exists. Its snapshot must bring the Leticia
    // tracks at once (its picture holds them when EndOfSnapshot arrives, before any live
    // update could have), and nothing else the cache holds: the positions and the other
    // tracks that COL, ECU and PER see are cached too, and none may reach BRA.
    std::string leak, missing, evidence;
    for (const auto& [key, n] : bra.snapshot_by_stem) {
      if (!bra_may_see(key.first, key.second)) {
        note(leak, fmt::format("BRA's snapshot brought {} message(s) on {}.* ({})", n, key.first,
                               key.second.empty() ? "by agreement" : "to " + key.second));
      }
    }
    const SnapshotEnd* tracks = nullptr;
    std::uint64_t cached = 0;
    for (const SnapshotEnd& end : bra.snapshot_ends) {
      cached += end.count;
      if (tracks == nullptr && end.pattern == "track.>") tracks = &end;
    }
    // As many Leticia tracks as COL, the radar's own nation, has seen (at least one).
    const std::size_t leticia =
        std::max<std::size_t>(1, seen_from(col.picture, id::col_radar_leticia, Kind::track));
    if (!bra.joined_at_s) {
      missing = fmt::format("BRA has not joined yet (it joins at t+{:g} s)", seen.late_join_s);
    } else if (tracks == nullptr) {
      missing = "BRA's snapshot of track.> has not ended yet";
    } else {
      const std::size_t held = seen_from(tracks->picture, id::col_radar_leticia, Kind::track);
      if (cached == 0 || bra.snapshot_received == 0) {
        missing = "BRA's snapshots brought nothing (does policy.toml's [cop] cache track.>?)";
      } else if (held < leticia) {
        missing = fmt::format(
            "when BRA's snapshot of track.> ended, its picture held {} of the {} Leticia tracks",
            held, leticia);
      }
      // What the cache held that BRA may not see: COL's units, and its other tracks (the
      // AIS vessels counted by MMSI, since a vessel's track changes name with its static data).
      const std::size_t other_tracks =
          seen_from(col.picture, id::col_radar, Kind::track) + col.vessels.size();
      evidence = fmt::format(
          "joined at t+{:.1f} s; its snapshot of track.> brought {} cached message(s) in {:.1f} "
          "ms, and its picture then held {} Leticia track(s); none of the {} unit positions and "
          "{} other tracks in COL's view",
          *bra.joined_at_s, tracks->count, tracks->ms, held,
          seen_of_kind(col.picture, Kind::position), other_tracks);
    }
    Promise p = judge("BRA, joining late, gets the cached picture at once, only what it may see",
                      fmt::format("[cop] caches position.*.unit.> and track.>; a snapshot passes "
                                  "the audience test of live delivery, and {} shares only "
                                  "track.*.radar.leticia.> with BRA",
                                  kTriBorder),
                      leak, missing, final);
    if (p.state == PromiseState::held) p.evidence = std::move(evidence);
    out.push_back(std::move(p));
  }
  {
    std::string leak;
    for (const ViewSnapshot* v : {&ecu, &per, &bra}) {
      if (const auto n = v->count("alert.*.biometric.>")) {
        note(leak, fmt::format("{} received {} watch-list hits", v->nation, n));
      }
    }
    out.push_back(judge("only COL sees the biometric watch-list hits",
                        "the checkpoint labels them releasable to COL alone", leak,
                        col.count("alert.*.biometric.>") ? "" : "COL has no watch-list hit yet",
                        final));
  }
  {
    std::string leak;
    if (const auto n = col.count("detection.>", "ECU")) {
      note(leak, fmt::format("COL received {} detections released to ECU only", n));
    }
    if (const auto n = bra.count("detection.>"))
      note(leak, fmt::format("BRA received {} detections", n));
    out.push_back(judge(
        "ECU sees the PER drone detections released to ECU only; COL does not",
        fmt::format("label releasable_to [ECU] overrides {}'s default", kJointPatrol), leak,
        ecu.count("detection.PER.>", "ECU") ? "" : "ECU has no ECU-only detection yet", final));
  }
  {
    std::string leak;
    for (const ViewSnapshot* v : {&ecu, &bra}) {
      if (const auto n = v->count("spot.COL.>")) {
        note(leak, fmt::format("{} received {} COL spot reports", v->nation, n));
      }
    }
    out.push_back(judge("PER reads COL's SALUTE spot reports; ECU and BRA do not",
                        "COL labels them releasable to PER; no agreement shares spot.>", leak,
                        per.count("spot.COL.>") ? "" : "PER has no COL spot report yet", final));
  }
  {
    // Alerts are not in the COP cache: a post that joins late has the tri-border alerts
    // sent once it was on the bus, each of them. Peru's own view says when the broker
    // received each of Peru's; Peru sends an update after Brazil's post joins.
    std::string missing;
    if (col.count("alert.PER.triborder.>") == 0)
      note(missing, "COL has no PER tri-border alert yet");
    if (!bra.joined_at_s) {
      note(missing, "BRA has not joined yet");
    } else {
      std::uint64_t since = 0;
      if (const auto it = per.alert_times.find("alert.PER.triborder");
          it != per.alert_times.end()) {
        for (const std::int64_t at : it->second) since += at >= bra.joined_ns;
      }
      const auto got = bra.count("alert.PER.triborder.>");
      if (since == 0) {
        note(missing, "PER has sent no tri-border alert since BRA joined");
      } else if (got < since) {
        note(missing, fmt::format("BRA has {} of the {} PER tri-border alerts sent since it joined",
                                  got, since));
      }
    }
    const auto leaked = ecu.count("alert.*.triborder.>");
    const bool late = seen.late_join_s > 0;
    out.push_back(judge(
        late ? "PER's tri-border alerts reach COL, and BRA from when it joins; not ECU"
             : "PER's tri-border alert reaches COL and BRA, not ECU",
        fmt::format("{} parties are COL, PER and BRA{}", kTriBorder,
                    late ? "; alerts are not cached, so BRA has those sent after it joined" : ""),
        leaked ? fmt::format("ECU received {} tri-border alerts", leaked) : "", missing, final));
  }
  {
    const auto leaked = bra.count("*.ECU.>");
    out.push_back(judge(
        "ECU cannot release to BRA: its label naming BRA is refused",
        "ECU's release_cap is [COL, PER]",
        leaked ? fmt::format("BRA received {} messages from ECU", leaked) : "",
        ecu.refused("release_not_permitted") ? "" : "ECU's release to BRA was not refused", final));
  }
  {
    const bool refused = seen.revoked_key_refused.value_or(false);
    const bool admitted = seen.revoked_key_refused.has_value() && !refused;
    out.push_back(judge(fmt::format("the revoked {} key gets no session", id::col_radar_revoked),
                        "revoked = true in its [[systems]] entry",
                        admitted ? "the revoked key got a session" : "",
                        refused ? "" : "the revoked key was not tried yet", final));
  }
  {
    std::string missing;
    for (const auto& nation : kNations) {
      if (view(nation.code).received == 0)
        note(missing, fmt::format("{} received nothing", nation.code));
    }
    out.push_back(judge("every command post receives its share of the picture",
                        "each is subscribed to what its role allows", "", missing, final));
  }
  return out;
}

double script_seconds(double late_join_s) {
  return std::max(kScriptSeconds, late_join_s + kTriBorderUpdateAfterJoin_s + 1.0);
}

}  // namespace demo
