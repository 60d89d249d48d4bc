// Promise 1: need-to-share. Deliveries reach only nations in the message's audience.
//
// Negative checks use a marker: the publisher sends the message under test and then a
// marker that the same subscriber must receive. The broker routes one publisher's
// messages in order, so once the marker is in, the message under test would have been
// too. No waiting for something not to happen.
#include <catch2/catch.hpp>

#include "broker_process.hpp"

using namespace enlace;
using namespace enlace::test;

namespace {

struct Coalition {
  TestCoalition coalition;
  std::unique_ptr<BrokerProcess> broker;
  std::map<std::string, std::unique_ptr<Client>> clients;
  std::map<std::string, std::unique_ptr<Inbox>> inboxes;

  Coalition() {
    coalition.add("col-cp", "COL", "command_post");
    coalition.add("ecu-cp", "ECU", "command_post");
    coalition.add("per-cp", "PER", "command_post");
    coalition.add("bra-cp", "BRA", "command_post");
    coalition.add("col-cp2", "COL", "command_post");
    coalition.add("col-gw", "COL", "gateway");
    broker = std::make_unique<BrokerProcess>(coalition);
    for (const char* id : {"col-cp", "col-cp2", "ecu-cp", "per-cp", "bra-cp", "col-gw"}) {
      clients[id] = std::make_unique<Client>(broker->options_for(coalition[id]));
      REQUIRE(clients[id]->wait_connected(10s).ok());
    }
  }
  Inbox& subscribe(const std::string& id, const std::string& pattern) {
    auto& inbox = inboxes[id + "/" + pattern];
    inbox = std::make_unique<Inbox>();
    REQUIRE(clients[id]->subscribe(pattern, inbox->handler()).ok());
    return *inbox;
  }
  Client& operator[](const std::string& id) { return *clients[id]; }
};

Result<PublishAck> publish_position(Client& client, const std::string& topic) {
  return client.publish_and_wait(topic, [](flatbuffers::FlatBufferBuilder& fbb) {
    const wire::GeoPoint point(0.51, -76.50);
    auto position = wire::CreatePosition(fbb, &point);
    return wire::CreatePositionReportDirect(fbb, "P12", "CONDOR 12", position);
  });
}

}  // namespace

TEST_CASE("a message labelled for ECU reaches ECU and not BRA", "[integration][audience]") {
  Coalition c;
  auto& ecu = c.subscribe("ecu-cp", "text.>");
  auto& bra = c.subscribe("bra-cp", "text.>");

  REQUIRE(publish_text(c["col-cp"], "text.COL.for-ecu", "only for Ecuador", {"ECU"}).ok());
  REQUIRE(publish_text(c["col-cp"], "text.COL.marker", "for both", {"ECU", "BRA"}).ok());

  REQUIRE(ecu.wait_for_topic("text.COL.marker"));
  CHECK(ecu.has_topic("text.COL.for-ecu"));
  REQUIRE(bra.wait_for_topic("text.COL.marker"));
  CHECK_FALSE(bra.has_topic("text.COL.for-ecu"));
}

TEST_CASE("the delivery header carries the authenticated origin", "[integration][audience]") {
  Coalition c;
  auto& ecu = c.subscribe("ecu-cp", "text.>");
  REQUIRE(publish_text(c["col-cp"], "text.COL.hello", "hola", {"ECU"}).ok());
  REQUIRE(ecu.wait_for_topic("text.COL.hello"));
  const auto delivery = ecu.snapshot().front();
  CHECK(delivery.origin_nation() == "COL");
  CHECK(delivery.origin_system() == "col-cp");
  CHECK(delivery.header().origin()->role()->string_view() == "command_post");
  CHECK(delivery.header().broker_id()->string_view() == "test-broker");
  CHECK(delivery.sequence() > 0);
  CHECK(delivery.releasable_to() == "ECU");
  REQUIRE(delivery.as<wire::Text>() != nullptr);
  CHECK(delivery.as<wire::Text>()->body()->string_view() == "hola");
}

TEST_CASE("an unlabelled message with no agreement reaches only its own nation",
          "[integration][audience]") {
  Coalition c;
  auto& col2 = c.subscribe("col-cp2", "text.>");
  auto& ecu = c.subscribe("ecu-cp", "text.>");

  REQUIRE(publish_text(c["col-cp"], "text.COL.internal", "national only").ok());
  REQUIRE(publish_text(c["col-cp"], "text.COL.marker", "marker", {"ECU"}).ok());

  REQUIRE(col2.wait_for_topic("text.COL.marker"));
  CHECK(col2.has_topic("text.COL.internal"));
  REQUIRE(ecu.wait_for_topic("text.COL.marker"));
  CHECK_FALSE(ecu.has_topic("text.COL.internal"));
}

TEST_CASE("an unlabelled message on an agreement's topic reaches the agreement's parties",
          "[integration][audience]") {
  Coalition c;
  auto& ecu = c.subscribe("ecu-cp", "position.>");
  auto& per = c.subscribe("per-cp", "position.>");
  auto& bra = c.subscribe("bra-cp", "position.>");
  auto& bra_text = c.subscribe("bra-cp", "text.>");

  REQUIRE(publish_position(c["col-gw"], "position.COL.unit.P12").ok());
  CHECK(ecu.wait_for_topic("position.COL.unit.P12"));
  CHECK(per.wait_for_topic("position.COL.unit.P12"));
  // BRA is not a party to the putumayo agreement. The marker goes through the same
  // broker after the position was routed.
  REQUIRE(publish_text(c["col-cp"], "text.COL.marker", "marker", {"BRA"}).ok());
  REQUIRE(bra_text.wait_for_topic("text.COL.marker"));
  CHECK(bra.size() == 0);
}

TEST_CASE("a label releasing beyond the origin nation's cap is refused",
          "[integration][audience]") {
  Coalition c;
  SECTION("BRA may release to COL only") {
    const auto ack = publish_text(c["bra-cp"], "text.BRA.note", "x", {"ECU"});
    REQUIRE_FALSE(ack.ok());
    CHECK(ack.code() == Errc::release_not_permitted);
    CHECK_THAT(ack.error().reason, Catch::Contains("ECU"));
    CHECK(publish_text(c["bra-cp"], "text.BRA.note", "x", {"COL"}).ok());
  }
  SECTION("a nation outside the coalition") {
    const auto ack = publish_text(c["col-cp"], "text.COL.note", "x", {"USA"});
    REQUIRE_FALSE(ack.ok());
    CHECK(ack.code() == Errc::invalid_label);
  }
}

TEST_CASE("a classification above the coalition's accreditation is refused",
          "[integration][audience]") {
  Coalition c;
  PublishOptions options;
  options.label.classification = wire::Classification::TopSecret;
  const auto ack = c["col-cp"].publish_and_wait(
      "text.COL.secret", [](auto& fbb) { return wire::CreateTextDirect(fbb, "x"); }, options);
  REQUIRE_FALSE(ack.ok());
  CHECK(ack.code() == Errc::classification_exceeded);
  options.label.classification = wire::Classification::Secret;
  CHECK(c["col-cp"]
            .publish_and_wait(
                "text.COL.secret", [](auto& fbb) { return wire::CreateTextDirect(fbb, "x"); },
                options)
            .ok());
}

TEST_CASE("a subscriber matching through two patterns receives a message once",
          "[integration][audience]") {
  Coalition c;
  Inbox inbox;
  REQUIRE(c["ecu-cp"].subscribe("text.>", inbox.handler()).ok());
  Inbox second;
  REQUIRE(c["ecu-cp"].subscribe("text.COL.*", second.handler()).ok());
  REQUIRE(publish_text(c["col-cp"], "text.COL.once", "x", {"ECU"}).ok());
  REQUIRE(inbox.wait_for_topic("text.COL.once"));
  REQUIRE(second.wait_for_topic("text.COL.once"));
  // Both handlers see it (the SDK dispatches locally), but from one delivery.
  CHECK(inbox.snapshot().front().sequence() == second.snapshot().front().sequence());
  CHECK(c["ecu-cp"].stats().frames_received >= 1);
}
