#include "command_post.hpp"

#include <fmt/format.h>

namespace demo {

namespace wire = enlace::wire;
using namespace std::chrono_literals;

struct CommandPost::AlertText {
  wire::AlertSeverity severity;
  wire::AlertCategory category;
  const char* title;
  const char* description;
  geo::Point location;
  std::vector<std::string> related_tracks;
};

struct CommandPost::Salute {
  const char* size;
  const char* activity;
  geo::Point location;
  const char* location_text;
  const char* unit;
  const char* equipment;
  const char* reporter;
};

namespace {

std::vector<std::string> subscriptions_of(Role role) {
  if (role == Role::observer) return {"track.>", "alert.>", "text.>"};
  return {"position.>", "track.>", "detection.>", "alert.>", "spot.>", "text.>"};
}

}  // namespace

CommandPost::CommandPost(const SystemSpec& spec, const enlace::KeyPair& keys, const BusAccess& bus,
                         double observer_joins_s)
    : SimulatedSystem(spec, keys, bus),
      view_(std::string(spec.nation), std::string(spec.id), std::string(role_name(spec.role))),
      observer_joins_s_(observer_joins_s) {}

CommandPost::~CommandPost() {
  join();
  close();  // before view_ goes: the I/O thread records into it
}

void CommandPost::joins_late(Clock::time_point start, double at_s) {
  start_ = start;
  view_.record_joins_late(at_s);
}

void CommandPost::on_connected() {
  // Each subscription asks for a snapshot of the COP cache: the newest cached message of
  // every matching topic that this nation may see (the broker applies the audience test of
  // live delivery to each), then live traffic. For a post that joins once the picture
  // exists, the snapshot is the picture; for one that joins first, it is empty.
  const auto subscribe = [this](const std::string& pattern) {
    enlace::SubscribeOptions options;
    options.snapshot = true;
    const auto sent = Clock::now();
    options.on_snapshot_end = [this, pattern, sent](std::uint32_t count) {
      view_.record_snapshot_end(
          pattern, count, std::chrono::duration<double, std::milli>(Clock::now() - sent).count());
    };
    return client().subscribe(
        pattern, [this](const enlace::Delivery& d) { view_.record(d); }, std::move(options));
  };
  // Wildcards over every nation: what actually arrives is the broker's decision, message
  // by message, from the agreements, the labels and the release caps.
  for (const std::string& pattern : subscriptions_of(spec().role)) {
    if (auto granted = subscribe(pattern)) {
      view_.record_subscription(pattern);
    } else {
      refusal("subscribe " + pattern, granted.error());
    }
  }
  if (spec().role == Role::observer) {
    // On purpose: an observer asks for friendly positions. The observer role has no
    // subscribe.allow rule containing position.>, so the broker refuses and says why.
    if (auto refused = subscribe("position.>")) {
      view_.record_subscription("position.>");  // the self-check will flag this
    } else {
      refusal("subscribe position.>", refused.error());
    }
  }
  // From here on, every message the broker accepts for these patterns reaches this post
  // if its nation is in the audience: the self-check holds it to that.
  view_.record_joined(start_ ? std::chrono::duration<double>(Clock::now() - *start_).count() : 0.0,
                      enlace::now_ns());
}

void CommandPost::on_refusal(std::string_view what, const enlace::ErrorInfo& error) {
  view_.record_refusal(std::string(what), error);
}

void CommandPost::run(StopFlag& stop, Clock::time_point start) {
  Schedule schedule;
  const std::string_view nation = spec().nation;
  if (nation == "COL") script_col(schedule);
  if (nation == "ECU") script_ecu(schedule);
  if (nation == "PER") script_per(schedule);
  if (nation == "BRA") script_bra(schedule);
  schedule.run(stop, start);
}

// --- what each nation's operators send ----------------------------------------------------

void CommandPost::script_col(Schedule& s) {
  // A river alert, unlabelled: the joint patrol agreement shares alert.*.putumayo.> with
  // Ecuador and Peru. Brazil is not a party and does not see it.
  s.every(1.0, 40.0, [this](int n) {
    static const AlertText kAlerts[] = {
        {wire::AlertSeverity::High,
         wire::AlertCategory::Smuggling,
         "Suspect fast boat T0001 running downstream without lights",
         "Radar track T0001, 9 m/s, no AIS. PIRANA 21 tasked to intercept.",
         {-0.19, -74.79},
         {"T0001"}},
        {wire::AlertSeverity::Medium,
         wire::AlertCategory::IllegalCrossing,
         "Canoe crossing the Putumayo at Puerto Leguízamo outside the ferry point",
         "Radar track T0002 crossing north to south; foot patrol alerted.",
         {-0.207, -74.758},
         {"T0002"}},
    };
    alert("putumayo", kAlerts[n % 2], by_agreement(1h));
  });
  // A SALUTE spot report for Peru only: Colombia labels it releasable to PER, so neither
  // Ecuador (a joint-patrol partner) nor Brazil receives it.
  s.every(2.4, 60.0, [this](int) {
    spot("putumayo", fmt::format("S{:04}", next_spot_++),
         {"6 persons, 2 boats",
          "loading packages onto a canoe",
          {-0.262, -74.655},
          "south bank, 14 km downstream of Puerto Leguízamo",
          "no markings, civilian clothes",
          "2 canoes with outboard motors, 2 long guns",
          "PIRANA 21"},
         released_to({"PER"}, 1h, wire::Classification::Restricted));
  });
  s.every(3.0, 45.0, [this](int) {
    chat("putumayo", "PIRANA 21 moving to intercept T0001; DELFIN 4 please hold the south bank",
         {"ECU", "PER"});
  });
  // Orders to Colombia's own patrols: unlabelled, covered by no agreement, so they never
  // leave Colombia. The radio gateway relays them.
  s.at(3.5, [this](int) {
    publish_and_wait(
        topic::tasking(spec().nation, "K0001"),
        [](flatbuffers::FlatBufferBuilder& fbb) {
          const std::vector<flatbuffers::Offset<flatbuffers::String>> units = {
              fbb.CreateString("P21")};
          return wire::CreateTaskingDirect(
              fbb, "K0001", wire::TaskType::Interdiction, &units, 0, nullptr,
              wire::TaskStatus::Accepted,
              "Intercept suspect track T0001 downstream of Puerto Leguízamo; report by radio.");
        },
        by_agreement(2h));
  });
}

void CommandPost::script_ecu(Schedule& s) {
  // An operator tries to share a report with Brazil. Ecuador's release_cap is COL and
  // PER, so the broker refuses the label (release_not_permitted) and nothing is sent to
  // anyone; the operator then releases it to Colombia only.
  s.every(2.0, 60.0, [this](int) {
    const Salute report{"1 boat, 3 persons", "transferring fuel drums to a canoe",
                        {0.10, -75.81},      "river bank 3 km east of Puerto El Carmen de Putumayo",
                        "no markings",       "fuel drums, 1 canoe with outboard motor",
                        "CONDOR 7"};
    const std::string id = fmt::format("S{:04}", next_spot_++);
    if (!spot("putumayo", id, report, released_to({"BRA"}, 1h))) {
      spot("putumayo", id, report, released_to({"COL"}, 1h));
    }
  });
  s.every(3.2, 50.0, [this](int) {
    chat("putumayo", "CONDOR 7 has DONA ROSA in sight at Puerto El Carmen; nothing unusual",
         {"COL", "PER"});
  });
}

void CommandPost::script_per(Schedule& s) {
  // A tri-border alert, unlabelled: amazon-triborder shares alert.*.triborder.> among
  // Colombia, Peru and Brazil. Ecuador is no party to it and does not see it.
  s.every(1.5, 50.0, [this](int) {
    alert("triborder",
          {wire::AlertSeverity::Critical,
           wire::AlertCategory::MigrantsInDistress,
           "Overloaded boat with migrants taking on water near Santa Rosa island",
           "About 15 persons aboard, some in the water. Santa Rosa post launching a boat.",
           place::santa_rosa,
           {"T0101"}},
          by_agreement(1h));
  });
  // An update on the rescue, timed to come after Brazil's post has joined: alerts are not
  // in the COP cache, so a late joiner has only the tri-border alerts sent once it is on
  // the bus, and this one shows them reaching it live.
  s.at(observer_joins_s_ + kTriBorderUpdateAfterJoin_s, [this](int) {
    alert("triborder",
          {wire::AlertSeverity::High,
           wire::AlertCategory::MigrantsInDistress,
           "Update: Santa Rosa boat on scene, 9 persons recovered from the water",
           "About 6 persons still aboard the overloaded boat; Tabatinga river police asked "
           "to assist.",
           place::santa_rosa,
           {"T0101"}},
          by_agreement(1h));
  });
  s.every(3.4, 55.0, [this](int) {
    chat("putumayo", "DELFIN 4 holding the south bank opposite Puerto Leguízamo", {"COL", "ECU"});
  });
}

void CommandPost::script_bra(Schedule& s) {
  // An observer may still talk: its role publishes text.BRA.>, and its release cap lets
  // it answer its tri-border partners.
  s.every(2.8, 50.0, [this](int) {
    chat("triborder", "Tabatinga river police boat standing by to assist at Santa Rosa",
         {"COL", "PER"});
  });
}

// --- publishing helpers -----------------------------------------------------------------

bool CommandPost::alert(std::string_view area, const AlertText& text,
                        const enlace::PublishOptions& options) {
  const std::string id = fmt::format("A{:04}", next_alert_++);
  return publish_and_wait(
      topic::alert(spec().nation, area, id),
      [&](flatbuffers::FlatBufferBuilder& fbb) {
        const wire::GeoPoint location(text.location.lat, text.location.lon);
        std::vector<flatbuffers::Offset<flatbuffers::String>> tracks;
        for (const auto& track : text.related_tracks) tracks.push_back(fbb.CreateString(track));
        return wire::CreateAlertDirect(fbb, id.c_str(), text.severity, text.category, text.title,
                                       text.description, &location, 0, &tracks, enlace::now_ns());
      },
      options);
}

bool CommandPost::spot(std::string_view area, const std::string& id, const Salute& report,
                       const enlace::PublishOptions& options) {
  return publish_and_wait(
      topic::spot(spec().nation, area, id),
      [&](flatbuffers::FlatBufferBuilder& fbb) {
        const wire::GeoPoint location(report.location.lat, report.location.lon);
        return wire::CreateSpotReportDirect(fbb, id.c_str(), report.size, report.activity,
                                            &location, report.location_text, report.unit,
                                            enlace::now_ns(), report.equipment, report.reporter);
      },
      options);
}

bool CommandPost::chat(std::string_view room, std::string_view body, std::vector<std::string> to) {
  const std::string text(body), thread(room);
  return publish_and_wait(
      topic::chat(spec().nation, room),
      [&](flatbuffers::FlatBufferBuilder& fbb) {
        return wire::CreateTextDirect(fbb, text.c_str(), nullptr, thread.c_str());
      },
      released_to(std::move(to), 10min));
}

}  // namespace demo
