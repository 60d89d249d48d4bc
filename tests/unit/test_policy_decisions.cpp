// The decisions the broker asks of a policy: may this system publish on a topic, subscribe
// to a pattern, and which nations receive its message. Fixture:
// tests/unit/data/policies/putumayo.toml (nations BRA, COL, ECU, PER, VEN).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string>
#include <vector>

#include "enlace/policy/policy.hpp"

using namespace enlace::policy;
using enlace::Errc;

namespace {

const std::filesystem::path kFixture =
    std::filesystem::path(__FILE__).parent_path() / "data" / "policies" / "putumayo.toml";

const Policy& fixture() {
  static const std::shared_ptr<const Policy> policy = Policy::load_file(kFixture);
  return *policy;
}

// The 1-based line of the fixture containing `needle`.
int fixture_line(std::string_view needle) {
  std::ifstream in(kFixture);
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.find(needle) != std::string::npos) return number;
  }
  FAIL("fixture has no line containing " << needle);
  return 0;
}

std::string cite(std::string_view needle) {
  return "(putumayo.toml:" + std::to_string(fixture_line(needle)) + ")";
}

const System& system_named(std::string_view id) {
  const System* found = fixture().find_system(id);
  REQUIRE(found != nullptr);
  return *found;
}

NationMask mask(std::initializer_list<const char*> codes) {
  NationMask out = 0;
  for (const char* code : codes) out |= NationMask{1} << *fixture().nation_index(code);
  return out;
}

Audience audience_of(std::string_view origin, std::string_view topic,
                     std::initializer_list<std::string_view> label,
                     Classification level = Classification::unclassified) {
  const std::vector<std::string_view> codes(label);
  return fixture().audience(system_named(origin), topic, codes, level);
}

bool contains_text(const std::string& text, std::string_view words) {
  return text.find(words) != std::string::npos;
}

}  // namespace

// ---- publish -----------------------------------------------------------------------------

TEST_CASE("publish is allowed when an allow rule matches, with an empty reason", "[policy]") {
  const Decision d =
      fixture().check_publish(system_named("col-radar-leguizamo"), "track.COL.radar.rx17.T0042");
  CHECK(d.allowed);
  CHECK(d.code == Errc::ok);
  CHECK(d.reason.empty());
}

TEST_CASE("explain_publish names the allow rule that granted", "[policy]") {
  const Decision d =
      fixture().explain_publish(system_named("col-radar-leguizamo"), "position.COL.unit.P12");
  CHECK(d.allowed);
  CHECK(d.reason == "allowed by role 'sensor' publish.allow 'position.{nation}.unit.>' " +
                        cite("\"position.{nation}.unit.>\""));
}

TEST_CASE("{nation} expands to the system's own nation: COL may not publish ECU tracks",
          "[policy]") {
  const Decision d =
      fixture().check_publish(system_named("col-radar-leguizamo"), "track.ECU.radar.T1");
  CHECK_FALSE(d.allowed);
  CHECK(d.code == Errc::publish_denied);
  CHECK(contains_text(d.reason,
                      "no publish.allow rule of role 'sensor' matches "
                      "'track.ECU.radar.T1'"));
  CHECK(contains_text(d.reason, "'track.COL.>' " + cite("\"track.{nation}.>\",")));
}

TEST_CASE("the same role in another nation publishes its own tracks", "[policy]") {
  CHECK(
      fixture().check_publish(system_named("ecu-radar-lago-agrio"), "track.ECU.radar.T1").allowed);
  CHECK_FALSE(
      fixture().check_publish(system_named("ecu-radar-lago-agrio"), "track.COL.radar.T1").allowed);
}

TEST_CASE("a deny rule beats a matching allow rule", "[policy]") {
  const Decision d =
      fixture().check_publish(system_named("col-radar-leguizamo"), "track.COL.test.T1");
  CHECK_FALSE(d.allowed);
  CHECK(d.code == Errc::publish_denied);
  CHECK(d.reason ==
        "publishing on 'track.COL.test.T1' is denied by role 'sensor' publish.deny "
        "'track.{nation}.test.>' " +
            cite("publish.deny = [\"track.{nation}.test.>\"]"));
}

TEST_CASE("a role with no publish.allow rule may not publish", "[policy]") {
  const Decision d = fixture().check_publish(system_named("per-analyst-iquitos"), "track.PER.x");
  CHECK(d.code == Errc::publish_denied);
  CHECK(contains_text(d.reason, "the role has no publish.allow rules"));
}

TEST_CASE("publishing on an invalid topic is refused as invalid_topic", "[policy]") {
  for (const char* topic : {"", "track..x", "track.*", "track.COL.>", "track COL"}) {
    INFO(topic);
    const Decision d = fixture().check_publish(system_named("col-radar-leguizamo"), topic);
    CHECK_FALSE(d.allowed);
    CHECK(d.code == Errc::invalid_topic);
  }
}

TEST_CASE("an invalid topic is quoted safely in the refusal", "[policy]") {
  const Decision d =
      fixture().check_publish(system_named("col-radar-leguizamo"), "track.COL\nforged");
  CHECK(d.code == Errc::invalid_topic);
  CHECK(d.reason.find('\n') == std::string::npos);
  CHECK(contains_text(d.reason, "'track.COL\\x0aforged' is not a valid topic"));
}

TEST_CASE("a revoked system may not publish", "[policy]") {
  const Decision d = fixture().check_publish(system_named("col-radar-old"), "track.COL.r.T1");
  CHECK_FALSE(d.allowed);
  CHECK(d.code == Errc::revoked);
  CHECK(contains_text(d.reason, "system 'col-radar-old' is revoked"));
}

// ---- subscribe ---------------------------------------------------------------------------

TEST_CASE("a pattern inside an allow rule may be subscribed, naming the rule", "[policy]") {
  const Decision d =
      fixture().check_subscribe(system_named("per-analyst-iquitos"), "position.ECU.unit.>");
  CHECK(d.allowed);
  CHECK(d.code == Errc::ok);
  CHECK(d.reason == "allowed by role 'analyst' subscribe.allow 'position.*.unit.>' " +
                        cite("subscribe.allow = [\"track.>\", \"position.*.unit.>\"]"));
}

TEST_CASE("'*' in an allow rule admits one token, literal or '*'", "[policy]") {
  const System& analyst = system_named("per-analyst-iquitos");
  CHECK(fixture().check_subscribe(analyst, "position.*.unit.P12").allowed);
  CHECK(fixture().check_subscribe(analyst, "position.COL.unit.*").allowed);
}

TEST_CASE("a pattern wider than every allow rule is refused", "[policy]") {
  const Decision d = fixture().check_subscribe(system_named("per-analyst-iquitos"), "position.>");
  CHECK_FALSE(d.allowed);
  CHECK(d.code == Errc::subscribe_denied);
  CHECK(contains_text(d.reason,
                      "'position.>' is not inside any subscribe.allow rule of role "
                      "'analyst'"));
  CHECK(contains_text(d.reason, "'track.>'"));
  CHECK(contains_text(d.reason, "'position.*.unit.>'"));
}

TEST_CASE("'>' in a request is not inside a rule that fixes a later token", "[policy]") {
  // position.*.unit.> needs a 'unit' third token; position.*.> does not promise one.
  CHECK_FALSE(
      fixture().check_subscribe(system_named("per-analyst-iquitos"), "position.*.>").allowed);
}

TEST_CASE("a pattern that overlaps a deny rule is refused, naming it", "[policy]") {
  // track.> is inside the allow rule track.>, but would also carry track.X.classified.*.
  const Decision d = fixture().check_subscribe(system_named("per-analyst-iquitos"), "track.>");
  CHECK_FALSE(d.allowed);
  CHECK(d.code == Errc::subscribe_denied);
  CHECK(d.reason == "'track.>' overlaps role 'analyst' subscribe.deny 'track.*.classified.>' " +
                        cite("subscribe.deny = [\"track.*.classified.>\"]"));
}

TEST_CASE("a pattern that stays clear of the deny rule is allowed", "[policy]") {
  CHECK(
      fixture().check_subscribe(system_named("per-analyst-iquitos"), "track.COL.radar.>").allowed);
}

TEST_CASE("a command post may subscribe widely except where a deny rule reaches", "[policy]") {
  const System& post = system_named("col-cp-bogota");
  CHECK(fixture().check_subscribe(post, "alert.>").allowed);
  CHECK(fixture().check_subscribe(post, "track.ECU.>").allowed);
  CHECK(fixture().check_subscribe(post, ">").code == Errc::subscribe_denied);
  CHECK(fixture().check_subscribe(post, "*.COL.>").code == Errc::subscribe_denied);
  CHECK(fixture().check_subscribe(post, "biometric.COL.station1").code == Errc::subscribe_denied);
}

TEST_CASE("a role without wildcards may not subscribe with '*' or '>'", "[policy]") {
  const System& radar = system_named("col-radar-leguizamo");
  for (const char* pattern : {"tasking.COL.*", "tasking.COL.>", ">"}) {
    INFO(pattern);
    const Decision d = fixture().check_subscribe(radar, pattern);
    CHECK_FALSE(d.allowed);
    CHECK(d.code == Errc::wildcard_forbidden);
    CHECK(contains_text(
        d.reason, "role 'sensor' " + cite("[roles.sensor]") + " may not subscribe with wildcards"));
  }
}

TEST_CASE("a role without wildcards may subscribe to a literal inside its rules", "[policy]") {
  const System& radar = system_named("col-radar-leguizamo");
  CHECK(fixture().check_subscribe(radar, "tasking.COL.col-radar-leguizamo").allowed);
  CHECK(fixture().check_subscribe(radar, "tasking.ECU.col-radar-leguizamo").code ==
        Errc::subscribe_denied);
}

TEST_CASE("subscribing with an invalid pattern is refused as invalid_pattern", "[policy]") {
  for (const char* pattern : {"", "track.>.COL", "track..>", "track.CO*"}) {
    INFO(pattern);
    const Decision d = fixture().check_subscribe(system_named("col-cp-bogota"), pattern);
    CHECK(d.code == Errc::invalid_pattern);
  }
}

TEST_CASE("a revoked system may not subscribe", "[policy]") {
  CHECK(fixture().check_subscribe(system_named("col-radar-old"), "tasking.COL.x").code ==
        Errc::revoked);
}

// ---- audience ----------------------------------------------------------------------------

TEST_CASE("a label naming ECU reaches COL and ECU", "[policy]") {
  const Audience a = audience_of("col-radar-leguizamo", "track.COL.radar.T1", {"ECU"});
  CHECK(a.label.allowed);
  CHECK(a.label.code == Errc::ok);
  CHECK(a.nations == mask({"COL", "ECU"}));
}

TEST_CASE("an explicit label replaces the agreements' default", "[policy]") {
  // track.> is shared with ECU and PER by agreement, but the label narrows it to BRA.
  const Audience a = audience_of("col-radar-leguizamo", "track.COL.radar.T1", {"BRA"});
  CHECK(a.label.allowed);
  CHECK(a.nations == mask({"COL", "BRA"}));
}

TEST_CASE("the origin nation is always in the audience", "[policy]") {
  CHECK(audience_of("col-radar-leguizamo", "track.COL.r", {"COL"}).nations == mask({"COL"}));
  CHECK(audience_of("col-radar-leguizamo", "track.COL.r", {"PER", "PER"}).nations ==
        mask({"COL", "PER"}));
}

TEST_CASE("an empty label takes the default of the matching agreements", "[policy]") {
  const Audience a = audience_of("col-radar-leguizamo", "track.COL.radar.T1", {});
  CHECK(a.label.allowed);
  CHECK(a.nations == mask({"COL", "ECU", "PER"}));
  CHECK(audience_of("col-cp-bogota", "alert.COL.flood", {}).nations == mask({"COL", "BRA"}));
}

TEST_CASE("an empty label with no matching agreement stays home", "[policy]") {
  CHECK(audience_of("col-cp-bogota", "spot.COL.river.x", {}).nations == mask({"COL"}));
  CHECK(audience_of("ven-cp-caracas", "alert.VEN.x", {}).nations == mask({"VEN"}));
}

TEST_CASE("agreements where the origin is not a party give it nothing", "[policy]") {
  // ecu-per-river shares spot.*.river.> between ECU and PER only.
  CHECK(audience_of("ecu-cp-quito", "spot.ECU.river.x", {}).nations == mask({"ECU", "PER"}));
  CHECK(audience_of("col-cp-bogota", "spot.COL.river.x", {}).nations == mask({"COL"}));
}

TEST_CASE("the release cap trims the agreements' default", "[policy]") {
  // regional-weather joins COL and VEN, but COL's release_cap leaves VEN out.
  CHECK(fixture().default_audience(*fixture().nation_index("COL"), "weather.COL.x") ==
        mask({"COL"}));
  CHECK(fixture().default_audience(*fixture().nation_index("VEN"), "weather.VEN.x") ==
        mask({"COL", "VEN"}));
}

TEST_CASE("releasing beyond an explicit cap is refused, citing the cap", "[policy]") {
  const Audience a = audience_of("col-cp-bogota", "text.COL.x", {"ECU", "VEN"});
  CHECK_FALSE(a.label.allowed);
  CHECK(a.label.code == Errc::release_not_permitted);
  CHECK(a.label.reason == "COL may not release to VEN: not within its release cap " +
                              cite("release_cap = [\"ECU\", \"PER\", \"BRA\"]"));
  CHECK(a.nations == 0);
}

TEST_CASE("releasing beyond a cap derived from agreements is refused", "[policy]") {
  const Audience a = audience_of("ecu-cp-quito", "text.ECU.x", {"BRA"});
  CHECK(a.label.code == Errc::release_not_permitted);
  CHECK(contains_text(a.label.reason,
                      "ECU may not release to BRA: BRA shares no agreement with ECU, "
                      "and ECU declares no release_cap"));
}

TEST_CASE("a label naming a nation outside the coalition is an invalid label", "[policy]") {
  for (const char* code : {"ARG", "ecu", "", "ECUADOR"}) {
    INFO(code);
    const Audience a = audience_of("col-cp-bogota", "text.COL.x", {"ECU", code});
    CHECK_FALSE(a.label.allowed);
    CHECK(a.label.code == Errc::invalid_label);
    CHECK(a.nations == 0);
  }
  CHECK(audience_of("col-cp-bogota", "text.COL.x", {"ARG"}).label.reason ==
        "unknown nation 'ARG' in releasable_to");
}

TEST_CASE("a classification above the coalition maximum is refused", "[policy]") {
  const Audience a = audience_of("col-cp-bogota", "text.COL.x", {"ECU"}, Classification::secret);
  CHECK_FALSE(a.label.allowed);
  CHECK(a.label.code == Errc::classification_exceeded);
  CHECK(contains_text(a.label.reason,
                      "classification SECRET exceeds the coalition maximum "
                      "CONFIDENTIAL"));
  CHECK(a.nations == 0);
}

TEST_CASE("the maximum classification itself is accepted", "[policy]") {
  CHECK(audience_of("col-cp-bogota", "text.COL.x", {}, Classification::confidential).label.allowed);
  CHECK(audience_of("col-cp-bogota", "text.COL.x", {}, Classification::unmarked).label.allowed);
}

TEST_CASE("default_audience of an unknown nation index is empty", "[policy]") {
  CHECK(fixture().default_audience(99, "track.COL.x") == 0);
}

TEST_CASE("explain_publish refuses exactly as check_publish does", "[policy]") {
  const System& radar = system_named("col-radar-leguizamo");
  for (const char* topic : {"track.ECU.r", "track.COL.test.x", "track..x"}) {
    INFO(topic);
    const Decision checked = fixture().check_publish(radar, topic);
    const Decision explained = fixture().explain_publish(radar, topic);
    CHECK_FALSE(explained.allowed);
    CHECK(explained.code == checked.code);
    CHECK(explained.reason == checked.reason);
  }
}

TEST_CASE("an agreement without topics allows explicit release but shares nothing", "[policy]") {
  const auto policy = Policy::parse(R"([coalition]
name = "c"
policy_identifier = "u"
[nations.COL]
[nations.ECU]
[roles.post]
publish.allow = ["text.{nation}.>"]
[[systems]]
id = "col-post"
nation = "COL"
role = "post"
public_key = "1Qgc&e^H7[USQngq0@RzKE53j=f}()n7Tso2<duQ"
[[agreements]]
name = "liaison"
parties = ["COL", "ECU"]
)",
                                    "liaison.toml");
  const System& post = *policy->find_system("col-post");
  const std::vector<std::string_view> none;
  const std::vector<std::string_view> ecu = {"ECU"};
  CHECK(policy->audience(post, "text.COL.x", none, Classification::unmarked).nations == 1u << 0);
  CHECK(policy->audience(post, "text.COL.x", ecu, Classification::unmarked).nations == 3u);
}
