// Per-nation counters follow their nation's code across a policy reload (metrics.hpp).
#include <catch2/catch.hpp>

#include "metrics.hpp"

using enlace::broker::Metrics;
using enlace::policy::Policy;

namespace {

std::shared_ptr<const Policy> coalition_of(const std::string& nations) {
  return Policy::parse("[coalition]\nname = \"c\"\npolicy_identifier = \"u\"\n" + nations,
                       "nations.toml");
}

}  // namespace

TEST_CASE("renumber_nations keeps counts with their codes when a nation is added and one removed",
          "[metrics]") {
  // ARG sorts first: every nation after it moves up one; VEN goes.
  const auto before = coalition_of("[nations.COL]\n[nations.ECU]\n[nations.VEN]\n");
  const auto after = coalition_of("[nations.ARG]\n[nations.COL]\n[nations.ECU]\n");
  const unsigned ven = *before->nation_index("VEN"), col = *before->nation_index("COL"),
                 ecu = *before->nation_index("ECU");
  REQUIRE(*after->nation_index("COL") != col);  // the addition moves COL

  Metrics metrics;
  metrics.published_by_nation[col] = 3;
  metrics.published_by_nation[ven] = 7;
  metrics.delivered[col][ecu] = 5;
  metrics.delivered[ven][col] = 2;
  metrics.renumber_nations(*before, *after);

  const unsigned col2 = *after->nation_index("COL"), ecu2 = *after->nation_index("ECU"),
                 arg2 = *after->nation_index("ARG");
  CHECK(metrics.published_by_nation[col2] == 3);
  CHECK(metrics.published_by_nation[arg2] == 0);  // new: from zero
  CHECK(metrics.delivered[col2][ecu2] == 5);
  CHECK(metrics.delivered[arg2][col2] == 0);  // VEN's row went with VEN
  std::uint64_t total = 0;
  for (const auto& row : metrics.delivered)
    for (const auto n : row) total += n;
  CHECK(total == 5);
}
