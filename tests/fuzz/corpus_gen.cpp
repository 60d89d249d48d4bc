// Writes the seed corpora of tests/fuzz/corpus/<target>/: real, valid inputs built with the
// project's own builders (EnvelopeEncoder, the generated Create functions, the delivery
// layout of the broker's DeliveryTemplate) and, for each target, a few edge cases.
//
//   fuzz_corpus_gen <corpus-dir>
//
// Deterministic: message ids and times are fixed after building, so a second run rewrites
// the same bytes and `git status` shows only what a change to the generator changed. Files
// it does not write (hand-made seeds) are left alone.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "enlace/envelope_builder.hpp"
#include "enlace/journal/format.hpp"
#include "enlace/journal/journal.hpp"
#include "enlace/protocol/frame.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace enlace;
using Bytes = std::vector<std::uint8_t>;

constexpr std::int64_t kTime = 1764316800123456789;  // 2025-11-28T08:00:00.123456789Z
constexpr std::int64_t kStale = kTime + 300'000'000'000;
const wire::Uuid kId(0x1b4e28ba2fa141d2ULL, 0x883f0016d3cca427ULL);

// ---- output ----------------------------------------------------------------------------

class Corpus {
 public:
  explicit Corpus(std::filesystem::path root) : root_(std::move(root)) {}

  void write(std::string_view target, std::string_view name, const void* data, std::size_t size) {
    const std::filesystem::path dir = root_ / target;
    std::filesystem::create_directories(dir);
    std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
    out.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
    if (!out) throw std::runtime_error("cannot write " + (dir / name).string());
    ++written_;
  }
  void write(std::string_view target, std::string_view name, const Bytes& bytes) {
    write(target, name, bytes.data(), bytes.size());
  }
  void write(std::string_view target, std::string_view name, std::string_view text) {
    write(target, name, text.data(), text.size());
  }
  int written() const noexcept { return written_; }

 private:
  std::filesystem::path root_;
  int written_ = 0;
};

// ---- payloads --------------------------------------------------------------------------

using PayloadFn = std::function<std::pair<wire::Payload, flatbuffers::Offset<void>>(
    flatbuffers::FlatBufferBuilder&)>;

flatbuffers::Offset<wire::Position> position(flatbuffers::FlatBufferBuilder& fbb, double lat,
                                             double lon) {
  const wire::GeoPoint point(lat, lon);
  return wire::CreatePosition(fbb, &point, 92.5, wire::AltitudeReference::MeanSeaLevel, 25.0f,
                              std::numeric_limits<float>::quiet_NaN());
}

flatbuffers::Offset<wire::Area> area(flatbuffers::FlatBufferBuilder& fbb) {
  const std::vector<wire::GeoPoint> vertices = {
      {-0.19, -74.78}, {-0.21, -74.70}, {-0.30, -74.75}, {-0.25, -74.85}};
  return wire::CreateAreaDirect(fbb, "putumayo-bend", &vertices);
}

template <class T>
std::pair<wire::Payload, flatbuffers::Offset<void>> as_payload(flatbuffers::Offset<T> offset) {
  return {wire::PayloadTraits<T>::enum_value, offset.Union()};
}

auto track(flatbuffers::FlatBufferBuilder& fbb) {
  const wire::Motion motion(270.0f, 4.2f);
  return as_payload(wire::CreateTrackDirect(
      fbb, "T0042", position(fbb, -0.19, -74.78), &motion, wire::StandardIdentity::Suspect,
      wire::BattleDimension::SeaSurface, "10033000001211040000", wire::ContactKind::Vessel,
      wire::CreateSensorRefDirect(fbb, wire::SensorType::Radar, "rx17"), kTime, "RIO PUTUMAYO",
      "730001234"));
}

auto position_report(flatbuffers::FlatBufferBuilder& fbb) {
  const wire::Motion motion(90.0f, 1.5f);
  return as_payload(wire::CreatePositionReportDirect(fbb, "P12", "CONDOR 12",
                                                     position(fbb, 0.05, -76.61), &motion,
                                                     wire::UnitStatus::Moving, kTime, 87));
}

auto detection(flatbuffers::FlatBufferBuilder& fbb) {
  std::vector<std::uint8_t> digest(32);
  for (std::size_t i = 0; i < digest.size(); ++i) digest[i] = static_cast<std::uint8_t>(i * 7);
  return as_payload(wire::CreateDetectionDirect(
      fbb, "D-7", wire::CreateSensorRefDirect(fbb, wire::SensorType::EoIr, "cam3"),
      position(fbb, 0.08, -76.89), 45.5f, wire::ContactKind::Person, 0.8f, kTime,
      "s3://ecu-sensors/cam3/D-7.jpg", &digest, "two persons on the north bank"));
}

auto alert(flatbuffers::FlatBufferBuilder& fbb) {
  const wire::GeoPoint location(-0.21, -74.80);
  const std::vector<flatbuffers::Offset<flatbuffers::String>> tracks = {fbb.CreateString("T0042"),
                                                                        fbb.CreateString("T0043")};
  return as_payload(wire::CreateAlertDirect(
      fbb, "A-0193", wire::AlertSeverity::High, wire::AlertCategory::Smuggling,
      "Canoe loading at night", "two canoes, no lights", &location, area(fbb), &tracks, kTime));
}

auto spot_report(flatbuffers::FlatBufferBuilder& fbb) {
  const wire::GeoPoint location(-0.27, -75.10);
  return as_payload(wire::CreateSpotReportDirect(
      fbb, "S-1", "6 persons, 2 boats", "loading packages onto a canoe", &location,
      "north bank, 2 km east of Puerto Leguizamo", "no markings", kTime, "outboard motors",
      "ECU-P3"));
}

auto tasking(flatbuffers::FlatBufferBuilder& fbb) {
  const std::vector<flatbuffers::Offset<flatbuffers::String>> units = {fbb.CreateString("P12"),
                                                                       fbb.CreateString("P14")};
  const wire::TimeWindow window(kTime, kTime + 3600'000'000'000);
  return as_payload(wire::CreateTaskingDirect(fbb, "TSK-12", wire::TaskType::Interdiction, &units,
                                              area(fbb), &window, wire::TaskStatus::Accepted,
                                              "hold the river mouth until relieved"));
}

auto text(flatbuffers::FlatBufferBuilder& fbb) {
  return as_payload(wire::CreateTextDirect(fbb, "Patrol P12 holding at the river mouth",
                                           "col-cp-bogota", "th-1"));
}

auto sealed(flatbuffers::FlatBufferBuilder& fbb) {
  const std::vector<std::uint8_t> nonce(24, 0x5a);
  const std::vector<std::uint8_t> ciphertext(48, 0xc3);
  const std::vector<std::uint8_t> wrapped(48, 0x11);
  const std::vector<flatbuffers::Offset<wire::WrappedKey>> keys = {
      wire::CreateWrappedKeyDirect(fbb, "COL", "col-2025", &wrapped)};
  return as_payload(wire::CreateSealedDirect(fbb, "xchacha20poly1305+x25519",
                                             static_cast<std::uint8_t>(wire::Payload::Text), &nonce,
                                             &ciphertext, &keys));
}

auto opaque(flatbuffers::FlatBufferBuilder& fbb) {
  const std::vector<std::uint8_t> data = {1, 2, 3, 0xff};
  return as_payload(wire::CreateOpaqueDirect(fbb, "application/vnd.acme.radar+cbor", &data));
}

// ---- envelopes and deliveries ------------------------------------------------------------

// Fixes the id and the times EnvelopeEncoder drew, so the bytes are the same every run.
Bytes pin(wire::Bytes built) {
  Bytes out(built.begin(), built.end());
  const wire::Envelope* envelope = wire::GetEnvelope(out.data());
  std::memcpy(const_cast<wire::Uuid*>(envelope->id()), &kId, sizeof(kId));
  const auto* table = reinterpret_cast<const flatbuffers::Table*>(envelope);
  const auto put = [&](flatbuffers::voffset_t field, std::int64_t value) {
    if (const std::uint8_t* at = table->GetAddressOf(field)) {
      flatbuffers::WriteScalar(const_cast<std::uint8_t*>(at), value);
    }
  };
  put(wire::Envelope::VT_PUBLISH_TIME_NS, kTime);
  put(wire::Envelope::VT_STALE_TIME_NS, kStale);
  return out;
}

Bytes envelope(std::string_view topic, std::string_view nation, std::string_view system,
               const PayloadFn& payload, const Label& label = {}) {
  EnvelopeEncoder builder;
  const auto [type, offset] = payload(builder.fbb());
  PublishOptions options;
  options.label = label;
  builder.finish_any(topic, {nation, system}, type, offset, options);
  return pin(builder.bytes());
}

// What EnvelopeEncoder cannot write: label categories, a signature, any payload type tag.
Bytes raw_envelope(std::string_view topic, wire::Payload type, wire::Classification level) {
  flatbuffers::FlatBufferBuilder fbb;
  const auto payload = wire::CreateTextDirect(fbb, "raw");
  const std::vector<flatbuffers::Offset<flatbuffers::String>> caveat = {
      fbb.CreateString("SPECIAL")};
  const std::vector<flatbuffers::Offset<wire::Category>> categories = {
      wire::CreateCategoryDirect(fbb, "CaveatCategory", wire::CategoryType::Restrictive, &caveat)};
  const std::vector<flatbuffers::Offset<flatbuffers::String>> nations = {fbb.CreateString("ECU")};
  const auto label = wire::CreateConfidentialityLabelDirect(fbb, "urn:enlace:coalition:putumayo",
                                                            level, &nations, &categories);
  const std::vector<std::uint8_t> signature(64, 0xee);
  const auto signed_by = wire::CreateSignatureDirect(fbb, "ed25519", "col-cp-bogota", &signature);
  const auto origin = wire::CreateOriginDirect(fbb, "COL", "col-cp-bogota");
  const std::string topic_text(topic);
  fbb.Finish(wire::CreateEnvelopeDirect(fbb, &kId, origin, topic_text.c_str(), kTime, kStale, label,
                                        type, payload.Union(), signed_by),
             wire::EnvelopeIdentifier());
  return Bytes(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
}

// A Delivery laid out as the broker's DeliveryTemplate lays it out: defaults forced, the
// envelope vector last and 8-byte aligned.
Bytes delivery(const Bytes& envelope, std::string_view nation, std::string_view system,
               std::string_view role, std::uint64_t sequence = 1187, bool snapshot = false) {
  flatbuffers::FlatBufferBuilder fbb(256);
  fbb.ForceDefaults(true);
  fbb.ForceVectorAlignment(envelope.size(), sizeof(std::uint8_t), wire::kAlignment);
  const auto nested = fbb.CreateVector(envelope.data(), envelope.size());
  const std::string n(nation), s(system), r(role);
  const auto origin = wire::CreateAuthenticatedOriginDirect(fbb, n.c_str(), s.c_str(), r.c_str());
  const auto broker_id = fbb.CreateString("enlace-bogota");
  const auto path = fbb.CreateVector(&broker_id, 1);
  wire::DeliveryBuilder header(fbb);
  header.add_sequence(sequence);
  header.add_receive_time_ns(kTime + 1'000'000);
  header.add_origin(origin);
  header.add_broker_id(broker_id);
  header.add_path(path);
  header.add_snapshot(snapshot);
  header.add_envelope(nested);
  fbb.Finish(header.Finish(), wire::DeliveryIdentifier());
  return Bytes(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
}

// ---- control bodies ----------------------------------------------------------------------

template <class T>
Bytes control(wire::Control type,
              const std::function<flatbuffers::Offset<T>(flatbuffers::FlatBufferBuilder&)>& make) {
  flatbuffers::FlatBufferBuilder fbb;
  const auto body = make(fbb);
  fbb.Finish(wire::CreateControlFrame(fbb, type, body.Union()), wire::ControlFrameIdentifier());
  return Bytes(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
}

using Fbb = flatbuffers::FlatBufferBuilder;

std::vector<std::pair<std::string, Bytes>> control_bodies() {
  using C = wire::Control;
  std::vector<std::pair<std::string, Bytes>> out;
  out.emplace_back("hello", control<wire::Hello>(C::Hello, [](Fbb& f) {
                     return wire::CreateHelloDirect(f, 1, "enlace-sdk/0.1 acme-radar/2.3",
                                                    "col-radar-leguizamo", 5000);
                   }));
  out.emplace_back("hello-version-2", control<wire::Hello>(C::Hello, [](Fbb& f) {
                     return wire::CreateHelloDirect(f, 2, "future-sdk", nullptr, 0);
                   }));
  out.emplace_back("hello-max-heartbeat", control<wire::Hello>(C::Hello, [](Fbb& f) {
                     return wire::CreateHelloDirect(f, 1, nullptr, nullptr, 0xffffffffu);
                   }));
  out.emplace_back("welcome", control<wire::Welcome>(C::Welcome, [](Fbb& f) {
                     return wire::CreateWelcomeDirect(
                         f, 1, "enlace-bogota", "COL", "col-radar-leguizamo", "sensor", 131072, 7,
                         "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
                   }));
  const std::pair<const char*, std::uint32_t> subscriptions[] = {{"track.>", 1},
                                                                 {"tasking.COL.*", 2},
                                                                 {"tasking.COL.radar", 3},
                                                                 {"biometric.>", 4},
                                                                 {"track.*.classified.>", 5},
                                                                 {"position.*.unit.>", 6},
                                                                 {"track.COL..bad", 7},
                                                                 {">", 8}};
  for (const auto& subscription : subscriptions) {
    const char* pattern = subscription.first;
    const std::uint32_t id = subscription.second;
    std::string name = std::string("subscribe-") + pattern;
    for (char& c : name) {
      if (c == '*' || c == '>' || c == '.') c = c == '.' ? '_' : (c == '*' ? 'S' : 'R');
    }
    out.emplace_back(name, control<wire::Subscribe>(C::Subscribe, [&](Fbb& f) {
                       return wire::CreateSubscribeDirect(f, id, pattern, id % 2 == 0);
                     }));
  }
  out.emplace_back("subscribe-replay", control<wire::Subscribe>(C::Subscribe, [](Fbb& f) {
                     return wire::CreateSubscribeDirect(f, 9, "alert.>", true,
                                                        wire::ReplayFrom::Sequence, 1000,
                                                        wire::Conflation::LatestPerTopic);
                   }));
  out.emplace_back("unsubscribe", control<wire::Unsubscribe>(C::Unsubscribe, [](Fbb& f) {
                     return wire::CreateUnsubscribeDirect(f, 10, "track.>");
                   }));
  out.emplace_back("ack-subscribe", control<wire::Ack>(C::Ack, [](Fbb& f) {
                     return wire::CreateAck(f, 1, nullptr, 0, 0);
                   }));
  out.emplace_back("ack-publish", control<wire::Ack>(C::Ack, [](Fbb& f) {
                     return wire::CreateAck(f, 0, &kId, 1187, 3);
                   }));
  out.emplace_back("error-publish-denied", control<wire::Error>(C::Error, [](Fbb& f) {
                     return wire::CreateErrorDirect(
                         f, 202,
                         "publishing on 'track.COL.test.T1' is denied by role 'sensor' "
                         "publish.deny 'track.{nation}.test.>' (putumayo.toml:44)",
                         0, &kId, false);
                   }));
  out.emplace_back("error-hello-required", control<wire::Error>(C::Error, [](Fbb& f) {
                     return wire::CreateErrorDirect(f, 106, "send Hello first", 0, nullptr, true);
                   }));
  out.emplace_back("error-unknown-code", control<wire::Error>(C::Error, [](Fbb& f) {
                     return wire::CreateErrorDirect(f, 65535, nullptr, 4, nullptr, false);
                   }));
  out.emplace_back("end-of-snapshot", control<wire::EndOfSnapshot>(C::EndOfSnapshot, [](Fbb& f) {
                     return wire::CreateEndOfSnapshot(f, 2, 0);
                   }));
  out.emplace_back(
      "ping", control<wire::Ping>(C::Ping, [](Fbb& f) { return wire::CreatePing(f, 42, kTime); }));
  out.emplace_back(
      "pong", control<wire::Pong>(C::Pong, [](Fbb& f) { return wire::CreatePong(f, 42, kTime); }));
  // Edge cases: the NONE tag with a body, and a tag a later version might define.
  out.emplace_back("edge-none-tag",
                   control<wire::Ping>(C::NONE, [](Fbb& f) { return wire::CreatePing(f, 1, 2); }));
  out.emplace_back("edge-future-tag", control<wire::Ping>(static_cast<C>(42), [](Fbb& f) {
                     return wire::CreatePing(f, 1, 2);
                   }));
  return out;
}

// ---- frames ------------------------------------------------------------------------------

Bytes frame(wire::Command command, const Bytes& body, std::uint8_t flags = 0) {
  Bytes out(wire::kHeaderSize + body.size());
  wire::write_header(out.data(), command, flags);
  std::copy(body.begin(), body.end(), out.begin() + wire::kHeaderSize);
  return out;
}

Bytes batch(const std::vector<Bytes>& frames) {
  Bytes body;
  for (const Bytes& f : frames) {
    const std::size_t at = body.size();
    body.resize(at + wire::record_size(f.size()));
    wire::write_record(body.data() + at, f);
  }
  return frame(wire::Command::batch, body);
}

// ---- the corpora -------------------------------------------------------------------------

template <class List>
const Bytes& named(const List& list, std::string_view name) {
  for (const auto& [n, bytes] : list) {
    if (n == name) return bytes;
  }
  throw std::logic_error("generator: no seed named " + std::string(name));
}

struct EnvelopeSeed {
  std::string name;
  Bytes bytes;
};

std::vector<EnvelopeSeed> envelope_seeds() {
  Label released;
  released.classification = wire::Classification::Restricted;
  released.releasable_to = {"ECU", "PER"};
  released.policy_identifier = "urn:enlace:coalition:putumayo";
  Label beyond_cap;
  beyond_cap.releasable_to = {"VEN"};
  Label unknown_nation;
  unknown_nation.releasable_to = {"ECU", "XXX"};
  Label secret;
  secret.classification = wire::Classification::Secret;
  Label to_bra;
  to_bra.releasable_to = {"BRA"};
  Label to_col;
  to_col.releasable_to = {"COL"};
  Label too_many;
  for (int i = 0; i < 65; ++i) too_many.releasable_to.push_back("ECU");

  const std::string radar = "col-radar-leguizamo";
  std::vector<EnvelopeSeed> out = {
      {"track-by-agreement", envelope("track.COL.radar.rx17.T0042", "COL", radar, track)},
      {"track-releasable-ecu-per",
       envelope("track.COL.radar.rx17.T0042", "COL", radar, track, released)},
      {"track-beyond-release-cap",
       envelope("track.COL.radar.rx17.T0042", "COL", radar, track, beyond_cap)},
      {"track-unknown-nation",
       envelope("track.COL.radar.rx17.T0042", "COL", radar, track, unknown_nation)},
      {"track-secret", envelope("track.COL.radar.rx17.T0042", "COL", radar, track, secret)},
      {"track-deny-rule", envelope("track.COL.test.T1", "COL", radar, track)},
      {"track-65-nations", envelope("track.COL.radar.T1", "COL", radar, track, too_many)},
      {"position-report", envelope("position.COL.unit.P12", "COL", radar, position_report)},
      {"detection", envelope("track.ECU.eoir.cam3.D-7", "ECU", "ecu-radar-lago-agrio", detection)},
      {"alert-to-bra",
       envelope("alert.COL.putumayo.A-0193", "COL", "col-cp-bogota", alert, to_bra)},
      {"spot-report", envelope("spot.ECU.river.S-1", "ECU", "ecu-cp-quito", spot_report)},
      {"tasking", envelope("tasking.COL.radar", "COL", "col-cp-bogota", tasking)},
      {"text", envelope("text.COL.chat", "COL", "col-cp-bogota", text)},
      {"sealed-to-col", envelope("text.BRA.sealed", "BRA", "bra-cp-tabatinga", sealed, to_col)},
      {"opaque-analyst-denied", envelope("text.PER.vendor", "PER", "per-analyst-iquitos", opaque)},
      {"origin-mismatch", envelope("track.ECU.radar.T1", "ECU", radar, track)},
      {"revoked-system", envelope("track.COL.radar.T1", "COL", "col-radar-old", track)},
      {"topic-empty-token", envelope("track.COL..T1", "COL", radar, track)},
      {"topic-wildcard", envelope("track.COL.*", "COL", radar, track)},
      {"topic-256-bytes", envelope("track.COL." + std::string(246, 'x'), "COL", radar, track)},
      {"raw-categories-signature",
       raw_envelope("text.COL.raw", wire::Payload::Text, wire::Classification::Confidential)},
      {"raw-unknown-payload-type", raw_envelope("text.COL.raw", static_cast<wire::Payload>(42),
                                                wire::Classification::Unmarked)},
      {"raw-negative-classification",
       raw_envelope("text.COL.raw", wire::Payload::Text, static_cast<wire::Classification>(-1))},
  };
  return out;
}

void write_envelope_and_frame_corpora(Corpus& corpus) {
  const auto envelopes = envelope_seeds();
  for (const auto& seed : envelopes) corpus.write("fuzz_envelope", seed.name, seed.bytes);

  const auto controls = control_bodies();
  for (const auto& [name, body] : controls) corpus.write("fuzz_control", name, body);

  // fuzz_frame: every kind of frame a broker or a client receives.
  const Bytes& track_envelope = named(envelopes, "track-by-agreement");
  const Bytes& alert_envelope = named(envelopes, "alert-to-bra");
  corpus.write("fuzz_frame", "publish-ack-requested",
               frame(wire::Command::publish, track_envelope, wire::flag::ack_requested));
  corpus.write("fuzz_frame", "publish-label",
               frame(wire::Command::publish, named(envelopes, "track-releasable-ecu-per")));
  for (const auto& seed : envelopes) {
    corpus.write("fuzz_frame", "deliver-" + seed.name,
                 frame(wire::Command::deliver,
                       delivery(seed.bytes, "COL", "col-radar-leguizamo", "sensor")));
  }
  corpus.write("fuzz_frame", "deliver-snapshot",
               frame(wire::Command::deliver,
                     delivery(alert_envelope, "COL", "col-cp-bogota", "command_post", 9, true)));
  for (const auto& [name, body] : controls) {
    corpus.write("fuzz_frame", "control-" + name, frame(wire::Command::control, body));
  }
  // Batches as the broker sends them (an Ack, then deliveries) and as the SDK sends them.
  const Bytes ack = frame(wire::Command::control, named(controls, "ack-publish"));
  const Bytes deliver_track = frame(
      wire::Command::deliver, delivery(track_envelope, "COL", "col-radar-leguizamo", "sensor"));
  const Bytes deliver_alert = frame(
      wire::Command::deliver, delivery(alert_envelope, "COL", "col-cp-bogota", "command_post"));
  corpus.write("fuzz_frame", "batch-broker-to-client", batch({ack, deliver_track, deliver_alert}));
  corpus.write("fuzz_frame", "batch-client-to-broker",
               batch({frame(wire::Command::control, named(controls, "hello")),
                      frame(wire::Command::publish, track_envelope, wire::flag::ack_requested),
                      frame(wire::Command::publish, named(envelopes, "tasking"))}));
  // Edge cases.
  corpus.write("fuzz_frame", "edge-header-only", frame(wire::Command::publish, {}));
  corpus.write("fuzz_frame", "edge-empty-batch", frame(wire::Command::batch, {}));
  corpus.write("fuzz_frame", "edge-wrong-identifier",
               frame(wire::Command::control, track_envelope));
  corpus.write("fuzz_frame", "edge-deliver-wrong-nested-identifier",
               frame(wire::Command::deliver,
                     delivery(named(controls, "hello"), "COL", "col-radar-leguizamo", "sensor")));
  corpus.write("fuzz_frame", "edge-nested-batch", batch({batch({ack})}));
  Bytes truncated = batch({ack, deliver_track});
  truncated.resize(truncated.size() - 12);
  corpus.write("fuzz_frame", "edge-truncated-batch", truncated);
  // A 9-byte inner frame is followed by 7 bytes of padding; one of them is set.
  Bytes bad_padding = batch({frame(wire::Command::control, Bytes{0})});
  bad_padding.back() = 0x01;
  corpus.write("fuzz_frame", "edge-batch-padding-set", bad_padding);
  Bytes version_2 = frame(wire::Command::publish, track_envelope);
  version_2[0] = 2;
  corpus.write("fuzz_frame", "edge-version-2", version_2);
}

void write_json_corpus(Corpus& corpus) {
  // Mode 0: JSON payloads, argument = index into publishable_types().
  const std::pair<int, const char*> payloads[] = {
      {0, R"({"track_id": "T0042",
 "position": {"point": {"lat_deg": -0.19, "lon_deg": -74.78}, "horizontal_error_m": 25},
 "motion": {"course_deg": 270, "speed_mps": 4.2},
 "identity": "Suspect", "dimension": "SeaSurface", "kind": "Vessel",
 "source": {"type": "Radar", "id": "rx17"}})"},
      {0,
       R"({"track_id":"T0042","position":{"point":{"lat_deg":-0.19,"lon_deg":-74.78}},"identity":"Suspect"})"},
      {1, R"({"unit_id": "P12", "callsign": "CONDOR 12",
 "position": {"point": {"lat_deg": 0.05, "lon_deg": -76.61}}, "status": "Moving"})"},
      {2, R"({"detection_id": "D-7", "sensor": {"type": "EoIr", "id": "cam3"},
 "bearing_deg": 45.5, "kind": "Person", "confidence": 0.8,
 "media_sha256": [0, 7, 14, 21, 28, 35, 42, 49, 56, 63, 70, 77, 84, 91, 98, 105,
                  112, 119, 126, 133, 140, 147, 154, 161, 168, 175, 182, 189, 196, 203, 210, 217]})"},
      {3, R"({"alert_id": "A-0193", "severity": "High", "category": "Smuggling",
 "title": "Canoe loading at night", "location": {"lat_deg": -0.21, "lon_deg": -74.80},
 "area": {"name": "box", "vertices": [{"lat_deg": 1, "lon_deg": 2}, {"lat_deg": 3, "lon_deg": 4}]},
 "related_tracks": ["T1", "T2"]})"},
      {4, R"({"report_id": "S-1", "size": "6 persons, 2 boats", "activity": "loading",
 "location": {"lat_deg": -0.27, "lon_deg": -75.1}, "observed_ns": 1764316800123456789})"},
      {5, R"({"task_id": "TSK-12", "type": "Interdiction", "assigned_units": ["P12", "P14"],
 "window": {"start_ns": 1764316800000000000, "end_ns": 1764320400000000000},
 "status": "Accepted", "instructions": "hold the river mouth"})"},
      {6, R"({"body": "Patrol P12 holding at the river mouth", "to": "col-cp-leguizamo"})"},
      {6, R"({"body": "caf\u00e9 \"quoted\" \\ \n tab\t", "thread": "th-1"})"},
      {7, R"({"content_type": "application/octet-stream", "data": [1, 2, 3]})"},
      // Mistakes the parser must refuse with a message.
      {0, "{\"track_id\": \"T1\",\n \"trak\": 1}"},
      {0, R"({"track_id": "T1", "position": {}, "identity": "Suspekt"})"},
      {6, R"({"to": "col-cp"})"},
      {6, "body: hola"},
  };
  int n = 0;
  for (const auto& [type, json] : payloads) {
    std::string input = {'\0', static_cast<char>(type)};
    input += json;
    corpus.write("fuzz_json", "payload-" + std::to_string(n++), input);
  }
  // Mode 1: text as FlatBuffers' generator prints it, non-finite numbers included.
  const char* texts[] = {
      R"({"a": nan,"b": 1})",
      R"({"v": [1.0,nan,-inf], "s": "nan, inf"})",
      R"({"o": {"x": nan}, "e": {}, "q": "a\"b"})",
      ("{\n  \"track_id\": \"T9\",\n  \"position\": {\n    \"point\": {\n      \"lat_deg\": 4.5,\n"
       "      \"lon_deg\": -73.25\n    },\n    \"altitude_m\": nan\n  }\n}\n"),
      R"([[], {}, "", 0, -1.5e-3, true, false, null])",
  };
  n = 0;
  for (const char* t : texts) {
    std::string input = {'\x01', '\0'};
    input += t;
    corpus.write("fuzz_json", "compact-" + std::to_string(n++), input);
  }
  // Mode 2: deliveries (argument 0) and envelopes (argument 1).
  const auto envelopes = envelope_seeds();
  for (const auto& seed : envelopes) {
    Bytes input = {2, 0};
    const Bytes d = delivery(seed.bytes, "COL", "col-radar-leguizamo", "sensor");
    input.insert(input.end(), d.begin(), d.end());
    corpus.write("fuzz_json", "delivery-" + seed.name, input);
    Bytes as_envelope = {2, 1};
    as_envelope.insert(as_envelope.end(), seed.bytes.begin(), seed.bytes.end());
    corpus.write("fuzz_json", "envelope-" + seed.name, as_envelope);
  }
  {
    // A payload string that is not UTF-8: printed as an error, not as JSON.
    Bytes input = {2, 0};
    const Bytes e = envelope("text.COL.chat", "COL", "col-cp-bogota", [](Fbb& f) {
      return as_payload(wire::CreateTextDirect(f, "caf\xe9"));
    });
    const Bytes d = delivery(e, "COL", "col-cp-bogota", "command_post");
    input.insert(input.end(), d.begin(), d.end());
    corpus.write("fuzz_json", "delivery-text-not-utf8", input);
  }
  // Mode 3: names and text to quote.
  const char* names[] = {"Track",
                         "positionreport",
                         "Sealed",
                         "TOP-SECRET",
                         "Top Secret",
                         "secret",
                         "a \"quoted\"\\ name\twith\ncontrols\x01\x7f"};
  n = 0;
  for (const char* name : names) {
    std::string input = {'\x03', '\0'};
    input += name;
    corpus.write("fuzz_json", "names-" + std::to_string(n++), input);
  }
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string replaced(std::string text, std::string_view from, std::string_view to) {
  const std::size_t at = text.find(from);
  if (at == std::string::npos)
    throw std::logic_error("generator: text not found: " + std::string(from));
  return text.replace(at, from.size(), to);
}

void write_policy_corpus(Corpus& corpus) {
  const std::string putumayo = read_text(ENLACE_FUZZ_POLICY_FILE);
  corpus.write("fuzz_policy", "putumayo.toml", putumayo);
  const std::string minimal = R"([coalition]
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
  corpus.write("fuzz_policy", "minimal.toml", minimal);
  corpus.write("fuzz_policy", "limits-top-secret.toml",
               replaced(replaced(putumayo, "max_classification = \"confidential\"",
                                 "max_classification = \"TOP_SECRET\""),
                        "max_message_bytes = 131072", "max_message_bytes = 1024"));
  // One file with a defect of each kind: every diagnostic in one pass.
  std::string faulty = replaced(minimal, "[nations.ECU]", "[nations.ecu]\n[nations.EC]");
  faulty = replaced(faulty, "\"track.{nation}.>\"", "\"track.{nation}.>.x\", \"a.{natoin}\"");
  faulty = replaced(faulty, "role = \"sensor\"", "role = \"sensr\"\nrate = -1\nburst = nan");
  faulty = replaced(faulty, "parties = [\"COL\", \"ECU\"]", "parties = [\"COL\", \"COL\"]");
  faulty += "\n[limits]\nmax_message_bytes = 10\nmax_classificaton = \"SECRET\"\n";
  faulty +=
      "\n[[durable]]\nname = \"Alerts\"\ntopics = [\"alert.{nation}.>\"]\nmax_age_seconds = -5\n"
      "durability = \"sometimes\"\n";
  corpus.write("fuzz_policy", "faulty-everywhere.toml", faulty);
  corpus.write("fuzz_policy", "syntax-error.toml",
               replaced(minimal, "[nations.COL]", "[nations.COL"));
  // 64 nations is the limit, 65 one too many (the minimal policy has COL and ECU).
  std::string nations;
  for (int i = 0; i < 63; ++i) {
    if (i == 62) {
      corpus.write("fuzz_policy", "64-nations.toml",
                   replaced(minimal, "[nations.ECU]", nations + "[nations.ECU]"));
    }
    nations += "[nations.";
    nations += static_cast<char>('A' + i / 26 % 26);
    nations += static_cast<char>('A' + i % 26);
    nations += "Z]\n";
  }
  corpus.write("fuzz_policy", "65-nations.toml",
               replaced(minimal, "[nations.ECU]", nations + "[nations.ECU]"));
  corpus.write("fuzz_policy", "revoked-and-signing.toml",
               replaced(minimal, "role = \"sensor\"",
                        "role = \"sensor\"\nrevoked = true\n"
                        "signing_key = \"C285XKFKwgI3TVz/Z4txFX0L734AwwRem4CqtP+4UnY=\""));
}

void write_topic_corpus(Corpus& corpus) {
  // Byte 0 is the separator; a, b and t follow.
  const std::pair<char, std::vector<std::string>> inputs[] = {
      {'\n', {"track.>", "track.COL.*", "track.COL.radar"}},
      {'\n', {"track.*.classified.>", "track.>", "track.COL.classified.T1"}},
      {'|', {"tasking.COL.*", "tasking.{nation}.*", "tasking.COL.radar"}},
      {'|', {">", "*.*", "a.b"}},
      {'|', {"a.*.c", "*.b.>", "a.b.c"}},
      {'|', {"position.*.unit.>", "position.COL.unit.P12", "position.COL.unit.P12"}},
      {'|', {"a..b", ".a", "a."}},
      {'|', {"a.>.b", "a.b*", "a b.c"}},
      {'\0', {"track.COL\x7f", "t\xc3\xa9.x", "tab\t.x"}},
      {'|', {std::string(255, 'x'), std::string(256, 'x'), "x"}},
  };
  int n = 0;
  for (const auto& [separator, parts] : inputs) {
    std::string input(1, separator);
    for (std::size_t i = 0; i < parts.size(); ++i) {
      if (i > 0) input += separator;
      input += parts[i];
    }
    corpus.write("fuzz_topic", "triple-" + std::to_string(n++), input);
  }
  // Token limits: 32 tokens is the most a topic may have.
  std::string tokens_32 = "a", tokens_33;
  for (int i = 1; i < 32; ++i) tokens_32 += ".a";
  tokens_33 = tokens_32 + ".a";
  corpus.write("fuzz_topic", "tokens-32-33", "|" + tokens_32 + "|" + tokens_33 + "|" + tokens_32);
  std::string wildcards_32 = "*";
  for (int i = 1; i < 31; ++i) wildcards_32 += ".*";
  wildcards_32 += ".>";
  corpus.write("fuzz_topic", "tokens-wildcards-32", "|" + wildcards_32 + "|>|" + tokens_32);
}

}  // namespace

// ---- fuzz_journal_segment -----------------------------------------------------------

/// The segment file a fresh journal writes for `records`, with its creation time fixed.
Bytes journal_segment(const std::vector<journal::Record>& records) {
  std::string pattern = (std::filesystem::temp_directory_path() / "enlace-corpus-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  const std::filesystem::path dir = pattern;
  Bytes bytes;
  {
    auto opened = journal::Journal::open(dir);
    if (!opened) throw std::runtime_error(opened.error().reason);
    if (!(*opened)->append(records)) throw std::runtime_error("journal append failed");
  }
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".seg") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  std::filesystem::remove_all(dir);
  journal::format::encode_segment_header({records.front().sequence, kTime}, bytes.data());
  return bytes;
}

void write_journal_corpus(Corpus& corpus) {
  const Bytes envelope = [] {
    const auto seeds = envelope_seeds();
    return seeds.front().bytes;
  }();
  const Bytes origin = {'C', 'O', 'L', '/', 'r', 'a', 'd', 'a', 'r', '-', '1'};
  const auto record = [&](std::uint64_t sequence, std::string_view topic, std::size_t bytes) {
    return journal::Record{sequence,
                           kTime + static_cast<std::int64_t>(sequence),
                           topic,
                           origin,
                           {envelope.data(), std::min(bytes, envelope.size())}};
  };
  const Bytes three =
      journal_segment({record(1, "track.col.radar", envelope.size()),
                       journal::Record{2, kTime, {}, {}, {}}, record(3, "alert.col", 40)});
  corpus.write("fuzz_journal_segment", "three-records", three);
  corpus.write("fuzz_journal_segment", "gaps",
               journal_segment({record(10, "a", 8), record(17, "b", 8), record(1000, "c", 8)}));
  const Bytes large(3000, 0x5a);
  corpus.write("fuzz_journal_segment", "record-over-many-chunks",
               journal_segment({journal::Record{7, kTime, "text.col", origin, large}}));
  corpus.write("fuzz_journal_segment", "header-only",
               Bytes(three.begin(), three.begin() + journal::format::kSegmentHeaderBytes));
  Bytes torn(three.begin(), three.end() - 20);
  corpus.write("fuzz_journal_segment", "torn-tail", torn);
  Bytes zeros = three;
  zeros.resize(zeros.size() + 64, 0);
  corpus.write("fuzz_journal_segment", "zero-tail", zeros);
  Bytes flipped = three;
  flipped[journal::format::kSegmentHeaderBytes + 40] ^= 0x01;
  corpus.write("fuzz_journal_segment", "first-record-flipped", flipped);
}

// ---- fuzz_replay_origin -------------------------------------------------------------

/// A record header as Broker::journal_message writes it: each part behind its length byte.
Bytes origin_header(std::string_view nation, std::string_view system) {
  Bytes out;
  for (std::string_view part : {nation, system}) {
    out.push_back(static_cast<std::uint8_t>(part.size()));
    out.insert(out.end(), part.begin(), part.end());
  }
  return out;
}

void write_origin_corpus(Corpus& corpus) {
  // The origin of every system of the policy the target checks against, revoked ones too.
  const policy::Policy& policy = fuzz::startup_policy();
  for (const policy::System& system : policy.systems()) {
    corpus.write("fuzz_replay_origin", "system-" + system.id,
                 origin_header(policy.nations()[system.nation].code, system.id));
  }
  const Bytes valid = origin_header("COL", "col-radar-leguizamo");
  corpus.write("fuzz_replay_origin", "wrong-nation", origin_header("ECU", "col-radar-leguizamo"));
  corpus.write("fuzz_replay_origin", "unknown-system", origin_header("COL", "nobody"));
  corpus.write("fuzz_replay_origin", "both-empty", origin_header("", ""));
  corpus.write("fuzz_replay_origin", "longest-parts",
               origin_header(std::string(255, 'N'), std::string(255, 's')));
  corpus.write("fuzz_replay_origin", "empty", Bytes{});
  corpus.write("fuzz_replay_origin", "nation-only", Bytes(valid.begin(), valid.begin() + 4));
  corpus.write("fuzz_replay_origin", "system-cut-short", Bytes(valid.begin(), valid.end() - 1));
  Bytes trailing = valid;
  trailing.push_back(0);
  corpus.write("fuzz_replay_origin", "byte-after-system", trailing);
  Bytes past_end = valid;
  past_end[0] = 0xff;
  corpus.write("fuzz_replay_origin", "nation-length-past-end", past_end);
}

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus-dir>   (e.g. tests/fuzz/corpus)\n", argv[0]);
    return 2;
  }
  try {
    Corpus corpus(argv[1]);
    write_envelope_and_frame_corpora(corpus);
    write_json_corpus(corpus);
    write_policy_corpus(corpus);
    write_topic_corpus(corpus);
    write_journal_corpus(corpus);
    write_origin_corpus(corpus);
    std::printf("fuzz_corpus_gen: wrote %d files under %s\n", corpus.written(), argv[1]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz_corpus_gen: %s\n", e.what());
    return 1;
  }
  return 0;
}
