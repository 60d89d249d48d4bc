// Subscribe authorization over a real connection: containment, deny overlap, wildcard ban.
#include <catch2/catch.hpp>

#include "broker_process.hpp"

using namespace enlace;
using namespace enlace::test;

namespace {

struct Fixture {
  TestCoalition coalition;
  std::unique_ptr<BrokerProcess> broker;
  Fixture() {
    coalition.add("col-cp", "COL", "command_post");
    coalition.add("bra-obs", "BRA", "observer");
    coalition.add("col-radar", "COL", "sensor");
    coalition.add("col-narrow", "COL", "narrow");
    broker = std::make_unique<BrokerProcess>(coalition);
  }
  std::unique_ptr<Client> connect(const std::string& id) {
    auto client = std::make_unique<Client>(broker->options_for(coalition[id]));
    REQUIRE(client->wait_connected(10s).ok());
    return client;
  }
};

void noop(const Delivery&) {}

}  // namespace

TEST_CASE("a pattern inside an allow rule is accepted", "[integration][acl][subscribe]") {
  Fixture f;
  auto observer = f.connect("bra-obs");
  CHECK(observer->subscribe("track.>", noop).ok());
  CHECK(observer->subscribe("track.COL.radar.*", noop).ok());
  CHECK(observer->subscribe("alert.ECU.drone", noop).ok());
}

TEST_CASE("a pattern reaching outside every allow rule is refused with subscribe_denied",
          "[integration][acl][subscribe]") {
  Fixture f;
  auto observer = f.connect("bra-obs");
  SECTION("a different kind of topic") {
    const auto result = observer->subscribe("position.>", noop);
    REQUIRE_FALSE(result.ok());
    CHECK(result.code() == Errc::subscribe_denied);
    CHECK_THAT(result.error().reason, Catch::Contains("observer"));
  }
  SECTION("a wider pattern than the rule (everything)") {
    CHECK(observer->subscribe(">", noop).code() == Errc::subscribe_denied);
  }
  SECTION("`*` at the first token covers kinds the role may not see") {
    CHECK(observer->subscribe("*.COL.>", noop).code() == Errc::subscribe_denied);
  }
}

TEST_CASE("a pattern overlapping a deny rule is refused, naming the rule",
          "[integration][acl][subscribe]") {
  Fixture f;
  auto cp = f.connect("col-cp");
  SECTION("everything overlaps biometric.>") {
    const auto result = cp->subscribe(">", noop);
    REQUIRE_FALSE(result.ok());
    CHECK(result.code() == Errc::subscribe_denied);
    CHECK_THAT(result.error().reason, Catch::Contains("biometric.>"));
  }
  SECTION("patterns clear of the deny rule are fine") {
    CHECK(cp->subscribe("track.>", noop).ok());
    CHECK(cp->subscribe("position.*.unit.>", noop).ok());
  }
}

TEST_CASE("a role without wildcard rights may subscribe to literal topics only",
          "[integration][acl][subscribe]") {
  Fixture f;
  auto narrow = f.connect("col-narrow");
  const auto wildcard = narrow->subscribe("alert.COL.>", noop);
  REQUIRE_FALSE(wildcard.ok());
  CHECK(wildcard.code() == Errc::wildcard_forbidden);
  CHECK(narrow->subscribe("alert.COL.biometric", noop).ok());
}

TEST_CASE("a sensor's subscribe rights are independent of its publish rights",
          "[integration][acl][subscribe]") {
  Fixture f;
  auto radar = f.connect("col-radar");
  CHECK(radar->subscribe("tasking.COL.>", noop).ok());
  CHECK(radar->subscribe("track.COL.>", noop).code() ==
        Errc::subscribe_denied);  // may publish, not read
}

TEST_CASE("a refused subscription leaves the session's other subscriptions working",
          "[integration][acl][subscribe]") {
  Fixture f;
  auto observer = f.connect("bra-obs");
  auto cp = f.connect("col-cp");
  Inbox denied, allowed;
  REQUIRE(observer->subscribe("position.>", denied.handler()).code() == Errc::subscribe_denied);
  REQUIRE(observer->subscribe("alert.COL.>", allowed.handler()).ok());
  REQUIRE(publish_text(*cp, "alert.COL.crossing", "armed group sighted", {"BRA"}).ok());
  CHECK(allowed.wait_for_topic("alert.COL.crossing"));
  CHECK(denied.size() == 0);
}
