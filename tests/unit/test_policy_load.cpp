// Loading a valid policy: what the compiled Policy holds (nations and their indices and
// caps, roles, systems, expanded rule sets, agreements, limits, durable topics), and the
// lookups the broker uses. Fixture: tests/unit/data/policies/putumayo.toml.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "enlace/policy/policy.hpp"

using namespace enlace::policy;

namespace {

const std::filesystem::path kFixture =
    std::filesystem::path(__FILE__).parent_path() / "data" / "policies" / "putumayo.toml";

std::string fixture_text() {
  std::ifstream file(kFixture, std::ios::binary);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

const Policy& fixture() {
  static const std::shared_ptr<const Policy> policy = Policy::load_file(kFixture);
  return *policy;
}

// The 1-based line of the first line of the fixture containing `needle`, so tests do not
// break when comments move.
int fixture_line(std::string_view needle, int after = 0) {
  std::istringstream in(fixture_text());
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (number > after && line.find(needle) != std::string::npos) return number;
  }
  FAIL("fixture has no line containing " << needle);
  return 0;
}

NationMask mask(std::initializer_list<const char*> codes) {
  NationMask out = 0;
  for (const char* code : codes) out |= NationMask{1} << *fixture().nation_index(code);
  return out;
}

const System& system_named(std::string_view id) {
  const System* found = fixture().find_system(id);
  REQUIRE(found != nullptr);
  return *found;
}

}  // namespace

TEST_CASE("a valid policy loads with its coalition identity", "[policy]") {
  CHECK(fixture().coalition() == "Operation Putumayo Shield");
  CHECK(fixture().policy_identifier() == "urn:enlace:coalition:putumayo");
}

TEST_CASE("a valid policy holds every declaration", "[policy]") {
  CHECK(fixture().nations().size() == 5);
  CHECK(fixture().roles().size() == 3);
  CHECK(fixture().systems().size() == 8);
  CHECK(fixture().agreements().size() == 4);
  CHECK(fixture().durable_streams().size() == 2);
}

TEST_CASE("nation indices follow the alphabetical order of codes", "[policy]") {
  const auto& nations = fixture().nations();
  REQUIRE(nations.size() == 5);
  const char* expected[] = {"BRA", "COL", "ECU", "PER", "VEN"};
  for (unsigned i = 0; i < nations.size(); ++i) {
    CHECK(nations[i].code == expected[i]);
    CHECK(nations[i].index == i);
    CHECK(fixture().nation_index(expected[i]) == i);
  }
}

TEST_CASE("nation names come from the file, with their lines", "[policy]") {
  const Nation& col = fixture().nations()[*fixture().nation_index("COL")];
  CHECK(col.name == "Colombia");
  CHECK(col.where.line == fixture_line("[nations.COL]"));
  CHECK(col.where.file == kFixture.string());
}

TEST_CASE("nation_index is empty for codes not in the coalition", "[policy]") {
  CHECK_FALSE(fixture().nation_index("ARG"));
  CHECK_FALSE(fixture().nation_index("col"));
  CHECK_FALSE(fixture().nation_index(""));
}

TEST_CASE("an explicit release_cap holds the listed nations and the nation itself", "[policy]") {
  const Nation& col = fixture().nations()[*fixture().nation_index("COL")];
  CHECK(col.release_cap == mask({"COL", "ECU", "PER", "BRA"}));
  CHECK(col.release_cap_where.line == fixture_line("release_cap = [\"ECU\""));
}

TEST_CASE("without release_cap a nation may reach the parties of its agreements", "[policy]") {
  const auto& nations = fixture().nations();
  CHECK(nations[*fixture().nation_index("ECU")].release_cap == mask({"COL", "ECU", "PER"}));
  CHECK(nations[*fixture().nation_index("BRA")].release_cap == mask({"BRA", "COL"}));
  CHECK(nations[*fixture().nation_index("VEN")].release_cap == mask({"COL", "VEN"}));
  CHECK(nations[*fixture().nation_index("ECU")].release_cap_where.line == 0);
}

TEST_CASE("a nation in no agreement and without release_cap may reach only itself", "[policy]") {
  const auto policy = Policy::parse(R"(
[coalition]
name = "c"
policy_identifier = "urn:c"
[nations.COL]
[nations.ECU]
)",
                                    "lonely.toml");
  CHECK(policy->nations()[1].release_cap == NationMask{1} << 1);
  CHECK(policy->nations()[1].name == "ECU");
}

TEST_CASE("roles keep description, wildcard flag and line", "[policy]") {
  const auto& roles = fixture().roles();
  const auto sensor =
      std::find_if(roles.begin(), roles.end(), [](const Role& r) { return r.name == "sensor"; });
  REQUIRE(sensor != roles.end());
  CHECK_FALSE(sensor->wildcard_subscribe);
  CHECK(sensor->description.find("Radar") == 0);
  CHECK(sensor->where.line == fixture_line("[roles.sensor]"));
  const auto analyst =
      std::find_if(roles.begin(), roles.end(), [](const Role& r) { return r.name == "analyst"; });
  REQUIRE(analyst != roles.end());
  CHECK(analyst->wildcard_subscribe);
}

TEST_CASE("systems resolve their nation and role", "[policy]") {
  const System& radar = system_named("col-radar-leguizamo");
  CHECK(fixture().nations()[radar.nation].code == "COL");
  CHECK(fixture().roles()[radar.role].name == "sensor");
  CHECK(radar.public_key == "RriqZ.8<%8Pk)@8f!}K@/t{S>MvX0FaE^Dk(@au[");
  CHECK(radar.signing_key == "C285XKFKwgI3TVz/Z4txFX0L734AwwRem4CqtP+4UnY=");
  CHECK(radar.where.line == fixture_line("[[systems]]", fixture_line("col-cp-bogota")));
}

TEST_CASE("a system's rate and burst override the defaults", "[policy]") {
  CHECK(system_named("col-radar-leguizamo").rate_per_second == 500);
  CHECK(system_named("col-radar-leguizamo").burst == 1000);
}

TEST_CASE("systems without rate and burst take the [limits] defaults", "[policy]") {
  CHECK(system_named("col-cp-bogota").rate_per_second == 1500);
  CHECK(system_named("col-cp-bogota").burst == 3000);
  CHECK(system_named("col-cp-bogota").signing_key.empty());
}

TEST_CASE("rule patterns are expanded for the system's nation", "[policy]") {
  const RuleSet* rules = system_named("col-radar-leguizamo").rules;
  REQUIRE(rules != nullptr);
  REQUIRE(rules->publish_allow.size() == 2);
  const Rule& track = rules->publish_allow[0];
  CHECK(track.pattern == "track.COL.>");
  CHECK(track.written == "track.{nation}.>");
  CHECK(track.kind == "publish.allow");
  CHECK(track.role == "sensor");
  CHECK(track.where.line == fixture_line("\"track.{nation}.>\","));
  CHECK(rules->publish_allow[1].where.line == fixture_line("\"position.{nation}.unit.>\""));
  REQUIRE(rules->publish_deny.size() == 1);
  CHECK(rules->publish_deny[0].pattern == "track.COL.test.>");
  CHECK(rules->publish_deny[0].kind == "publish.deny");
  REQUIRE(rules->subscribe_allow.size() == 1);
  CHECK(rules->subscribe_allow[0].pattern == "tasking.COL.*");
  CHECK(rules->subscribe_deny.empty());
  CHECK_FALSE(rules->wildcard_subscribe);
}

TEST_CASE("the same role in another nation gets its own expansion", "[policy]") {
  const RuleSet* rules = system_named("ecu-radar-lago-agrio").rules;
  REQUIRE(rules != nullptr);
  CHECK(rules->publish_allow[0].pattern == "track.ECU.>");
  CHECK(rules->publish_allow[0].written == "track.{nation}.>");
}

TEST_CASE("systems of one role and nation share one rule set", "[policy]") {
  CHECK(system_named("col-radar-leguizamo").rules == system_named("col-radar-old").rules);
  CHECK(system_named("col-radar-leguizamo").rules != system_named("ecu-radar-lago-agrio").rules);
  CHECK(system_named("col-radar-leguizamo").rules != system_named("col-cp-bogota").rules);
}

TEST_CASE("patterns without placeholder are kept as written", "[policy]") {
  const RuleSet* rules = system_named("per-analyst-iquitos").rules;
  REQUIRE(rules != nullptr);
  REQUIRE(rules->subscribe_allow.size() == 2);
  CHECK(rules->subscribe_allow[1].pattern == "position.*.unit.>");
  CHECK(rules->subscribe_allow[1].written == "position.*.unit.>");
  CHECK(rules->publish_allow.empty());
}

TEST_CASE("Rule::describe names role, kind, written pattern and file:line", "[policy]") {
  const Rule& track = system_named("col-radar-leguizamo").rules->publish_allow[0];
  const std::string expected = "role 'sensor' publish.allow 'track.{nation}.>' (putumayo.toml:" +
                               std::to_string(fixture_line("\"track.{nation}.>\",")) + ")";
  CHECK(track.describe() == expected);
}

TEST_CASE("agreements hold their parties as a mask and their topics", "[policy]") {
  const Agreement& patrol = fixture().agreements()[0];
  CHECK(patrol.name == "putumayo-joint-patrol");
  CHECK(patrol.description == "Joint river and border patrol");
  CHECK(patrol.parties == mask({"COL", "ECU", "PER"}));
  CHECK(patrol.topics == std::vector<std::string>{"position.*.unit.>", "track.>"});
  CHECK(patrol.where.line == fixture_line("[[agreements]]"));
}

TEST_CASE("limits come from [limits]", "[policy]") {
  const Limits& limits = fixture().limits();
  CHECK(limits.max_message_bytes == 131072);
  CHECK(limits.default_rate_per_second == 1500);
  CHECK(limits.default_burst == 3000);
  CHECK(limits.max_subscriptions_per_session == 256);
  CHECK(limits.max_classification == Classification::confidential);
}

TEST_CASE("limits default when [limits] is absent", "[policy]") {
  const auto policy =
      Policy::parse("[coalition]\nname = \"c\"\npolicy_identifier = \"u\"\n", "minimal.toml");
  const Limits defaults;
  CHECK(policy->limits().max_message_bytes == defaults.max_message_bytes);
  CHECK(policy->limits().default_rate_per_second == defaults.default_rate_per_second);
  CHECK(policy->limits().default_burst == defaults.default_burst);
  CHECK(policy->limits().max_subscriptions_per_session == defaults.max_subscriptions_per_session);
  CHECK(policy->limits().max_classification == Classification::secret);
  CHECK(policy->limits().max_session_queue_bytes == 4 * 1024 * 1024);
  CHECK(policy->limits().max_session_control_bytes == 1024 * 1024);
  CHECK(policy->limits().max_sessions_per_system == 8);
}

TEST_CASE("the per-session bounds come from [limits]", "[policy]") {
  const auto policy = Policy::parse(
      "[coalition]\nname = \"c\"\npolicy_identifier = \"u\"\n[limits]\n"
      "max_session_queue_bytes = 65536\nmax_session_control_bytes = 131072\n"
      "max_sessions_per_system = 1\n",
      "sessions.toml");
  CHECK(policy->limits().max_session_queue_bytes == 65536);
  CHECK(policy->limits().max_session_control_bytes == 131072);
  CHECK(policy->limits().max_sessions_per_system == 1);
}

TEST_CASE("rates may be written as floating-point numbers", "[policy]") {
  const auto policy = Policy::parse(
      "[coalition]\nname = \"c\"\npolicy_identifier = \"u\"\n[limits]\ndefault_rate = 0.5\n",
      "rate.toml");
  CHECK(policy->limits().default_rate_per_second == 0.5);
}

TEST_CASE("durable streams keep their topics, retention and durability", "[policy]") {
  const auto& durable = fixture().durable_streams();
  REQUIRE(durable.size() == 2);
  CHECK(durable[0].name == "alerts");
  CHECK(durable[0].topics == std::vector<std::string>{"alert.>"});
  CHECK(durable[0].max_age_seconds == 259200);
  CHECK(durable[0].max_bytes == std::uint64_t{1} << 30);
  CHECK(durable[0].max_messages == 0);
  CHECK(durable[0].durability == Durability::fsync);
  CHECK(durable[1].name == "taskings");
  CHECK(durable[1].max_age_seconds == 0);
  CHECK(durable[1].durability == Durability::write);

  const auto stream_of = [](std::string_view topic) {
    enlace::topic::Tokens tokens;
    tokens.split(topic);
    const DurableStream* stream = fixture().durable_stream_for(tokens);
    return stream ? stream->name : std::string("(none)");
  };
  CHECK(stream_of("alert.COL.putumayo.A-1") == "alerts");
  CHECK(stream_of("tasking.ECU.patrol") == "taskings");
  CHECK(stream_of("track.COL.radar.T1") == "(none)");
}

TEST_CASE("find_system finds systems by id, revoked ones included", "[policy]") {
  CHECK(fixture().find_system("ecu-cp-quito") != nullptr);
  CHECK(fixture().find_system("col-radar-old") != nullptr);
  CHECK(fixture().find_system("col-radar-old")->revoked);
  CHECK(fixture().find_system("nobody") == nullptr);
}

TEST_CASE("find_system_by_key finds an active system by its CURVE key", "[policy]") {
  const System* found = fixture().find_system_by_key("k5.e96U{Ls<+>O70JjdsBt*GbSZV^7SL9z}%a9.T");
  REQUIRE(found != nullptr);
  CHECK(found->id == "ecu-cp-quito");
  CHECK(fixture().find_system_by_key("0000000000000000000000000000000000000000") == nullptr);
}

TEST_CASE("a revoked system's key is not found", "[policy]") {
  CHECK(fixture().find_system_by_key("iY$X[!.XSUi1E?XI(l%PSpXQvi+WJ}PJzz>(UA&V") == nullptr);
}

TEST_CASE("the digest is the lowercase hex SHA-256 of the file text", "[policy]") {
  const std::string& digest = fixture().digest();
  CHECK(digest.size() == 64);
  CHECK(digest.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(Policy::parse(fixture_text(), "copy.toml")->digest() == digest);
  CHECK(Policy::parse(fixture_text() + "\n", "copy.toml")->digest() != digest);
}

TEST_CASE("the digest of a known text is its SHA-256", "[policy]") {
  // sha256 of the exact text below, computed independently (sha256sum).
  const auto policy =
      Policy::parse("[coalition]\nname = \"c\"\npolicy_identifier = \"u\"\n", "known.toml");
  CHECK(policy->digest() == "94fad5af02fa2600d19bf4ae60f03ae6321ad75de205631d88609d2edeef53d3");
}

TEST_CASE("nation_list names the nations of a mask in index order", "[policy]") {
  CHECK(fixture().nation_list(mask({"PER", "COL", "ECU"})) == "COL,ECU,PER");
  CHECK(fixture().nation_list(0).empty());
  CHECK(fixture().nation_list(~NationMask{0}) == "BRA,COL,ECU,PER,VEN");
}

TEST_CASE("load_file of a missing file throws runtime_error, not PolicyError", "[policy]") {
  const auto missing = kFixture.parent_path() / "no-such-policy.toml";
  CHECK_THROWS_AS(Policy::load_file(missing), std::runtime_error);
  try {
    (void)Policy::load_file(missing);
  } catch (const PolicyError&) {
    FAIL("a missing file is not a policy defect");
  } catch (const std::runtime_error& error) {
    CHECK(std::string(error.what()).find("no-such-policy.toml") != std::string::npos);
  }
}

TEST_CASE("load_file of a directory throws runtime_error", "[policy]") {
  CHECK_THROWS_AS(Policy::load_file(kFixture.parent_path()), std::runtime_error);
}

TEST_CASE("lookups refuse ids and keys of impossible length", "[policy]") {
  CHECK(fixture().find_system(std::string(65, 'a')) == nullptr);
  CHECK(fixture().find_system_by_key("k5.e96U{Ls<+>O70JjdsBt*GbSZV^7SL9z}%a9.T ") == nullptr);
  CHECK(fixture().find_system_by_key("") == nullptr);
}

TEST_CASE("an empty release_cap limits a nation to itself", "[policy]") {
  const auto policy = Policy::parse(R"([coalition]
name = "c"
policy_identifier = "u"
[nations.COL]
release_cap = []
[nations.ECU]
[[agreements]]
name = "a"
parties = ["COL", "ECU"]
)",
                                    "empty-cap.toml");
  CHECK(policy->nations()[0].release_cap == NationMask{1});
  CHECK(policy->nations()[0].release_cap_where.line == 5);
  CHECK(policy->nations()[1].release_cap == NationMask{3});
}
