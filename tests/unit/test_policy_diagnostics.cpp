// Loading faulty policies: each kind of defect yields a diagnostic on the right line, and a
// file with several defects reports all of them at once.
#include <catch2/catch.hpp>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "enlace/policy/policy.hpp"

using namespace enlace::policy;

namespace {

// A small valid policy; each test breaks one thing in it.
const std::string kBase = R"([coalition]
name = "Test coalition"
policy_identifier = "urn:enlace:test"

[nations.COL]
[nations.ECU]

[roles.sensor]
publish.allow = ["track.{nation}.>"]
subscribe.allow = ["tasking.{nation}.>"]

[[systems]]
id = "col-radar"
nation = "COL"
role = "sensor"
public_key = "1Qgc&e^H7[USQngq0@RzKE53j=f}()n7Tso2<duQ"

[[agreements]]
name = "patrol"
parties = ["COL", "ECU"]
topics = ["track.>"]
)";

constexpr const char* kOtherKey = "RriqZ.8<%8Pk)@8f!}K@/t{S>MvX0FaE^Dk(@au[";

// kBase with the first occurrence of `from` replaced by `to`.
std::string with(std::string_view from, std::string_view to, std::string text = kBase) {
  const std::size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

// A second system, for duplicate tests.
std::string second_system(std::string_view id, std::string_view key) {
  return std::string("\n[[systems]]\nid = \"") + std::string(id) +
         "\"\nnation = \"ECU\"\nrole = \"sensor\"\npublic_key = \"" + std::string(key) + "\"\n";
}

// The 1-based line of the `nth` line of `text` containing `needle`.
int line_in(const std::string& text, std::string_view needle, int nth = 1) {
  std::istringstream in(text);
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.find(needle) != std::string::npos && --nth == 0) return number;
  }
  FAIL("no line containing " << needle);
  return 0;
}

std::vector<Diagnostic> diagnostics_of(const std::string& text) {
  try {
    (void)Policy::parse(text, "dir/test.toml");
  } catch (const PolicyError& error) {
    return error.diagnostics();
  }
  FAIL("the policy was accepted");
  return {};
}

std::string listing(const std::vector<Diagnostic>& diagnostics) {
  std::string out;
  for (const Diagnostic& d : diagnostics) {
    out += std::to_string(d.where.line) + ": " + d.message + "\n";
  }
  return out;
}

// Whether some diagnostic on `line` contains `words`.
bool reported(const std::vector<Diagnostic>& diagnostics, int line, std::string_view words) {
  for (const Diagnostic& d : diagnostics) {
    if (d.where.line == line && d.message.find(words) != std::string::npos) return true;
  }
  return false;
}

// Parses `text`, expecting exactly one diagnostic, on the line holding `needle`, that
// contains `words`.
void expect_one(const std::string& text, std::string_view needle, std::string_view words) {
  const auto diagnostics = diagnostics_of(text);
  INFO(listing(diagnostics));
  CHECK(diagnostics.size() == 1);
  CHECK(reported(diagnostics, line_in(text, needle), words));
}

}  // namespace

TEST_CASE("the base policy of these tests is valid", "[policy]") {
  CHECK_NOTHROW(Policy::parse(kBase, "test.toml"));
}

// ---- unknown keys ------------------------------------------------------------------------

TEST_CASE("an unknown key in a role is reported with a suggestion", "[policy]") {
  const std::string text = with("publish.allow", "publsh.allow");
  expect_one(text, "publsh", "unknown key 'publsh' in role 'sensor'; expected one of");
  CHECK(diagnostics_of(text)[0].message.find("did you mean 'publish'?") != std::string::npos);
}

TEST_CASE("an unknown key under publish is reported", "[policy]") {
  const std::string text = with("publish.allow", "publish.alow");
  expect_one(text, "alow", "unknown key 'alow' in role 'sensor' publish");
}

TEST_CASE("an unknown top-level table is reported", "[policy]") {
  const std::string text = kBase + "\n[nation.PER]\n";
  expect_one(text, "[nation.PER]", "unknown key 'nation' at the top level");
}

TEST_CASE("an unknown key in a system is reported", "[policy]") {
  const std::string text = with("role = \"sensor\"", "role = \"sensor\"\nrevokd = true");
  expect_one(text, "revokd", "unknown key 'revokd' in system 'col-radar'");
}

TEST_CASE("an unknown key in [coalition] is reported", "[policy]") {
  const std::string text = with("name = \"Test coalition\"", "name = \"T\"\nmotto = \"x\"");
  expect_one(text, "motto", "unknown key 'motto' in [coalition]");
}

TEST_CASE("an unknown key in an agreement is reported", "[policy]") {
  const std::string text = with("topics = [", "topic = [");
  expect_one(text, "topic = [", "unknown key 'topic' in agreement 'patrol'");
}

// ---- duplicates --------------------------------------------------------------------------

TEST_CASE("a duplicate system id is reported on the second declaration", "[policy]") {
  const std::string text = kBase + second_system("col-radar", kOtherKey);
  const auto diagnostics = diagnostics_of(text);
  INFO(listing(diagnostics));
  CHECK(diagnostics.size() == 1);
  CHECK(reported(diagnostics, line_in(text, "id = \"col-radar\"", 2),
                 "duplicate system id 'col-radar'; it is already used at line " +
                     std::to_string(line_in(text, "id = \"col-radar\""))));
}

TEST_CASE("a public key used by two systems is reported", "[policy]") {
  const std::string text =
      kBase + second_system("ecu-radar", "1Qgc&e^H7[USQngq0@RzKE53j=f}()n7Tso2<duQ");
  const auto diagnostics = diagnostics_of(text);
  INFO(listing(diagnostics));
  CHECK(diagnostics.size() == 1);
  CHECK(reported(diagnostics, line_in(text, "public_key", 2),
                 "public_key of system 'ecu-radar' is already the key of system 'col-radar'"));
}

TEST_CASE("a duplicate agreement name is reported", "[policy]") {
  const std::string text =
      kBase + "\n[[agreements]]\nname = \"patrol\"\nparties = [\"COL\", \"ECU\"]\n";
  const auto diagnostics = diagnostics_of(text);
  INFO(listing(diagnostics));
  CHECK(reported(diagnostics, line_in(text, "name = \"patrol\"", 2),
                 "duplicate agreement name 'patrol'"));
}

TEST_CASE("a nation listed twice as a party is reported", "[policy]") {
  const std::string text = with("[\"COL\", \"ECU\"]", "[\"COL\", \"ECU\", \"COL\"]");
  expect_one(text, "parties", "agreement 'patrol' lists party 'COL' twice");
}

TEST_CASE("a nation declared twice is a TOML error", "[policy]") {
  const std::string text = kBase + "\n[nations.COL]\n";
  const auto diagnostics = diagnostics_of(text);
  INFO(listing(diagnostics));
  CHECK(diagnostics.size() == 1);
  CHECK(reported(diagnostics, line_in(text, "[nations.COL]", 2), "TOML syntax error"));
}

// ---- references --------------------------------------------------------------------------

TEST_CASE("a system in an undeclared nation is reported", "[policy]") {
  const std::string text = with("nation = \"COL\"", "nation = \"PER\"");
  expect_one(text, "nation = \"PER\"",
             "system 'col-radar' names nation 'PER', which is not declared in [nations]");
}

TEST_CASE("a system with an undeclared role is reported", "[policy]") {
  const std::string text = with("role = \"sensor\"", "role = \"radar\"");
  expect_one(text, "role = \"radar\"",
             "system 'col-radar' names role 'radar', which is not declared in [roles]");
}

TEST_CASE("an agreement party that is not declared is reported", "[policy]") {
  const std::string text = with("[\"COL\", \"ECU\"]", "[\"COL\", \"ECU\", \"VEN\"]");
  expect_one(text, "parties", "agreement 'patrol' names party 'VEN'");
}

TEST_CASE("a release_cap naming an undeclared nation is reported", "[policy]") {
  const std::string text = with("[nations.COL]", "[nations.COL]\nrelease_cap = [\"BRA\"]");
  expect_one(text, "release_cap", "release_cap of nation 'COL' names 'BRA'");
}

// ---- nations -----------------------------------------------------------------------------

TEST_CASE("nation codes must be three uppercase letters", "[policy]") {
  for (const char* code : {"Col", "CO", "COLO", "C0L"}) {
    INFO(code);
    const std::string header = std::string("[nations.") + code + "]";
    const std::string text = kBase + "\n" + header + "\n";
    expect_one(text, header, "must be exactly 3 uppercase letters");
  }
}

TEST_CASE("a 65th nation is reported", "[policy]") {
  std::string text = kBase;
  // 63 more nations on top of COL and ECU: 65 in all. Codes AAA, AAB, ... sort first, so
  // the 65th in index order is ECU.
  for (int i = 0; i < 63; ++i) {
    text += "[nations.A" + std::string(1, static_cast<char>('A' + i / 26)) +
            std::string(1, static_cast<char>('A' + i % 26)) + "]\n";
  }
  expect_one(text, "[nations.ECU]", "too many nations: 'ECU' would be number 65");
}

TEST_CASE("64 nations are accepted", "[policy]") {
  std::string text = kBase;
  for (int i = 0; i < 62; ++i) {
    text += "[nations.A" + std::string(1, static_cast<char>('A' + i / 26)) +
            std::string(1, static_cast<char>('A' + i % 26)) + "]\n";
  }
  const auto policy = Policy::parse(text, "test.toml");
  CHECK(policy->nations().size() == 64);
  CHECK(policy->nations().back().code == "ECU");
  CHECK(policy->nations().back().release_cap == (NationMask{1} << 63 | NationMask{1} << 62));
}

// ---- patterns ----------------------------------------------------------------------------

TEST_CASE("an invalid role pattern is reported with the reason", "[policy]") {
  const std::string text = with("\"track.{nation}.>\"", "\"track.>.{nation}\"");
  expect_one(text, "track.>.{nation}",
             "invalid pattern 'track.>.{nation}' in role 'sensor' publish.allow: '>' may only "
             "be the last token");
}

TEST_CASE("an empty role pattern is reported", "[policy]") {
  const std::string text = with("\"tasking.{nation}.>\"", "\"\"");
  expect_one(text, "subscribe.allow", "invalid pattern '' in role 'sensor' subscribe.allow");
}

TEST_CASE("a pattern with an empty token is reported", "[policy]") {
  const std::string text = with("\"track.{nation}.>\"", "\"track..>\"");
  expect_one(text, "track..>", "empty token");
}

TEST_CASE("a placeholder other than {nation} is reported", "[policy]") {
  const std::string text = with("\"track.{nation}.>\"", "\"track.{site}.>\"");
  expect_one(text, "{site}", "unknown placeholder '{site}' in role 'sensor' publish.allow");
}

TEST_CASE("placeholders are case-sensitive", "[policy]") {
  const std::string text = with("\"track.{nation}.>\"", "\"track.{Nation}.>\"");
  expect_one(text, "{Nation}", "unknown placeholder '{Nation}'");
}

TEST_CASE("a stray brace is reported as a placeholder defect", "[policy]") {
  const std::string text = with("\"track.{nation}.>\"", "\"track.nation}.>\"");
  expect_one(text, "nation}", "unknown placeholder '}'");
}

TEST_CASE("an agreement topic may not hold a placeholder", "[policy]") {
  const std::string text = with("topics = [\"track.>\"]", "topics = [\"track.{nation}.>\"]");
  expect_one(text, "topics", "only expanded in role patterns");
}

TEST_CASE("an invalid agreement topic is reported", "[policy]") {
  const std::string text = with("topics = [\"track.>\"]", "topics = [\"track.>.x\"]");
  expect_one(text, "topics", "invalid pattern 'track.>.x' in agreement 'patrol'");
}

TEST_CASE("an invalid durable topic is reported", "[policy]") {
  const std::string text = kBase + "\n[[durable]]\nname = \"alerts\"\ntopics = [\"alert..>\"]\n";
  expect_one(text, "alert..>\"]", "invalid pattern 'alert..>' in durable stream 'alerts'");
}

TEST_CASE("a durable stream's name must be fit for a directory", "[policy]") {
  const std::string text = kBase + "\n[[durable]]\nname = \"../alerts\"\ntopics = [\"alert.>\"]\n";
  expect_one(text, "../alerts", "durable stream name '../alerts' must be 1 to 64 of a-z");
}

TEST_CASE("two durable streams may not journal the same topic", "[policy]") {
  const std::string text = kBase +
                           "\n[[durable]]\nname = \"alerts\"\ntopics = [\"alert.>\"]\n"
                           "\n[[durable]]\nname = \"col\"\ntopics = [\"*.COL.>\"]\n";
  expect_one(text, "topics = [\"*.COL",
             "durable stream 'col' topic '*.COL.>' overlaps 'alert.>' of durable stream "
             "'alerts'");
}

TEST_CASE("a durable stream's limits and durability are checked", "[policy]") {
  const std::string stream = kBase + "\n[[durable]]\nname = \"alerts\"\ntopics = [\"alert.>\"]\n";
  expect_one(stream + "max_age_seconds = -1\n", "max_age_seconds",
             "max_age_seconds of durable stream 'alerts' must be 0 (no age limit) or 1 to");
  expect_one(stream + "max_bytes = 4096\n", "max_bytes",
             "max_bytes of durable stream 'alerts' must be between 1048576 and");
  expect_one(stream + "durability = \"sync\"\n", "durability",
             "durability of durable stream 'alerts' must be \"write\" or \"fsync\", not \"sync\"");
}

// ---- keys and ids ------------------------------------------------------------------------

TEST_CASE("a public key of the wrong length is reported", "[policy]") {
  const std::string text = with("n7Tso2<duQ\"", "n7Tso2<du\"");
  expect_one(text, "public_key", "not a Z85 CURVE public key: it has 39 characters, not 40");
}

TEST_CASE("a public key outside the Z85 alphabet is reported", "[policy]") {
  const std::string text = with("1Qgc&e^H7[", "1Qgc,e^H7[");
  expect_one(text, "public_key", "character 5 is not in the Z85 alphabet");
}

TEST_CASE("a public key group above 2^32 is reported", "[policy]") {
  const std::string text = with("1Qgc&e^H7[", "#####e^H7[");
  expect_one(text, "public_key", "characters 1-5 do not encode 4 bytes");
}

TEST_CASE("a signing key that is not 32 bytes of base64 is reported", "[policy]") {
  const std::string text = with("role = \"sensor\"", "role = \"sensor\"\nsigning_key = \"AAAA\"");
  expect_one(text, "signing_key", "signing_key of system 'col-radar' must be a base64 Ed25519");
}

TEST_CASE("a system id with uppercase letters is reported", "[policy]") {
  const std::string text = with("id = \"col-radar\"", "id = \"COL-radar\"");
  expect_one(text, "COL-radar", "system id 'COL-radar' must be 1-64 characters");
}

TEST_CASE("a system without public_key is reported on its header line", "[policy]") {
  const std::string text = with("public_key = \"1Qgc&e^H7[USQngq0@RzKE53j=f}()n7Tso2<duQ\"", "");
  expect_one(text, "[[systems]]", "system 'col-radar' lacks the required key 'public_key'");
}

// ---- values ------------------------------------------------------------------------------

TEST_CASE("an unknown classification is reported", "[policy]") {
  const std::string text = kBase + "\n[limits]\nmax_classification = \"COSMIC\"\n";
  expect_one(text, "COSMIC", "max_classification 'COSMIC' is not one of");
}

TEST_CASE("a rate of zero is reported", "[policy]") {
  const std::string text = with("role = \"sensor\"", "role = \"sensor\"\nrate = 0");
  expect_one(text, "rate = 0", "rate of system 'col-radar' must be above 0");
}

TEST_CASE("a negative rate is reported", "[policy]") {
  const std::string text = with("role = \"sensor\"", "role = \"sensor\"\nrate = -2.5");
  expect_one(text, "rate =", "must be above 0 messages per second, not -2.5");
}

TEST_CASE("a burst below one is reported", "[policy]") {
  const std::string text = with("role = \"sensor\"", "role = \"sensor\"\nburst = 0");
  expect_one(text, "burst", "burst of system 'col-radar' must be at least 1");
}

TEST_CASE("a default_rate of zero is reported", "[policy]") {
  const std::string text = kBase + "\n[limits]\ndefault_rate = 0\n";
  expect_one(text, "default_rate", "default_rate must be above 0");
}

TEST_CASE("an infinite rate is reported", "[policy]") {
  const std::string text = kBase + "\n[limits]\ndefault_rate = inf\n";
  expect_one(text, "default_rate", "must be a finite number, not inf or nan");
}

TEST_CASE("max_message_bytes outside 1024..16777216 is reported", "[policy]") {
  for (const char* value : {"1023", "16777217"}) {
    INFO(value);
    const std::string text = kBase + "\n[limits]\nmax_message_bytes = " + value + "\n";
    expect_one(text, "max_message_bytes", "max_message_bytes must be between 1024 and 16777216");
  }
}

TEST_CASE("per-session byte bounds outside 65536..1073741824 are reported", "[policy]") {
  for (const char* key : {"max_session_queue_bytes", "max_session_control_bytes"}) {
    for (const char* value : {"65535", "1073741825"}) {
      INFO(key << " = " << value);
      const std::string text = kBase + "\n[limits]\n" + key + " = " + value + "\n";
      expect_one(text, key, std::string(key) + " must be between 65536 and 1073741824");
    }
  }
}

TEST_CASE("max_sessions_per_system outside 1..100000 is reported", "[policy]") {
  for (const char* value : {"0", "100001"}) {
    INFO(value);
    const std::string text = kBase + "\n[limits]\nmax_sessions_per_system = " + value + "\n";
    expect_one(text, "max_sessions_per_system",
               "max_sessions_per_system must be between 1 and 100000");
  }
}

TEST_CASE("a value of the wrong type is reported with both types", "[policy]") {
  const std::string text = with("name = \"Test coalition\"", "name = 5");
  expect_one(text, "name = 5", "'name' in [coalition] must be a string, not an integer");
}

TEST_CASE("a pattern list written as a string is reported", "[policy]") {
  const std::string text = with("[\"tasking.{nation}.>\"]", "\"tasking.{nation}.>\"");
  expect_one(text, "subscribe.allow",
             "'allow' in role 'sensor' subscribe must be an array, not a string");
}

TEST_CASE("a non-string inside a pattern list is reported", "[policy]") {
  const std::string text = with("[\"tasking.{nation}.>\"]", "[\"tasking.{nation}.>\", 7]");
  expect_one(text, "subscribe.allow", "must hold only strings, not an integer");
}

TEST_CASE("wildcard_subscribe must be a boolean", "[policy]") {
  const std::string text = with("[roles.sensor]", "[roles.sensor]\nwildcard_subscribe = \"no\"");
  expect_one(text, "wildcard_subscribe", "must be true or false, not a string");
}

TEST_CASE("systems written as a table instead of [[systems]] are reported", "[policy]") {
  const std::string text = with("[[systems]]", "[systems]");
  expect_one(text, "[systems]", "'systems' in the policy must be an array, not a table");
}

// ---- structure ---------------------------------------------------------------------------

TEST_CASE("an agreement with one party is reported", "[policy]") {
  const std::string text = with("[\"COL\", \"ECU\"]", "[\"COL\"]");
  expect_one(text, "parties", "agreement 'patrol' needs at least two parties, has 1");
}

TEST_CASE("an agreement without parties is reported", "[policy]") {
  const std::string text = with("parties = [\"COL\", \"ECU\"]\n", "");
  expect_one(text, "[[agreements]]", "agreement 'patrol' lacks the required key 'parties'");
}

TEST_CASE("a missing [coalition] table is reported", "[policy]") {
  const auto diagnostics = diagnostics_of("[nations.COL]\n");
  INFO(listing(diagnostics));
  CHECK(reported(diagnostics, 1, "a [coalition] table with 'name' and 'policy_identifier'"));
}

TEST_CASE("a missing policy_identifier is reported", "[policy]") {
  const std::string text = with("policy_identifier = \"urn:enlace:test\"\n", "");
  expect_one(text, "[coalition]", "[coalition] lacks the required key 'policy_identifier'");
}

TEST_CASE("a TOML syntax error is reported with its line", "[policy]") {
  const std::string text = with("role = \"sensor\"", "role = ");
  expect_one(text, "role = ", "TOML syntax error");
}

// ---- reporting ---------------------------------------------------------------------------

TEST_CASE("every defect of a file is reported, in one PolicyError", "[policy]") {
  std::string text = with("publish.allow", "publsh.allow");
  text = with("nation = \"COL\"", "nation = \"PER\"", text);
  text = with("[\"COL\", \"ECU\"]", "[\"COL\"]", text);
  const auto diagnostics = diagnostics_of(text);
  INFO(listing(diagnostics));
  REQUIRE(diagnostics.size() == 3);
  CHECK(diagnostics[0].where.line < diagnostics[1].where.line);
  CHECK(diagnostics[1].where.line < diagnostics[2].where.line);
  CHECK(reported(diagnostics, line_in(text, "publsh"), "unknown key"));
  CHECK(reported(diagnostics, line_in(text, "nation = \"PER\""), "nation 'PER'"));
  CHECK(reported(diagnostics, line_in(text, "parties"), "at least two parties"));
}

TEST_CASE("PolicyError::what lists file:line: message, one per line", "[policy]") {
  std::string text = with("nation = \"COL\"", "nation = \"PER\"");
  text = with("[\"COL\", \"ECU\"]", "[\"COL\"]", text);
  try {
    (void)Policy::parse(text, "dir/test.toml");
    FAIL("the policy was accepted");
  } catch (const PolicyError& error) {
    const std::string what = error.what();
    const std::string first = "dir/test.toml:" + std::to_string(line_in(text, "\"PER\"")) + ": ";
    const std::string second = "dir/test.toml:" + std::to_string(line_in(text, "parties")) + ": ";
    CHECK(what.rfind(first, 0) == 0);
    CHECK(what.find("\n" + second) != std::string::npos);
    CHECK(std::count(what.begin(), what.end(), '\n') == 1);
  }
}

TEST_CASE("diagnostics carry the source name as given", "[policy]") {
  const auto diagnostics = diagnostics_of(with("role = \"sensor\"", "role = \"radar\""));
  REQUIRE_FALSE(diagnostics.empty());
  CHECK(diagnostics[0].where.file == "dir/test.toml");
}

// ---- [cop] -------------------------------------------------------------------------------

TEST_CASE("a [cop] table is read with its defaults", "[policy][cop]") {
  const auto policy = Policy::parse(kBase + R"(
[cop]
cached = ["track.>", "position.*.unit.>"]
max_entries = 5000
stale_seconds = { Track = 600 }
)",
                                    "test.toml");
  const CopPolicy& cop = policy->cop();
  CHECK(cop.cached == std::vector<std::string>{"track.>", "position.*.unit.>"});
  CHECK(cop.max_entries == 5000);
  CHECK(cop.max_bytes == 128u * 1024 * 1024);
  CHECK(cop.default_stale_seconds == 300);
  REQUIRE(cop.stale_seconds_by_kind.size() == 1);
  CHECK(cop.stale_seconds_by_kind[0] == std::pair<std::string, std::int64_t>{"Track", 600});
  enlace::topic::Tokens topic;
  REQUIRE(topic.split("position.COL.unit.P12"));
  CHECK(cop.caches(topic));
  REQUIRE(topic.split("alert.COL.flood"));
  CHECK_FALSE(cop.caches(topic));
  // Without [cop], nothing is cached.
  CHECK(Policy::parse(kBase, "test.toml")->cop().cached.empty());
}

TEST_CASE("defects in [cop] are reported on their lines", "[policy][cop]") {
  SECTION("an unknown key") {
    const std::string text = kBase + "\n[cop]\ncahced = [\"track.>\"]\n";
    expect_one(text, "cahced", "unknown key 'cahced' in [cop]");
  }
  SECTION("an invalid pattern") {
    const std::string text = kBase + "\n[cop]\ncached = [\"track..>\"]\n";
    expect_one(text, "track..>", "invalid pattern 'track..>' in [cop] cached");
  }
  SECTION("a placeholder") {
    const std::string text = kBase + "\n[cop]\ncached = [\"track.{nation}.>\"]\n";
    expect_one(text, "cached", "placeholders are only expanded in role patterns");
  }
  SECTION("a pattern twice") {
    const std::string text = kBase + "\n[cop]\ncached = [\"track.>\",\n  \"track.>\"]\n";
    expect_one(text, "  \"track.>\"", "duplicate [cop] cached pattern 'track.>'");
  }
  SECTION("limits out of range") {
    const std::string text = kBase + "\n[cop]\nmax_entries = 0\nmax_bytes = 10\n";
    const auto diagnostics = diagnostics_of(text);
    INFO(listing(diagnostics));
    CHECK(diagnostics.size() == 2);
    CHECK(
        reported(diagnostics, line_in(text, "max_entries"), "[cop] max_entries must be between 1"));
    CHECK(
        reported(diagnostics, line_in(text, "max_bytes"), "[cop] max_bytes must be between 65536"));
  }
  SECTION("an unknown payload kind, and a stale time out of range") {
    const std::string text =
        kBase + "\n[cop]\ndefault_stale_seconds = 0\n[cop.stale_seconds]\nTrak = 60\nTrack = -1\n";
    const auto diagnostics = diagnostics_of(text);
    INFO(listing(diagnostics));
    CHECK(diagnostics.size() == 3);
    CHECK(reported(diagnostics, line_in(text, "default_stale_seconds"),
                   "[cop] default_stale_seconds must be between 1 and 604800 seconds, not 0"));
    CHECK(reported(diagnostics, line_in(text, "Trak"),
                   "unknown payload kind 'Trak' in [cop.stale_seconds]; the kinds are Track, "
                   "PositionReport"));
    CHECK(reported(diagnostics, line_in(text, "Track = -1"),
                   "[cop.stale_seconds] Track must be between 1 and 604800 seconds, not -1"));
  }
}

TEST_CASE("slow_consumer_seconds is read and checked", "[policy]") {
  const std::string limits = "\n[limits]\nslow_consumer_seconds = 3\n";
  CHECK(Policy::parse(kBase + limits, "t.toml")->limits().slow_consumer_seconds == 3);
  CHECK(Policy::parse(kBase, "t.toml")->limits().slow_consumer_seconds == 10);
  const std::string bad = kBase + "\n[limits]\nslow_consumer_seconds = 0\n";
  expect_one(bad, "slow_consumer_seconds",
             "slow_consumer_seconds must be between 1 and 3600, not 0");
}
