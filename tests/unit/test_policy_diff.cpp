// What a reload changes (policy_diff.hpp): the fixture against edited copies of itself.
// Fixture: tests/unit/data/policies/putumayo.toml.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "enlace/policy/policy.hpp"
#include "enlace/policy/policy_diff.hpp"

using namespace enlace::policy;
using Names = std::vector<std::string>;

namespace {

std::string fixture_text() {
  std::ifstream file(std::filesystem::path(__FILE__).parent_path() / "data" / "policies" /
                     "putumayo.toml");
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

// The fixture with each `from` replaced by its `to` (each must occur).
std::string edited(std::initializer_list<std::pair<std::string, std::string>> edits) {
  std::string text = fixture_text();
  for (const auto& [from, to] : edits) {
    const auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    text.replace(at, from.size(), to);
  }
  return text;
}

PolicyChanges changes_to(const std::string& text) {
  const auto before = Policy::parse(fixture_text(), "putumayo.toml");
  const auto after = Policy::parse(text, "putumayo.toml");
  return diff(*before, *after);
}

}  // namespace

TEST_CASE("the same policy changes nothing", "[policy][reload]") {
  CHECK(changes_to(fixture_text()).empty());
}

TEST_CASE("systems added, removed, revoked, reinstated, re-keyed and moved are named",
          "[policy][reload]") {
  const auto changes = changes_to(edited({
      {"id = \"per-analyst-iquitos\"", "id = \"per-analyst-lima\""},  // removed + added
      {"public_key = \"k5.e96U{Ls<+>O70JjdsBt*GbSZV^7SL9z}%a9.T\"",   // ecu-cp-quito
       "public_key = \"rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7\""},
      {"revoked = true\n", "\n"},  // col-radar-old
      {"id = \"ecu-radar-lago-agrio\"\nnation = \"ECU\"\nrole = \"sensor\"",
       "id = \"ecu-radar-lago-agrio\"\nnation = \"ECU\"\nrole = \"analyst\""},
  }));
  CHECK(changes.systems_added == Names{"per-analyst-lima"});
  CHECK(changes.systems_removed == Names{"per-analyst-iquitos"});
  CHECK(changes.systems_reinstated == Names{"col-radar-old"});
  CHECK(changes.systems_revoked.empty());
  CHECK(changes.keys_changed == Names{"ecu-cp-quito"});
  CHECK(changes.systems_moved == Names{"ecu-radar-lago-agrio: role sensor -> analyst"});
  CHECK(changes.roles_changed.empty());
  CHECK(changes.agreements_changed.empty());
}

TEST_CASE("roles and agreements are compared by their rules, parties and topics",
          "[policy][reload]") {
  const auto changes = changes_to(edited({
      {"subscribe.deny = [\"track.*.classified.>\"]", "subscribe.deny = []"},     // analyst
      {"parties = [\"COL\", \"BRA\"]", "parties = [\"BRA\", \"COL\"]"},           // same parties
      {"parties = [\"ECU\", \"PER\"]", "parties = [\"ECU\", \"PER\", \"COL\"]"},  // ecu-per-river
      {"description = \"National command post\"", "description = \"Command post\""},
  }));
  CHECK(changes.roles_changed == Names{"analyst"});
  CHECK(changes.agreements_changed == Names{"ecu-per-river"});
  CHECK(changes.systems_added.empty());
  CHECK(changes.keys_changed.empty());
}
