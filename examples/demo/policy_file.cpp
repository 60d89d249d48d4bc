#include "policy_file.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include "scenario.hpp"

namespace demo {
namespace {

// Everything above the systems. Each rule carries the reason it exists, so a reviewer
// from any of the four nations can check the file against what was agreed.
constexpr std::string_view kPolicyBody = R"(
[coalition]
name = "{coalition}"
policy_identifier = "{policy_identifier}"

[limits]
max_message_bytes = 65536
default_rate = 5                        # messages per second per system, unless it says more
default_burst = 10
max_subscriptions = 32
max_classification = "CONFIDENTIAL"     # nothing above CONFIDENTIAL crosses this bus

# ---- Nations ---------------------------------------------------------------------------
# release_cap: the only nations a nation's data may ever reach, whatever a message's label
# says and whatever an agreement shares. The origin nation always receives its own data.

[nations.COL]
name = "Colombia"
release_cap = ["ECU", "PER", "BRA"]

[nations.ECU]
name = "Ecuador"
release_cap = ["COL", "PER"]            # no arrangement with Brazil in this operation

[nations.PER]
name = "Peru"
release_cap = ["COL", "ECU", "BRA"]

[nations.BRA]
name = "Brazil"
release_cap = ["COL", "PER"]            # an observer answers its tri-border partners only

# ---- Roles -----------------------------------------------------------------------------
# {{nation}} stands for the system's own nation: a Colombian sensor may publish under
# track.COL.> and nowhere else. Subscribe patterns must lie inside an allow rule; the
# nations a message reaches are decided separately, by the agreements and labels below.

[roles.command_post]
description = "National command post: watches the picture, raises alerts, reports, chats, tasks"
publish.allow = ["alert.{{nation}}.>", "spot.{{nation}}.>", "text.{{nation}}.>", "tasking.{{nation}}.>"]
publish.deny = ["alert.{{nation}}.biometric.>"]   # watch-list hits come from checkpoints only
subscribe.allow = ["position.>", "track.>", "detection.>", "alert.>", "spot.>", "text.>"]

[roles.radio_gateway]
description = "Turns patrol radios' GPS fixes (NMEA 0183) into position reports"
publish.allow = ["position.{{nation}}.unit.>"]
subscribe.allow = ["tasking.{{nation}}.>"]

[roles.sensor]
description = "Radar, AIS receiver gateway or drone: publishes tracks and detections"
publish.allow = ["track.{{nation}}.>", "detection.{{nation}}.>"]
subscribe.allow = ["tasking.{{nation}}.>"]

[roles.tak_gateway]
description = "TAK site: its ATAK and WinTAK clients' positions, chat, alerts and reports in, the picture out"
publish.allow = ["position.{{nation}}.tak.>", "alert.{{nation}}.tak.>", "spot.{{nation}}.tak.>", "text.{{nation}}.tak.>"]
subscribe.allow = ["position.>", "track.>", "alert.>", "spot.>", "text.>", "tasking.{{nation}}.>"]

[roles.biometric_station]
description = "Checkpoint biometric station: raises watch-list hits, reads nothing"
publish.allow = ["alert.{{nation}}.biometric.>"]

[roles.observer]
description = "Observer nation: reads tracks and alerts it is given, may chat; sees no positions"
publish.allow = ["text.{{nation}}.>"]
subscribe.allow = ["track.>", "alert.>", "text.>"]

# ---- Agreements ------------------------------------------------------------------------
# What the parties share by default: a message whose label names no nations reaches its
# origin nation plus the parties of every agreement (of which the origin is a party) with
# a matching topic, within the origin's release_cap. A label naming nations overrides
# this for that one message (within the cap). Anything no agreement covers, and nobody
# labels, stays at home.

[[agreements]]
name = "{joint_patrol}"
description = "Trilateral joint patrol of the Putumayo: friendly positions (radios and TAK phones), contact tracks, drone detections and river alerts"
parties = ["COL", "ECU", "PER"]
topics = ["position.*.unit.>", "position.*.tak.>", "track.>", "detection.>", "alert.*.putumayo.>"]

[[agreements]]
name = "{tri_border}"
description = "Leticia - Tabatinga - Santa Rosa: Brazil observes the tri-border area's radar tracks and alerts"
parties = ["COL", "PER", "BRA"]
topics = ["track.*.radar.leticia.>", "alert.*.triborder.>"]

# Not shared by any agreement, so released message by message with a label:
#   spot.>       SALUTE spot reports, usually bilateral
#   text.>       chat between command posts
#   tasking.>    a nation's orders to its own patrols
#   alert.*.biometric.>  watch-list hits: the checkpoint labels them for its own nation only
{cop}
# ---- Systems ---------------------------------------------------------------------------
# One CURVE key per system; the secret halves are in keys/<id>.key (mode 0600).
)";

constexpr std::string_view kCopSection = R"(
# ---- Common operating picture -----------------------------------------------------------
# The broker keeps the newest message of each topic these patterns name, until it is
# stale, and sends a command post that subscribes asking for a snapshot (one that joins
# late or reconnects) the cached messages it may see: each passes the same audience test
# as a live delivery. Brazil's post, joining late, gets the Leticia radar's tracks at once
# and nothing of the positions or the other tracks. Alerts, reports, chat and tasking are
# events, not state: they are not cached.

[cop]
cached = ["position.*.unit.>", "position.*.tak.>", "track.>"]   # patrol units and TAK phones; radar and AIS tracks
max_entries = 10000                         # cached topics; the demo has about fifteen
max_bytes = 16777216                        # 16 MiB of envelopes
# A message's own stale time comes first: 10 s for a radar track, 60 s for a radio fix or
# an AIS vessel under way. These apply to a message that sets none.
default_stale_seconds = 300
stale_seconds = { PositionReport = 120, Track = 60 }
)";

}  // namespace

std::string cop_section() {
  return std::string(kCopSection);
}

std::string render_policy(const std::map<std::string, std::string, std::less<>>& public_keys,
                          const std::string& created) {
  std::string text = fmt::format(
      "# Enlace policy: {coalition} (the enlace-demo coalition).\n"
      "# {version}; generated {created}.\n"
      "#\n"
      "# A joint operation on the Putumayo river, where Colombia, Ecuador and Peru meet, with\n"
      "# Brazil observing from the Amazon tri-border. The operation is fictional; the places\n"
      "# are real and their coordinates approximate.\n"
      "#\n"
      "# The broker enforces exactly what is written here. Edit it and run enlace-demo again\n"
      "# to watch the views change (the self-check then reports which promise no longer\n"
      "# holds); enlace-demo --reset writes a fresh file and fresh keys. docs/demo.md walks\n"
      "# through every rule, docs/policy.md is the reference.\n",
      fmt::arg("coalition", kCoalitionName), fmt::arg("version", kScenarioVersion),
      fmt::arg("created", created));
  text += fmt::format(kPolicyBody, fmt::arg("coalition", kCoalitionName),
                      fmt::arg("policy_identifier", kPolicyIdentifier),
                      fmt::arg("joint_patrol", kJointPatrol), fmt::arg("tri_border", kTriBorder),
                      fmt::arg("cop", cop_section()));

  for (const SystemSpec& system : systems()) {
    const auto key = public_keys.find(system.id);
    if (key == public_keys.end()) {
      throw std::invalid_argument(fmt::format("no public key for system '{}'", system.id));
    }
    text += fmt::format(
        "\n# {}\n[[systems]]\nid = \"{}\"\nnation = \"{}\"\nrole = \"{}\"\n"
        "public_key = \"{}\"\n",
        system.description, system.id, system.nation, role_name(system.role), key->second);
    if (system.rate > 0) text += fmt::format("rate = {}\nburst = {}\n", system.rate, system.burst);
    if (system.revoked) text += "revoked = true\n";
  }
  return text;
}

}  // namespace demo
