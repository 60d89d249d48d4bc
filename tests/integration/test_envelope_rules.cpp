// What the broker accepts in an envelope and its label (docs/protocol.md 6 and 6.1): each
// defect refused with its code and the message's id, the refused message delivered to
// nobody (proven by a marker from the same publisher), the sound variant delivered.
#include <catch2/catch.hpp>

#include "broker_process.hpp"
#include "raw_client.hpp"

using namespace enlace;
using namespace enlace::test;

namespace {

struct Fixture {
  TestCoalition coalition;
  std::unique_ptr<BrokerProcess> broker;
  std::unique_ptr<RawClient> raw;
  std::unique_ptr<Client> subscriber;
  Inbox inbox;
  int markers = 0;

  Fixture() {
    coalition.add("col-raw", "COL", "command_post");
    coalition.add("ecu-cp", "ECU", "command_post");
    broker = std::make_unique<BrokerProcess>(coalition);
    subscriber = std::make_unique<Client>(broker->options_for(coalition["ecu-cp"]));
    REQUIRE(subscriber->wait_connected(10s).ok());
    REQUIRE(subscriber->subscribe("text.>", inbox.handler()).ok());
    raw = std::make_unique<RawClient>(*broker, coalition["col-raw"]);
    REQUIRE(raw->hello());
  }

  /// A Text envelope from col-raw on `topic`, labelled releasable to ECU (so the ECU
  /// subscriber receives it if the broker accepts it).
  static EnvelopeSpec spec(const std::string& topic) {
    EnvelopeSpec s("col-raw", topic);
    s.label = RawLabel{};
    s.label->releasable_to = {"ECU"};
    return s;
  }

  /// Publishes with ack_requested; the broker's answer to it (Ack or Error, matched by id).
  Received publish(const EnvelopeSpec& s) {
    wire::Uuid id;
    raw->send(publish_frame(s, wire::flag::ack_requested, &id));
    const auto seen = raw->until(
        [&](const Received& a) { return a.message_id() && same_id(*a.message_id(), id); });
    REQUIRE_FALSE(seen.empty());
    return seen.back();
  }

  void check_refused(const EnvelopeSpec& s, Errc code) {
    const Received answer = publish(s);
    CHECK(answer.control_type() == wire::Control::Error);
    CHECK(answer.error_code() == code);
    INFO(answer.reason());
    const std::string marker = "text.COL.marker" + std::to_string(++markers);
    REQUIRE(publish(spec(marker)).control_type() == wire::Control::Ack);
    REQUIRE(inbox.wait_for_topic(marker));
    CHECK_FALSE(inbox.has_topic(s.topic));
  }

  void check_delivered(const EnvelopeSpec& s) {
    const Received answer = publish(s);
    INFO(answer.reason());
    CHECK(answer.control_type() == wire::Control::Ack);
    CHECK(inbox.wait_for_topic(s.topic));
  }
};

}  // namespace

TEST_CASE("an envelope whose payload type is NONE is refused with invalid_envelope",
          "[integration][ingest][envelope]") {
  Fixture f;
  auto none = Fixture::spec("text.COL.none");
  none.payload_type = static_cast<std::uint8_t>(wire::Payload::NONE);
  f.check_refused(none, Errc::invalid_envelope);
  f.check_delivered(Fixture::spec("text.COL.text"));
}

TEST_CASE("a payload type this broker does not know is routed unchanged",
          "[integration][ingest][envelope]") {
  Fixture f;
  auto newer = Fixture::spec("text.COL.newer-type");
  newer.payload_type = 200;  // a type appended by a later schema
  const Frame sent = envelope_bytes(newer);
  f.raw->send(with_header(wire::Command::publish, sent, wire::flag::ack_requested));
  REQUIRE(f.inbox.wait_for_topic("text.COL.newer-type"));
  const Delivery delivery = f.inbox.snapshot().front();
  CHECK(static_cast<int>(delivery.payload_type()) == 200);
  const wire::Bytes got = delivery.envelope_bytes();
  CHECK(std::equal(got.begin(), got.end(), sent.begin(), sent.end()));
}

TEST_CASE("a releasable_to listing a nation twice counts it once", "[integration][ingest][label]") {
  Fixture f;
  auto twice = Fixture::spec("text.COL.twice");
  twice.label->releasable_to = {"ECU", "COL", "ECU"};
  f.check_delivered(twice);
  const auto deliveries = f.inbox.snapshot();
  CHECK(std::count_if(deliveries.begin(), deliveries.end(),
                      [](const Delivery& d) { return d.topic() == "text.COL.twice"; }) == 1);
}

TEST_CASE("the limit of 64 counts releasable_to entries as sent, duplicates included",
          "[integration][ingest][label]") {
  Fixture f;
  auto at_limit = Fixture::spec("text.COL.sixty-four");
  at_limit.label->releasable_to.assign(64, "ECU");
  f.check_delivered(at_limit);
  auto many = Fixture::spec("text.COL.sixty-five");
  many.label->releasable_to.assign(65, "ECU");
  const Received answer = f.publish(many);
  CHECK(answer.error_code() == Errc::invalid_label);
  CHECK_THAT(answer.reason(), Catch::Contains("64"));
}

TEST_CASE("a classification outside the enum is refused with invalid_label",
          "[integration][ingest][label]") {
  Fixture f;
  for (const std::int8_t value : {6, 100, -1}) {
    auto odd = Fixture::spec("text.COL.class" + std::to_string(value));
    odd.label->classification = value;
    f.check_refused(odd, Errc::invalid_label);
  }
  auto secret = Fixture::spec("text.COL.secret");
  secret.label->classification = static_cast<std::int8_t>(wire::Classification::Secret);
  f.check_delivered(secret);
  auto top = Fixture::spec("text.COL.top-secret");  // defined, but above the maximum
  top.label->classification = static_cast<std::int8_t>(wire::Classification::TopSecret);
  f.check_refused(top, Errc::classification_exceeded);
}

TEST_CASE("a label of another coalition's policy identifier is refused with invalid_label",
          "[integration][ingest][label]") {
  Fixture f;
  auto foreign = Fixture::spec("text.COL.foreign");
  foreign.label->policy_identifier = "urn:enlace:coalition:elsewhere";
  f.check_refused(foreign, Errc::invalid_label);
  auto own = Fixture::spec("text.COL.own");
  own.label->policy_identifier = "urn:enlace:test";  // the test coalition's
  f.check_delivered(own);
  auto empty = Fixture::spec("text.COL.empty-identifier");
  empty.label->policy_identifier = "";
  f.check_delivered(empty);
  f.check_delivered(Fixture::spec("text.COL.no-identifier"));
}

TEST_CASE("a label category other than an informative one is refused with invalid_label",
          "[integration][ingest][label]") {
  Fixture f;
  const auto with_category = [](const std::string& topic, std::int8_t type) {
    auto s = Fixture::spec(topic);
    s.label->categories.push_back({"CaveatCategory", type, {"SPECIAL"}});
    return s;
  };
  f.check_refused(with_category("text.COL.permissive",
                                static_cast<std::int8_t>(wire::CategoryType::Permissive)),
                  Errc::invalid_label);
  f.check_refused(with_category("text.COL.restrictive",
                                static_cast<std::int8_t>(wire::CategoryType::Restrictive)),
                  Errc::invalid_label);
  f.check_refused(with_category("text.COL.unknown-type", 7), Errc::invalid_label);

  f.check_delivered(with_category("text.COL.informative",
                                  static_cast<std::int8_t>(wire::CategoryType::Informative)));
  // Carried unchanged to the subscriber.
  const auto deliveries = f.inbox.snapshot();
  const auto it = std::find_if(deliveries.begin(), deliveries.end(), [](const Delivery& d) {
    return d.topic() == "text.COL.informative";
  });
  REQUIRE(it != deliveries.end());
  const auto* categories = it->envelope().label()->categories();
  REQUIRE(categories != nullptr);
  REQUIRE(categories->size() == 1);
  CHECK(categories->Get(0)->name()->string_view() == "CaveatCategory");
  CHECK(categories->Get(0)->values()->Get(0)->string_view() == "SPECIAL");
}
