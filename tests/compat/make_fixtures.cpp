// Writes the binary fixtures of tests/compat: complete wire frames (8-byte header + body,
// docs/protocol.md section 3) as this version's SDK and broker build them, with fixed ids
// and times so that the output is the same on every run.
//
//   ninja -C build enlace_compat_fixtures
//   build/tests/compat/enlace_compat_fixtures tests/compat/v1/fixtures tests/compat/golden/sub
//
// The first folder receives the protocol fixtures read by test_v1_fixtures.cpp, the second
// the deliveries test_sub_golden.cpp renders as `enlace sub` JSON. A file that exists is
// never overwritten: a released version's fixtures are frozen, and a golden input changes
// only when a developer deletes it on purpose. The test files spell out the values written
// here as literals; change one side, change the other.
//
// Not built by default and not run by the tests: it is run by hand, once per release (into
// that release's vN/fixtures) or when a golden input is added. See tests/compat/README.md.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "delivery_template.hpp"
#include "enlace/envelope_builder.hpp"
#include "enlace/error.hpp"
#include "enlace/protocol/frame.hpp"

using namespace enlace;
using enlace::broker::DeliveryOrigin;
using enlace::broker::DeliveryTemplate;

namespace {

using Frame = std::vector<std::uint8_t>;

// The fixed part of an envelope that EnvelopeEncoder would otherwise draw from the random
// generator and the clock.
struct Pinned {
  wire::Uuid id;
  std::int64_t publish_ns = 0;
  std::int64_t stale_ns = 0;
};

constexpr std::int64_t kSecond = 1'000'000'000;

// Builds an envelope exactly as Client::publish() does (EnvelopeEncoder::finish_any), then
// overwrites its id and times in place with `pinned`. The fields keep their widths, so the
// layout stays the SDK's. The TTL in `options` decides whether stale_time_ns is written at
// all (a TTL of 0 leaves it at its default 0, absent), so `pinned` must agree with it.
template <class Payload>
std::vector<std::uint8_t> envelope(std::string_view topic, EnvelopeEncoder::Origin origin,
                                   const PublishOptions& options, const Pinned& pinned,
                                   Payload&& make_payload) {
  EnvelopeEncoder builder;
  const auto payload = make_payload(builder.fbb());
  builder.finish_any(topic, origin, payload.first, payload.second, options);
  std::vector<std::uint8_t> bytes(builder.bytes().begin(), builder.bytes().end());

  auto* table = flatbuffers::GetMutableRoot<flatbuffers::Table>(bytes.data());
  std::uint8_t* id = table->GetAddressOf(wire::Envelope::VT_ID);
  if (id == nullptr ||
      !table->SetField<std::int64_t>(wire::Envelope::VT_PUBLISH_TIME_NS, pinned.publish_ns, 0) ||
      !table->SetField<std::int64_t>(wire::Envelope::VT_STALE_TIME_NS, pinned.stale_ns, 0)) {
    throw std::logic_error("envelope for " + std::string(topic) + ": a pinned field is absent");
  }
  std::memcpy(id, &pinned.id, sizeof(wire::Uuid));
  return bytes;
}

// A typed payload offset as finish_any() takes it.
template <class T>
std::pair<wire::Payload, flatbuffers::Offset<void>> typed(flatbuffers::Offset<T> offset) {
  return {wire::PayloadTraits<T>::enum_value, offset.Union()};
}

Frame frame(wire::Command command, std::uint8_t flags, wire::Bytes body) {
  Frame out(wire::kHeaderSize + body.size());
  wire::write_header(out.data(), command, flags);
  std::memcpy(out.data() + wire::kHeaderSize, body.data(), body.size());
  return out;
}

Frame publish(const std::vector<std::uint8_t>& envelope_bytes, std::uint8_t flags) {
  return frame(wire::Command::publish, flags, {envelope_bytes.data(), envelope_bytes.size()});
}

// A deliver frame as the broker writes one into its send buffer: header, then the body from
// the publisher session's DeliveryTemplate (broker/src/outbound.cpp, append_delivery).
Frame deliver(const DeliveryOrigin& origin, std::uint64_t sequence, std::int64_t receive_ns,
              const std::vector<std::uint8_t>& envelope_bytes) {
  const DeliveryTemplate templ(origin);
  const std::size_t body_size = templ.size(envelope_bytes.size());
  // 8-byte aligned storage, as DeliveryTemplate::write requires.
  std::vector<std::uint64_t> storage(body_size / sizeof(std::uint64_t));
  auto* body = reinterpret_cast<std::uint8_t*>(storage.data());
  templ.write(body, sequence, receive_ns, {envelope_bytes.data(), envelope_bytes.size()});
  return frame(wire::Command::deliver, 0, {body, body_size});
}

// Finishes a ControlFrame around `body` in `fbb` and frames it.
template <class T>
Frame control(flatbuffers::FlatBufferBuilder& fbb, wire::Control type,
              flatbuffers::Offset<T> body) {
  fbb.Finish(wire::CreateControlFrame(fbb, type, body.Union()), wire::ControlFrameIdentifier());
  return frame(wire::Command::control, 0, {fbb.GetBufferPointer(), fbb.GetSize()});
}

// A batch frame holding `frames` as records, in order (docs/protocol.md 3.1).
Frame batch(const std::vector<const Frame*>& frames) {
  std::size_t body_size = 0;
  for (const Frame* inner : frames) body_size += wire::record_size(inner->size());
  Frame out(wire::kHeaderSize + body_size);
  wire::write_header(out.data(), wire::Command::batch);
  std::size_t at = wire::kHeaderSize;
  for (const Frame* inner : frames) {
    at += wire::write_record(out.data() + at, {inner->data(), inner->size()});
  }
  return out;
}

// Refuses to write a frame this version's own reader would not accept.
void check(const std::string& name, const Frame& bytes) {
  wire::FrameView view;
  if (wire::parse_frame({bytes.data(), bytes.size()}, view) != Errc::ok) {
    throw std::logic_error(name + ": the header does not parse");
  }
  if (view.command != wire::Command::batch) {
    if (wire::verify_body(view) != Errc::ok) throw std::logic_error(name + ": does not verify");
    return;
  }
  wire::BatchReader reader(view.body);
  while (!reader.done()) {
    wire::FrameView inner;
    if (reader.next(inner) != Errc::ok || wire::verify_body(inner) != Errc::ok) {
      throw std::logic_error(name + ": a record does not verify");
    }
  }
}

void write(const std::filesystem::path& dir, const std::string& name, const Frame& bytes) {
  check(name, bytes);
  const auto path = dir / name;
  if (std::filesystem::exists(path)) {
    std::printf("kept    %s\n", path.c_str());
    return;
  }
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path.string());
  std::printf("wrote   %s (%zu bytes)\n", path.c_str(), bytes.size());
}

// --- The messages ---------------------------------------------------------------------------

const DeliveryOrigin kRadar{"COL", "col-radar-1", "sensor", "enlace-bogota"};
const DeliveryOrigin kRadio{"COL", "col-radio-p12", "unit", "enlace-bogota"};
const DeliveryOrigin kDrone{"PER", "per-drone-3", "sensor", "enlace-bogota"};
const DeliveryOrigin kCommandPost{"COL", "col-cp-leguizamo", "command_post", "enlace-bogota"};

EnvelopeEncoder::Origin publisher(const DeliveryOrigin& origin) {
  return {origin.nation, origin.system};
}

// 2025-11-28T08:00:00Z, the day the fixtures' story takes place.
constexpr std::int64_t kT0 = 1'764'316'800'000'000'000;

Pinned pinned(std::uint64_t hi, std::uint64_t lo, std::int64_t publish_ns, std::int64_t ttl_s) {
  return {wire::Uuid(hi, lo), publish_ns, ttl_s > 0 ? publish_ns + ttl_s * kSecond : 0};
}

PublishOptions unclassified() {
  PublishOptions options;  // UNCLASSIFIED, no releasable-to list
  return options;
}

// The labelled Track: RESTRICTED, releasable to ECU and PER.
std::vector<std::uint8_t> track_envelope() {
  PublishOptions options;
  options.label.classification = wire::Classification::Restricted;
  options.label.releasable_to = {"ECU", "PER"};
  options.label.policy_identifier = "urn:enlace:coalition:putumayo";
  options.time_to_live = std::chrono::seconds(300);
  return envelope(
      "track.COL.radar.rx17.T0042", publisher(kRadar), options,
      pinned(0x5f0c9a7e3f1d4b8eULL, 0x9a410c2d17e3b6a5ULL, kT0 + 120'000'000, 300),
      [](flatbuffers::FlatBufferBuilder& fbb) {
        const wire::GeoPoint point(-0.19, -74.78);
        const auto position =
            wire::CreatePosition(fbb, &point, 3.5, wire::AltitudeReference::MeanSeaLevel, 25.0f);
        const wire::Motion motion(270.0f, 4.25f);
        const auto source = wire::CreateSensorRefDirect(fbb, wire::SensorType::Radar, "rx17");
        return typed(wire::CreateTrackDirect(
            fbb, "T0042", position, &motion, wire::StandardIdentity::Suspect,
            wire::BattleDimension::SeaSurface, "10063000001401000000", wire::ContactKind::Vessel,
            source, kT0 + 100'000'000, "RIO CAQUETA", "730012345"));
      });
}

std::vector<std::uint8_t> position_report_envelope() {
  return envelope("position.COL.unit.P12", publisher(kRadio), unclassified(),
                  pinned(0x0d5e6a389c1b4f07ULL, 0x8a527b9e41c0f3d2ULL, 5 * kSecond + kT0, 300),
                  [](flatbuffers::FlatBufferBuilder& fbb) {
                    const wire::GeoPoint point(0.05, -76.61);
                    const wire::Motion motion(90.0f, 3.5f);
                    return typed(wire::CreatePositionReportDirect(
                        fbb, "P12", "CONDOR 12", wire::CreatePosition(fbb, &point), &motion,
                        wire::UnitStatus::Moving, kT0 + 4'900'000'000, 80));
                  });
}

void write_protocol_fixtures(const std::filesystem::path& dir) {
  const auto track = track_envelope();
  const auto report = position_report_envelope();
  write(dir, "publish-track-labelled.bin", publish(track, wire::flag::ack_requested));
  write(dir, "publish-position-report.bin", publish(report, 0));
  write(dir, "deliver-track.bin", deliver(kRadar, 1187, kT0 + 123'456'789, track));

  flatbuffers::FlatBufferBuilder fbb;
  // A batch as a subscriber may receive one: the end of its snapshot, then a live delivery.
  // The first record (a 52-byte frame) is padded with 4 zero bytes.
  const Frame end_of_snapshot =
      control(fbb, wire::Control::EndOfSnapshot, wire::CreateEndOfSnapshot(fbb, 7, 0));
  const Frame report_delivery = deliver(kRadio, 1188, kT0 + 5'004'000'000, report);
  write(dir, "batch-end-of-snapshot-and-delivery.bin", batch({&end_of_snapshot, &report_delivery}));

  // One of each control body, every field set (the SDK leaves Hello.system out; it is set
  // here so that a reader of the field is tested too).
  fbb.Clear();
  write(dir, "control-hello.bin",
        control(fbb, wire::Control::Hello,
                wire::CreateHelloDirect(fbb, wire::kProtocolVersion,
                                        "enlace-sdk/0.1.0 compat-fixtures", "col-radar-1", 1000)));
  fbb.Clear();
  write(dir, "control-welcome.bin",
        control(fbb, wire::Control::Welcome,
                wire::CreateWelcomeDirect(
                    fbb, wire::kProtocolVersion, "enlace-bogota", "COL", "col-radar-1", "sensor",
                    1'048'576, 42,
                    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")));
  fbb.Clear();
  write(dir, "control-subscribe.bin",
        control(fbb, wire::Control::Subscribe,
                wire::CreateSubscribeDirect(fbb, 7, "track.COL.>", true, wire::ReplayFrom::Time,
                                            kT0, wire::Conflation::LatestPerTopic)));
  fbb.Clear();
  write(dir, "control-unsubscribe.bin",
        control(fbb, wire::Control::Unsubscribe,
                wire::CreateUnsubscribeDirect(fbb, 8, "track.COL.>")));
  fbb.Clear();
  const wire::Uuid track_id(0x5f0c9a7e3f1d4b8eULL, 0x9a410c2d17e3b6a5ULL);
  write(dir, "control-ack.bin",
        control(fbb, wire::Control::Ack, wire::CreateAck(fbb, 0, &track_id, 1187, 3)));
  fbb.Clear();
  {
    // Field by field, as Broker::send_notice builds it.
    const wire::Uuid report_id(0x0d5e6a389c1b4f07ULL, 0x8a527b9e41c0f3d2ULL);
    const auto reason = fbb.CreateString("system 'col-radio-p12' exceeds its rate of 5 messages/s");
    wire::ErrorBuilder error(fbb);
    error.add_code(static_cast<std::uint16_t>(Errc::rate_limited));
    error.add_reason(reason);
    error.add_request_id(0);
    error.add_message_id(&report_id);
    error.add_retryable(is_retryable(Errc::rate_limited));
    write(dir, "control-error.bin", control(fbb, wire::Control::Error, error.Finish()));
  }
  fbb.Clear();
  write(dir, "control-end-of-snapshot.bin",
        control(fbb, wire::Control::EndOfSnapshot, wire::CreateEndOfSnapshot(fbb, 7, 12)));
  fbb.Clear();
  write(dir, "control-ping.bin",
        control(fbb, wire::Control::Ping, wire::CreatePing(fbb, 17, kT0 + 10 * kSecond)));
  fbb.Clear();
  write(dir, "control-pong.bin",
        control(fbb, wire::Control::Pong, wire::CreatePong(fbb, 17, kT0 + 10 * kSecond + 250'000)));
}

// Deliveries for the `enlace sub` golden files: one per payload type, the labelled Track,
// an unlabelled message, a payload type newer than this version, and text that is not UTF-8.
void write_golden_inputs(const std::filesystem::path& dir) {
  write(dir, "track-labelled.bin", deliver(kRadar, 1187, kT0 + 123'456'789, track_envelope()));
  write(dir, "position-report.bin",
        deliver(kRadio, 1188, kT0 + 5'004'000'000, position_report_envelope()));

  write(dir, "detection.bin",
        deliver(
            kDrone, 1189, kT0 + 6 * kSecond,
            envelope("detection.PER.drone.uav-3.D-0007", publisher(kDrone), unclassified(),
                     pinned(0x1b4e28ba2fa141d2ULL, 0x883f0016d3cca427ULL, kT0 + 5'900'000'000, 600),
                     [](flatbuffers::FlatBufferBuilder& fbb) {
                       const auto sensor =
                           wire::CreateSensorRefDirect(fbb, wire::SensorType::Drone, "uav-3");
                       const wire::GeoPoint point(-0.2, -74.75);
                       std::vector<std::uint8_t> digest(32);
                       for (std::size_t i = 0; i < digest.size(); ++i) {
                         digest[i] = static_cast<std::uint8_t>(i);
                       }
                       return typed(wire::CreateDetectionDirect(
                           fbb, "D-0007", sensor, wire::CreatePosition(fbb, &point), NAN,
                           wire::ContactKind::Vessel, 0.875f, kT0 + 5'800'000'000,
                           "https://media.example/per/d-0007.jpg", &digest,
                           "two canoes, one with an outboard motor"));
                     })));

  PublishOptions confidential;
  confidential.label.classification = wire::Classification::Confidential;
  confidential.label.releasable_to = {"BRA", "ECU", "PER"};
  write(dir, "alert.bin",
        deliver(kCommandPost, 1190, kT0 + 7 * kSecond,
                envelope(
                    "alert.COL.crossing", publisher(kCommandPost), confidential,
                    pinned(0x7c9e6679742540deULL, 0x944be07fc1f90ae7ULL, kT0 + 6'950'000'000, 3600),
                    [](flatbuffers::FlatBufferBuilder& fbb) {
                      const wire::GeoPoint where(-0.21, -74.8);
                      const std::vector<wire::GeoPoint> vertices{
                          {-0.1, -74.9}, {-0.3, -74.9}, {-0.3, -74.6}};
                      const auto area = wire::CreateAreaDirect(fbb, "sector 4", &vertices);
                      const std::vector<flatbuffers::Offset<flatbuffers::String>> related{
                          fbb.CreateString("T0042")};
                      return typed(wire::CreateAlertDirect(
                          fbb, "A-0193", wire::AlertSeverity::High, wire::AlertCategory::Smuggling,
                          "Canoe loading at night", "packages moved from a canoe to a truck",
                          &where, area, &related, kT0 + 6'900'000'000));
                    })));

  write(dir, "spot-report.bin",
        deliver(kRadio, 1191, kT0 + 8 * kSecond,
                envelope(
                    "spot.COL.P12", publisher(kRadio), unclassified(),
                    pinned(0x3d8f1c2ab6e94f10ULL, 0xa2c4e6f8091b3d5fULL, kT0 + 7'900'000'000, 1800),
                    [](flatbuffers::FlatBufferBuilder& fbb) {
                      const wire::GeoPoint where(-0.2, -74.7);
                      // Not ASCII on purpose: how the codec writes "í".
                      return typed(wire::CreateSpotReportDirect(
                          fbb, "S-0031", "6 persons, 2 boats", "loading packages", &where,
                          "north bank, 2 km east of Puerto Leguízamo", "unmarked canoes",
                          kT0 + 7 * kSecond, "2 outboard motors", "P12"));
                    })));

  PublishOptions never_stale;
  never_stale.time_to_live = std::chrono::nanoseconds(0);
  write(dir, "tasking.bin",
        deliver(kCommandPost, 1192, kT0 + 9 * kSecond,
                envelope(
                    "tasking.COL.patrol.K-0012", publisher(kCommandPost), never_stale,
                    pinned(0x6ba7b8109dad11d1ULL, 0x80b400c04fd430c8ULL, kT0 + 8'900'000'000, 0),
                    [](flatbuffers::FlatBufferBuilder& fbb) {
                      const std::vector<wire::GeoPoint> vertices{
                          {-0.1, -74.9}, {-0.3, -74.9}, {-0.3, -74.6}};
                      const auto area = wire::CreateAreaDirect(fbb, "sector 4", &vertices);
                      const std::vector<flatbuffers::Offset<flatbuffers::String>> units{
                          fbb.CreateString("P12"), fbb.CreateString("E3")};
                      const wire::TimeWindow window(kT0 + 3600 * kSecond, kT0 + 4 * 3600 * kSecond);
                      return typed(wire::CreateTaskingDirect(
                          fbb, "K-0012", wire::TaskType::Interdiction, &units, area, &window,
                          wire::TaskStatus::Accepted, "stop and search river traffic"));
                    })));

  PublishOptions unmarked;
  unmarked.label.classification = wire::Classification::Unmarked;  // no label table at all
  write(dir, "text-unlabelled.bin",
        deliver(
            kCommandPost, 1193, kT0 + 10 * kSecond,
            envelope("text.COL.chat", publisher(kCommandPost), unmarked,
                     pinned(0x9b2d4f6a8c0e4a1bULL, 0xb3d5f7091a2c4e6fULL, kT0 + 9'990'000'000, 300),
                     [](flatbuffers::FlatBufferBuilder& fbb) {
                       return typed(wire::CreateTextDirect(
                           fbb, "Patrol P12 holding at the river mouth, \"CONDOR\" on station",
                           "col-radio-p12", "ops-0193"));
                     })));

  PublishOptions ecuador;
  ecuador.label.classification = wire::Classification::Secret;
  ecuador.label.releasable_to = {"ECU"};
  write(dir, "sealed.bin",
        deliver(kCommandPost, 1194, kT0 + 11 * kSecond,
                envelope(
                    "alert.COL.sealed", publisher(kCommandPost), ecuador,
                    pinned(0x2f1e3d4c5b6a4978ULL, 0x8695a4b3c2d1e0f0ULL, kT0 + 10'990'000'000, 300),
                    [](flatbuffers::FlatBufferBuilder& fbb) {
                      const std::vector<std::uint8_t> wrapped{1, 2, 3, 4, 5, 6, 7, 8};
                      const std::vector<flatbuffers::Offset<wire::WrappedKey>> keys{
                          wire::CreateWrappedKeyDirect(fbb, "ECU", "ecu-2025-1", &wrapped)};
                      const std::vector<std::uint8_t> nonce(24, 0x24);
                      const std::vector<std::uint8_t> ciphertext{0xde, 0xad, 0xbe, 0xef,
                                                                 0x00, 0x01, 0x7f, 0xff};
                      return typed(
                          wire::CreateSealedDirect(fbb, "xchacha20poly1305+x25519",
                                                   static_cast<std::uint8_t>(wire::Payload::Alert),
                                                   &nonce, &ciphertext, &keys));
                    })));

  write(dir, "opaque.bin",
        deliver(
            kRadar, 1195, kT0 + 12 * kSecond,
            envelope("vendor.COL.acme.rx17", publisher(kRadar), unclassified(),
                     pinned(0x4a5b6c7d8e9f4a0bULL, 0x9c0d1e2f3a4b5c6dULL, kT0 + 11'990'000'000, 60),
                     [](flatbuffers::FlatBufferBuilder& fbb) {
                       const std::vector<std::uint8_t> data{0xa1, 0x01, 0x18, 0x2a};
                       return typed(
                           wire::CreateOpaqueDirect(fbb, "application/vnd.acme.radar+cbor", &data));
                     })));

  // A payload type this version does not know (the next one after Opaque), as a newer
  // publisher would send it: the line is printed with "payload":null and the reason.
  write(dir, "unknown-payload-type.bin",
        deliver(
            kRadar, 1196, kT0 + 13 * kSecond,
            envelope("weather.COL.station.7", publisher(kRadar), unclassified(),
                     pinned(0x5c6d7e8f90a14b2cULL, 0xad3e4f5061728394ULL, kT0 + 12'990'000'000, 60),
                     [](flatbuffers::FlatBufferBuilder& fbb) {
                       const auto table = wire::CreateTextDirect(fbb, "from the future");
                       return std::pair<wire::Payload, flatbuffers::Offset<void>>(
                           static_cast<wire::Payload>(
                               static_cast<std::uint8_t>(wire::Payload::MAX) + 1),
                           table.Union());
                     })));

  // A Text whose body ends inside a UTF-8 sequence: the payload cannot be shown.
  write(dir, "text-invalid-utf8.bin",
        deliver(kCommandPost, 1197, kT0 + 14 * kSecond,
                envelope(
                    "text.COL.chat", publisher(kCommandPost), unclassified(),
                    pinned(0x6d7e8f90a1b24c3dULL, 0xbe4f506172839405ULL, kT0 + 13'990'000'000, 300),
                    [](flatbuffers::FlatBufferBuilder& fbb) {
                      return typed(wire::CreateTextDirect(fbb, "caf\xc3"));
                    })));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s FIXTURE_DIR GOLDEN_INPUT_DIR\n", argv[0]);
    return 2;
  }
  try {
    for (const char* dir : {argv[1], argv[2]}) std::filesystem::create_directories(dir);
    write_protocol_fixtures(argv[1]);
    write_golden_inputs(argv[2]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_fixtures: %s\n", e.what());
    return 1;
  }
  return 0;
}
