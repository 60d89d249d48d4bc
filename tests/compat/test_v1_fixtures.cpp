// Frames written by Enlace 0.1.0 (protocol version 1), read by this version's framing,
// verifier and generated accessors. The fixtures in v1/fixtures/ are frozen: if one of these
// tests fails, today's code no longer reads what peers in the field send. Fix the code or
// the schema change, never the fixture or the values below.
//
// The expected values are those make_fixtures.cpp wrote, spelled out literally rather than
// recomputed, so that a change to the builders cannot move both sides at once.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "enlace/delivery.hpp"
#include "enlace/protocol/frame.hpp"

using namespace enlace;

namespace {

// A fixture file in 8-byte aligned memory, as a receiver holds a frame before reading it in
// place (docs/protocol.md 3.1).
class Fixture {
 public:
  explicit Fixture(const std::string& name) {
    const std::string path = std::string(ENLACE_COMPAT_FIXTURES) + "/" + name;
    std::ifstream in(path, std::ios::binary);
    INFO("fixture " << path);
    REQUIRE(in);
    const std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                                  std::istreambuf_iterator<char>());
    size_ = bytes.size();
    storage_ = std::make_shared<std::vector<std::uint64_t>>(size_ / 8 + 1);
    std::memcpy(storage_->data(), bytes.data(), size_);
  }

  wire::Bytes bytes() const noexcept {
    return {reinterpret_cast<const std::uint8_t*>(storage_->data()), size_};
  }
  std::shared_ptr<const void> keepalive() const { return storage_; }

 private:
  std::shared_ptr<std::vector<std::uint64_t>> storage_;
  std::size_t size_ = 0;
};

// The fixture's frame, parsed and verified, with the header it must have.
wire::FrameView verified(const Fixture& fixture, wire::Command command, std::uint8_t flags) {
  wire::FrameView frame;
  REQUIRE(wire::parse_frame(fixture.bytes(), frame) == Errc::ok);
  REQUIRE(frame.command == command);
  CHECK(frame.flags == flags);
  REQUIRE(wire::verify_body(frame) == Errc::ok);
  return frame;
}

// The control body of a fixture holding one control frame of `size` bytes.
const wire::ControlFrame& control(const Fixture& fixture, std::size_t size, wire::Control type) {
  CHECK(fixture.bytes().size() == size);
  const auto frame = verified(fixture, wire::Command::control, 0);
  const wire::ControlFrame& body = *wire::control_of(frame);
  REQUIRE(body.body_type() == type);
  return body;
}

bool has_field(const void* table, flatbuffers::voffset_t field) {
  return static_cast<const flatbuffers::Table*>(table)->CheckField(field);
}

// The two envelopes of the fixtures, as the publish fixtures carry them and deliveries wrap
// them.
void check_track_envelope(const wire::Envelope& envelope) {
  CHECK(envelope.id()->hi() == 0x5f0c9a7e3f1d4b8eULL);
  CHECK(envelope.id()->lo() == 0x9a410c2d17e3b6a5ULL);
  CHECK(envelope.origin()->nation()->string_view() == "COL");
  CHECK(envelope.origin()->system()->string_view() == "col-radar-1");
  CHECK(envelope.topic()->string_view() == "track.COL.radar.rx17.T0042");
  CHECK(envelope.publish_time_ns() == 1'764'316'800'120'000'000);
  CHECK(envelope.stale_time_ns() == 1'764'317'100'120'000'000);
  CHECK(envelope.signature() == nullptr);

  const wire::ConfidentialityLabel* label = envelope.label();
  REQUIRE(label != nullptr);
  CHECK(label->policy_identifier()->string_view() == "urn:enlace:coalition:putumayo");
  CHECK(static_cast<int>(label->classification()) == 2);  // Restricted
  REQUIRE(label->releasable_to() != nullptr);
  REQUIRE(label->releasable_to()->size() == 2);
  CHECK(label->releasable_to()->Get(0)->string_view() == "ECU");
  CHECK(label->releasable_to()->Get(1)->string_view() == "PER");
  CHECK(label->categories() == nullptr);

  REQUIRE(static_cast<int>(envelope.payload_type()) == 1);  // Track
  const wire::Track* track = envelope.payload_as_Track();
  REQUIRE(track != nullptr);
  CHECK(track->track_id()->string_view() == "T0042");
  CHECK(track->position()->point()->lat_deg() == -0.19);
  CHECK(track->position()->point()->lon_deg() == -74.78);
  CHECK(track->position()->altitude_m() == 3.5);
  CHECK(static_cast<int>(track->position()->altitude_ref()) == 2);  // MeanSeaLevel
  CHECK(track->position()->horizontal_error_m() == 25.0f);
  CHECK(std::isnan(track->position()->vertical_error_m()));
  REQUIRE(track->motion() != nullptr);
  CHECK(track->motion()->course_deg() == 270.0f);
  CHECK(track->motion()->speed_mps() == 4.25f);
  CHECK(static_cast<int>(track->identity()) == 5);   // Suspect
  CHECK(static_cast<int>(track->dimension()) == 4);  // SeaSurface
  CHECK(track->sidc()->string_view() == "10063000001401000000");
  CHECK(static_cast<int>(track->kind()) == 4);            // Vessel
  CHECK(static_cast<int>(track->source()->type()) == 1);  // Radar
  CHECK(track->source()->id()->string_view() == "rx17");
  CHECK(track->observed_ns() == 1'764'316'800'100'000'000);
  CHECK(track->name()->string_view() == "RIO CAQUETA");
  CHECK(track->external_id()->string_view() == "730012345");
}

void check_position_report_envelope(const wire::Envelope& envelope) {
  CHECK(envelope.id()->hi() == 0x0d5e6a389c1b4f07ULL);
  CHECK(envelope.id()->lo() == 0x8a527b9e41c0f3d2ULL);
  CHECK(envelope.origin()->nation()->string_view() == "COL");
  CHECK(envelope.origin()->system()->string_view() == "col-radio-p12");
  CHECK(envelope.topic()->string_view() == "position.COL.unit.P12");
  CHECK(envelope.publish_time_ns() == 1'764'316'805'000'000'000);
  CHECK(envelope.stale_time_ns() == 1'764'317'105'000'000'000);
  // The SDK's default label: UNCLASSIFIED, no nation named, no policy identifier.
  REQUIRE(envelope.label() != nullptr);
  CHECK(static_cast<int>(envelope.label()->classification()) == 1);  // Unclassified
  CHECK(envelope.label()->releasable_to() == nullptr);
  CHECK(envelope.label()->policy_identifier() == nullptr);

  REQUIRE(static_cast<int>(envelope.payload_type()) == 2);  // PositionReport
  const wire::PositionReport* report = envelope.payload_as_PositionReport();
  REQUIRE(report != nullptr);
  CHECK(report->unit_id()->string_view() == "P12");
  CHECK(report->callsign()->string_view() == "CONDOR 12");
  CHECK(report->position()->point()->lat_deg() == 0.05);
  CHECK(report->position()->point()->lon_deg() == -76.61);
  // Unknown values, as the schema's NaN defaults say.
  CHECK(std::isnan(report->position()->altitude_m()));
  CHECK(static_cast<int>(report->position()->altitude_ref()) == 0);  // Unknown
  CHECK(std::isnan(report->position()->horizontal_error_m()));
  CHECK(report->motion()->course_deg() == 90.0f);
  CHECK(report->motion()->speed_mps() == 3.5f);
  CHECK(static_cast<int>(report->status()) == 2);  // Moving
  CHECK(report->observed_ns() == 1'764'316'804'900'000'000);
  CHECK(report->battery_pct() == 80);
}

void check_broker_header(const wire::Delivery& delivery, std::uint64_t sequence,
                         std::int64_t receive_ns, const char* system, const char* role) {
  CHECK(delivery.sequence() == sequence);
  CHECK(delivery.receive_time_ns() == receive_ns);
  CHECK(delivery.origin()->nation()->string_view() == "COL");
  CHECK(delivery.origin()->system()->string_view() == system);
  CHECK(delivery.origin()->role()->string_view() == role);
  CHECK(delivery.broker_id()->string_view() == "enlace-bogota");
  REQUIRE(delivery.path() != nullptr);
  REQUIRE(delivery.path()->size() == 1);
  CHECK(delivery.path()->Get(0)->string_view() == "enlace-bogota");
  CHECK(delivery.hops() == 0);
  CHECK_FALSE(delivery.snapshot());
  CHECK(wire::is_aligned(delivery.envelope()->data()));
}

}  // namespace

TEST_CASE("v1 publish frame: a Track with a releasable-to label, ack requested", "[compat][v1]") {
  const Fixture fixture("publish-track-labelled.bin");
  CHECK(fixture.bytes().size() == 504);
  const auto frame = verified(fixture, wire::Command::publish, 0x01);
  check_track_envelope(*wire::envelope_of(frame));
}

TEST_CASE("v1 publish frame: a PositionReport with the default label", "[compat][v1]") {
  const Fixture fixture("publish-position-report.bin");
  CHECK(fixture.bytes().size() == 320);
  const auto frame = verified(fixture, wire::Command::publish, 0);
  check_position_report_envelope(*wire::envelope_of(frame));
}

TEST_CASE("v1 deliver frame: the broker's DeliveryTemplate around the Track", "[compat][v1]") {
  const Fixture fixture("deliver-track.bin");
  CHECK(fixture.bytes().size() == 664);
  const auto frame = verified(fixture, wire::Command::deliver, 0);
  const wire::Delivery& delivery = *wire::delivery_of(frame);
  check_broker_header(delivery, 1187, 1'764'316'800'123'456'789, "col-radar-1", "sensor");
  // The publisher's envelope, unchanged: byte for byte the publish fixture's body.
  const Fixture published("publish-track-labelled.bin");
  const wire::Bytes envelope = published.bytes().subspan(wire::kHeaderSize);
  REQUIRE(delivery.envelope()->size() == envelope.size());
  CHECK(std::memcmp(delivery.envelope()->data(), envelope.data(), envelope.size()) == 0);
  check_track_envelope(*wire::GetEnvelope(delivery.envelope()->data()));

  SECTION("and the SDK's Delivery reads it as a subscriber's handler does") {
    const auto verified = Delivery::from_bytes(fixture.keepalive(), frame.body);
    REQUIRE(verified.ok());
    const Delivery& received = *verified;
    CHECK(received.sequence() == 1187);
    CHECK(received.receive_time_ns() == 1'764'316'800'123'456'789);
    CHECK(received.topic() == "track.COL.radar.rx17.T0042");
    CHECK(received.origin_nation() == "COL");
    CHECK(received.origin_system() == "col-radar-1");
    CHECK(received.releasable_to() == "ECU,PER");
    CHECK_FALSE(received.from_snapshot());
    REQUIRE(received.as<wire::Track>() != nullptr);
    CHECK(received.as<wire::Track>()->track_id()->string_view() == "T0042");
  }
}

TEST_CASE("v1 batch frame: an EndOfSnapshot and a delivery, the first record padded",
          "[compat][v1]") {
  const Fixture fixture("batch-end-of-snapshot-and-delivery.bin");
  CHECK(fixture.bytes().size() == 560);
  wire::FrameView frame;
  REQUIRE(wire::parse_frame(fixture.bytes(), frame) == Errc::ok);
  REQUIRE(frame.command == wire::Command::batch);
  CHECK(frame.flags == 0);
  // Record 1: a 52-byte frame and 4 bytes of padding; record 2 starts at body offset 64.
  CHECK(wire::record_frame_size(frame.body.data()) == 52);
  CHECK(wire::record_frame_size(frame.body.data() + 64) == 480);

  wire::BatchReader reader(frame.body);
  wire::FrameView first;
  REQUIRE(reader.next(first) == Errc::ok);
  REQUIRE(first.command == wire::Command::control);
  CHECK(first.flags == 0);
  CHECK(first.body.size() == 44);
  REQUIRE(wire::verify_body(first) == Errc::ok);
  const wire::ControlFrame& control_frame = *wire::control_of(first);
  REQUIRE(control_frame.body_type() == wire::Control::EndOfSnapshot);
  CHECK(control_frame.body_as_EndOfSnapshot()->request_id() == 7);
  CHECK(control_frame.body_as_EndOfSnapshot()->count() == 0);

  wire::FrameView second;
  REQUIRE(reader.next(second) == Errc::ok);
  REQUIRE(second.command == wire::Command::deliver);
  CHECK(second.flags == 0);
  REQUIRE(wire::verify_body(second) == Errc::ok);
  CHECK(wire::is_aligned(second.body.data()));
  const wire::Delivery& delivery = *wire::delivery_of(second);
  check_broker_header(delivery, 1188, 1'764'316'805'004'000'000, "col-radio-p12", "unit");
  check_position_report_envelope(*wire::GetEnvelope(delivery.envelope()->data()));

  CHECK(reader.done());
}

TEST_CASE("v1 control frame: Hello", "[compat][v1]") {
  const Fixture fixture("control-hello.bin");
  const auto* hello = control(fixture, 120, wire::Control::Hello).body_as_Hello();
  // Version 1 is the field's default, so a v1 peer never writes it: readers rely on the
  // default, which therefore must never change.
  CHECK_FALSE(has_field(hello, wire::Hello::VT_PROTOCOL_VERSION));
  CHECK(hello->protocol_version() == 1);
  CHECK(hello->client_name()->string_view() == "enlace-sdk/0.1.0 compat-fixtures");
  CHECK(hello->system()->string_view() == "col-radar-1");
  CHECK(hello->heartbeat_ms() == 1000);
}

TEST_CASE("v1 control frame: Welcome", "[compat][v1]") {
  const Fixture fixture("control-welcome.bin");
  const auto* welcome = control(fixture, 224, wire::Control::Welcome).body_as_Welcome();
  CHECK_FALSE(has_field(welcome, wire::Welcome::VT_PROTOCOL_VERSION));
  CHECK(welcome->protocol_version() == 1);
  CHECK(welcome->broker_id()->string_view() == "enlace-bogota");
  CHECK(welcome->nation()->string_view() == "COL");
  CHECK(welcome->system()->string_view() == "col-radar-1");
  CHECK(welcome->role()->string_view() == "sensor");
  CHECK(welcome->max_message_bytes() == 1'048'576);
  CHECK(welcome->session_id() == 42);
  CHECK(welcome->policy_version()->string_view() ==
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
}

TEST_CASE("v1 control frame: Subscribe", "[compat][v1]") {
  const Fixture fixture("control-subscribe.bin");
  const auto* subscribe = control(fixture, 96, wire::Control::Subscribe).body_as_Subscribe();
  CHECK(subscribe->request_id() == 7);
  CHECK(subscribe->pattern()->string_view() == "track.COL.>");
  CHECK(subscribe->snapshot());
  CHECK(static_cast<int>(subscribe->replay_from()) == 2);  // Time
  CHECK(subscribe->replay_value() == 1'764'316'800'000'000'000);
  CHECK(static_cast<int>(subscribe->conflation()) == 1);  // LatestPerTopic
}

TEST_CASE("v1 control frame: Unsubscribe", "[compat][v1]") {
  const Fixture fixture("control-unsubscribe.bin");
  const auto* unsubscribe = control(fixture, 72, wire::Control::Unsubscribe).body_as_Unsubscribe();
  CHECK(unsubscribe->request_id() == 8);
  CHECK(unsubscribe->pattern()->string_view() == "track.COL.>");
}

TEST_CASE("v1 control frame: Ack of a publish", "[compat][v1]") {
  const Fixture fixture("control-ack.bin");
  const auto* ack = control(fixture, 88, wire::Control::Ack).body_as_Ack();
  CHECK(ack->request_id() == 0);
  REQUIRE(ack->message_id() != nullptr);
  CHECK(ack->message_id()->hi() == 0x5f0c9a7e3f1d4b8eULL);
  CHECK(ack->message_id()->lo() == 0x9a410c2d17e3b6a5ULL);
  CHECK(ack->sequence() == 1187);
  CHECK(ack->count() == 3);
}

TEST_CASE("v1 control frame: Error rate_limited for a publish", "[compat][v1]") {
  const Fixture fixture("control-error.bin");
  const auto* error = control(fixture, 152, wire::Control::Error).body_as_Error();
  CHECK(error->code() == 300);  // rate_limited
  CHECK(error->reason()->string_view() ==
        "system 'col-radio-p12' exceeds its rate of 5 messages/s");
  CHECK(error->request_id() == 0);
  REQUIRE(error->message_id() != nullptr);
  CHECK(error->message_id()->hi() == 0x0d5e6a389c1b4f07ULL);
  CHECK(error->message_id()->lo() == 0x8a527b9e41c0f3d2ULL);
  CHECK(error->retryable());
}

TEST_CASE("v1 control frame: EndOfSnapshot", "[compat][v1]") {
  const Fixture fixture("control-end-of-snapshot.bin");
  const auto* end = control(fixture, 56, wire::Control::EndOfSnapshot).body_as_EndOfSnapshot();
  CHECK(end->request_id() == 7);
  CHECK(end->count() == 12);
}

TEST_CASE("v1 control frame: Ping", "[compat][v1]") {
  const Fixture fixture("control-ping.bin");
  const auto* ping = control(fixture, 64, wire::Control::Ping).body_as_Ping();
  CHECK(ping->nonce() == 17);
  CHECK(ping->time_ns() == 1'764'316'810'000'000'000);
}

TEST_CASE("v1 control frame: Pong", "[compat][v1]") {
  const Fixture fixture("control-pong.bin");
  const auto* pong = control(fixture, 64, wire::Control::Pong).body_as_Pong();
  CHECK(pong->nonce() == 17);
  CHECK(pong->time_ns() == 1'764'316'810'000'250'000);
}

// flatc --conform does not compare struct sizes: a field appended to a struct passes it, yet
// moves every field after the struct in every table and vector holding one.
TEST_CASE("v1 structs keep their sizes", "[compat][v1]") {
  CHECK(sizeof(wire::Uuid) == 16);
  CHECK(sizeof(wire::GeoPoint) == 16);
  CHECK(sizeof(wire::Motion) == 8);
  CHECK(sizeof(wire::TimeWindow) == 16);
}

// flatc --conform accepts a removed enum value or union member; the last v1 value of each
// on-wire enum must still exist (new values may follow).
TEST_CASE("v1 on-wire enums keep their last value", "[compat][v1]") {
  CHECK(static_cast<int>(wire::Payload::MAX) >= 9);            // Opaque
  CHECK(static_cast<int>(wire::Control::MAX) >= 9);            // Pong
  CHECK(static_cast<int>(wire::Classification::MAX) >= 5);     // TopSecret
  CHECK(static_cast<int>(wire::CategoryType::MAX) >= 2);       // Informative
  CHECK(static_cast<int>(wire::AltitudeReference::MAX) >= 3);  // AboveGround
  CHECK(static_cast<int>(wire::StandardIdentity::MAX) >= 6);   // Hostile
  CHECK(static_cast<int>(wire::BattleDimension::MAX) >= 5);    // Subsurface
  CHECK(static_cast<int>(wire::ContactKind::MAX) >= 7);        // Emitter
  CHECK(static_cast<int>(wire::SensorType::MAX) >= 9);         // Human
  CHECK(static_cast<int>(wire::UnitStatus::MAX) >= 6);         // OutOfService
  CHECK(static_cast<int>(wire::AlertSeverity::MAX) >= 4);      // Critical
  CHECK(static_cast<int>(wire::AlertCategory::MAX) >= 8);      // NaturalDisaster
  CHECK(static_cast<int>(wire::TaskStatus::MAX) >= 4);         // Cancelled
  CHECK(static_cast<int>(wire::TaskType::MAX) >= 4);           // Escort
  CHECK(static_cast<int>(wire::ReplayFrom::MAX) >= 3);         // Earliest
  CHECK(static_cast<int>(wire::Conflation::MAX) >= 1);         // LatestPerTopic
}
