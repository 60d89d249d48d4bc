// Publish authorization over a real connection: allowed and denied cases, and spoofing.
#include <catch2/catch.hpp>

#include "broker_process.hpp"

using namespace enlace;
using namespace enlace::test;

namespace {

Result<PublishAck> publish_track(Client& client, const std::string& topic) {
  return client.publish_and_wait(topic, [](flatbuffers::FlatBufferBuilder& fbb) {
    const wire::GeoPoint point(-0.19, -74.78);
    auto position =
        wire::CreatePosition(fbb, &point, 0.0, wire::AltitudeReference::MeanSeaLevel, 15.0f);
    return wire::CreateTrackDirect(fbb, "T0042", position);
  });
}

}  // namespace

TEST_CASE("publishing inside the role's allow rules is acknowledged", "[integration][acl]") {
  TestCoalition coalition;
  const auto& radar = coalition.add("col-radar", "COL", "sensor");
  BrokerProcess broker(coalition);
  Client client(broker.options_for(radar));
  REQUIRE(client.wait_connected(10s).ok());

  const auto ack = publish_track(client, "track.COL.radar.rx17.T0042");
  REQUIRE(ack.ok());
  CHECK(ack->sequence > 0);
  CHECK(ack->audience_nations == 3);  // COL plus the putumayo partners ECU and PER
}

TEST_CASE("publishing outside every allow rule is refused with publish_denied",
          "[integration][acl]") {
  TestCoalition coalition;
  const auto& radar = coalition.add("col-radar", "COL", "sensor");
  BrokerProcess broker(coalition);
  Client client(broker.options_for(radar));
  REQUIRE(client.wait_connected(10s).ok());

  SECTION("a topic of another kind") {
    const auto ack = publish_text(client, "text.COL.chat", "hola");
    REQUIRE_FALSE(ack.ok());
    CHECK(ack.code() == Errc::publish_denied);
    CHECK_THAT(ack.error().reason, Catch::Contains("sensor"));
  }
  SECTION("a topic under another nation ({nation} expands to COL only)") {
    const auto ack = publish_track(client, "track.ECU.radar.rx17.T0042");
    REQUIRE_FALSE(ack.ok());
    CHECK(ack.code() == Errc::publish_denied);
  }
  SECTION("a deny rule beats an allow rule") {
    const auto ack = publish_track(client, "track.COL.restricted.T1");
    REQUIRE_FALSE(ack.ok());
    CHECK(ack.code() == Errc::publish_denied);
    CHECK_THAT(ack.error().reason, Catch::Contains("publish.deny"));
  }
  // The session survives refusals.
  CHECK(publish_track(client, "track.COL.radar.rx17.T0043").ok());
}

TEST_CASE("an envelope claiming another origin is refused with origin_mismatch",
          "[integration][acl][spoofing]") {
  TestCoalition coalition;
  const auto& radar = coalition.add("col-radar", "COL", "sensor");
  coalition.add("ecu-radar", "ECU", "sensor");
  BrokerProcess broker(coalition);
  Client client(broker.options_for(radar));
  REQUIRE(client.wait_connected(10s).ok());

  const auto spoof = [&](std::string_view nation, std::string_view system,
                         const std::string& topic) {
    EnvelopeEncoder builder;
    auto text = wire::CreateTextDirect(builder.fbb(), "spoofed");
    builder.finish(topic, {nation, system}, text, {});
    return client.publish_envelope(builder.bytes(), true);
  };

  SECTION("another nation's system") {
    const auto ack = spoof("ECU", "ecu-radar", "track.ECU.radar.T1");
    REQUIRE_FALSE(ack.ok());
    CHECK(ack.code() == Errc::origin_mismatch);
  }
  SECTION("own nation, another system id") {
    const auto ack = spoof("COL", "col-cp", "track.COL.radar.T1");
    REQUIRE_FALSE(ack.ok());
    CHECK(ack.code() == Errc::origin_mismatch);
  }
  SECTION("the true identity is accepted") {
    CHECK(spoof("COL", "col-radar", "track.COL.radar.T1").ok());
  }
}

TEST_CASE("an invalid topic is refused with invalid_topic", "[integration][acl]") {
  TestCoalition coalition;
  const auto& radar = coalition.add("col-radar", "COL", "sensor");
  BrokerProcess broker(coalition);
  Client client(broker.options_for(radar));
  REQUIRE(client.wait_connected(10s).ok());

  // The SDK refuses it locally ...
  CHECK(publish_track(client, "track.COL..T1").code() == Errc::invalid_topic);
  // ... and the broker refuses it too when a client does not check.
  EnvelopeEncoder builder;
  auto text = wire::CreateTextDirect(builder.fbb(), "x");
  builder.finish("track.COL.*", {"COL", "col-radar"}, text, {});
  CHECK(client.publish_envelope(builder.bytes(), true).code() == Errc::invalid_topic);
}
