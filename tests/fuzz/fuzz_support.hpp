// What the fuzz targets share: the input copied to aligned memory as the receivers copy a
// frame, a check that aborts (so libFuzzer keeps the input), the start-up policy, and
// readers that touch every field of a verified body.
//
// Why read every field: the FlatBuffers verifier is the only thing between hostile bytes
// and the accessors. Reading each field of what it accepted, strings byte by byte, lets
// AddressSanitizer report any field the verifier let point outside the buffer.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <type_traits>

#include "enlace/policy/policy.hpp"
#include "enlace/protocol/frame.hpp"

/// Aborts with the failed condition: a property of the code under test did not hold.
#define FUZZ_CHECK(condition)                                                                 \
  do {                                                                                        \
    if (!(condition)) {                                                                       \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                           \
    }                                                                                         \
  } while (false)

namespace enlace::fuzz {

/// The input at an 8-byte aligned address, as broker and SDK copy a frame whose memory is
/// not aligned. Unlike their word vector, the allocation has exactly the input's size, so
/// AddressSanitizer flags a read even one byte past the end of the frame.
class AlignedBuffer {
 public:
  AlignedBuffer(const std::uint8_t* data, std::size_t size)
      : size_(size),
        data_(static_cast<std::uint8_t*>(
            ::operator new (size == 0 ? 1 : size, std::align_val_t{wire::kAlignment}))) {
    if (size > 0) std::memcpy(data_, data, size);
  }
  ~AlignedBuffer() { ::operator delete (data_, std::align_val_t{wire::kAlignment}); }
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;

  wire::Bytes bytes() const noexcept { return {data_, size_}; }

 private:
  std::size_t size_;
  std::uint8_t* data_;
};

/// The policy the targets decide against: ENLACE_FUZZ_POLICY if set, else the file named at
/// build time (tests/unit/data/policies/putumayo.toml). Loaded once; a policy that does
/// not load is a broken set-up, reported before any input runs.
inline const policy::Policy& startup_policy() {
  static const std::shared_ptr<const policy::Policy> loaded = [] {
    const char* path = std::getenv("ENLACE_FUZZ_POLICY");
    try {
      return policy::Policy::load_file(path != nullptr ? path : ENLACE_FUZZ_POLICY_FILE);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "fuzz: cannot load the policy: %s\n", e.what());
      std::exit(2);
    }
  }();
  return *loaded;
}

/// Folds everything read into one value that is finally stored to a volatile, so that no
/// read can be optimised away.
class Sink {
 public:
  ~Sink() { sunk = hash_; }
  Sink() = default;
  Sink(const Sink&) = delete;
  Sink& operator=(const Sink&) = delete;

  template <class T>
  void scalar(T value) noexcept {
    static_assert(std::is_arithmetic_v<T> || std::is_enum_v<T>);
    std::uint64_t bits = 0;
    if constexpr (std::is_floating_point_v<T>) {
      std::memcpy(&bits, &value, sizeof(value));
    } else {
      bits = static_cast<std::uint64_t>(value);
    }
    hash_ = (hash_ ^ bits) * 0x100000001b3ULL;
  }

  void bytes(const void* data, std::size_t size) noexcept {
    const auto* p = static_cast<const std::uint8_t*>(data);
    for (std::size_t i = 0; i < size; ++i) scalar(p[i]);
  }

  /// Every byte and the terminating NUL, which the verifier promises is inside the buffer.
  void string(const flatbuffers::String* s) noexcept {
    if (s == nullptr) {
      scalar(~0ULL);
      return;
    }
    bytes(s->c_str(), s->size() + 1);
  }

  void string_view(std::string_view s) noexcept { bytes(s.data(), s.size()); }

  template <class T>
  void scalars(const flatbuffers::Vector<T>* v) noexcept {
    if (v == nullptr) return;
    for (flatbuffers::uoffset_t i = 0; i < v->size(); ++i) scalar(v->Get(i));
  }

  void strings(const flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>* v) noexcept {
    if (v == nullptr) return;
    for (flatbuffers::uoffset_t i = 0; i < v->size(); ++i) string(v->Get(i));
  }

  static inline volatile std::uint64_t sunk = 0;

 private:
  std::uint64_t hash_ = 0xcbf29ce484222325ULL;
};

// ---- common.fbs, label.fbs ---------------------------------------------------------------

inline void read(Sink& s, const wire::Uuid* id) {
  if (id == nullptr) return;
  s.scalar(id->hi());
  s.scalar(id->lo());
}
inline void read(Sink& s, const wire::GeoPoint* p) {
  if (p == nullptr) return;
  s.scalar(p->lat_deg());
  s.scalar(p->lon_deg());
}
inline void read(Sink& s, const wire::Motion* m) {
  if (m == nullptr) return;
  s.scalar(m->course_deg());
  s.scalar(m->speed_mps());
}
inline void read(Sink& s, const wire::TimeWindow* w) {
  if (w == nullptr) return;
  s.scalar(w->start_ns());
  s.scalar(w->end_ns());
}
inline void read(Sink& s, const wire::Position* p) {
  if (p == nullptr) return;
  read(s, p->point());
  s.scalar(p->altitude_m());
  s.scalar(p->altitude_ref());
  s.scalar(p->horizontal_error_m());
  s.scalar(p->vertical_error_m());
}
inline void read(Sink& s, const wire::Area* a) {
  if (a == nullptr) return;
  s.string(a->name());
  if (const auto* vertices = a->vertices()) {
    for (const wire::GeoPoint* v : *vertices) read(s, v);
  }
}
inline void read(Sink& s, const wire::Category* c) {
  if (c == nullptr) return;
  s.string(c->name());
  s.scalar(c->type());
  s.strings(c->values());
}
inline void read(Sink& s, const wire::ConfidentialityLabel* l) {
  if (l == nullptr) return;
  s.string(l->policy_identifier());
  s.scalar(l->classification());
  s.strings(l->releasable_to());
  if (const auto* categories = l->categories()) {
    for (const wire::Category* c : *categories) read(s, c);
  }
}

// ---- payloads.fbs ------------------------------------------------------------------------

inline void read(Sink& s, const wire::SensorRef* r) {
  if (r == nullptr) return;
  s.scalar(r->type());
  s.string(r->id());
}
inline void read(Sink& s, const wire::Track* t) {
  s.string(t->track_id());
  read(s, t->position());
  read(s, t->motion());
  s.scalar(t->identity());
  s.scalar(t->dimension());
  s.string(t->sidc());
  s.scalar(t->kind());
  read(s, t->source());
  s.scalar(t->observed_ns());
  s.string(t->name());
  s.string(t->external_id());
}
inline void read(Sink& s, const wire::PositionReport* r) {
  s.string(r->unit_id());
  s.string(r->callsign());
  read(s, r->position());
  read(s, r->motion());
  s.scalar(r->status());
  s.scalar(r->observed_ns());
  s.scalar(r->battery_pct());
}
inline void read(Sink& s, const wire::Detection* d) {
  s.string(d->detection_id());
  read(s, d->sensor());
  read(s, d->position());
  s.scalar(d->bearing_deg());
  s.scalar(d->kind());
  s.scalar(d->confidence());
  s.scalar(d->observed_ns());
  s.string(d->media_uri());
  s.scalars(d->media_sha256());
  s.string(d->description());
}
inline void read(Sink& s, const wire::Alert* a) {
  s.string(a->alert_id());
  s.scalar(a->severity());
  s.scalar(a->category());
  s.string(a->title());
  s.string(a->description());
  read(s, a->location());
  read(s, a->area());
  s.strings(a->related_tracks());
  s.scalar(a->raised_ns());
}
inline void read(Sink& s, const wire::SpotReport* r) {
  s.string(r->report_id());
  s.string(r->size());
  s.string(r->activity());
  read(s, r->location());
  s.string(r->location_text());
  s.string(r->unit());
  s.scalar(r->observed_ns());
  s.string(r->equipment());
  s.string(r->reporter());
}
inline void read(Sink& s, const wire::Tasking* t) {
  s.string(t->task_id());
  s.scalar(t->type());
  s.strings(t->assigned_units());
  read(s, t->area());
  read(s, t->window());
  s.scalar(t->status());
  s.string(t->instructions());
}
inline void read(Sink& s, const wire::Text* t) {
  s.string(t->body());
  s.string(t->to());
  s.string(t->thread());
}
inline void read(Sink& s, const wire::Sealed* sealed) {
  s.string(sealed->algorithm());
  s.scalar(sealed->inner_type());
  s.scalars(sealed->nonce());
  s.scalars(sealed->ciphertext());
  if (const auto* keys = sealed->keys()) {
    for (const wire::WrappedKey* k : *keys) {
      s.string(k->nation());
      s.string(k->key_id());
      s.scalars(k->wrapped());
    }
  }
}
inline void read(Sink& s, const wire::Opaque* o) {
  s.string(o->content_type());
  s.scalars(o->data());
}

// ---- envelope.fbs, delivery.fbs ----------------------------------------------------------

inline void read(Sink& s, const wire::Envelope* e) {
  read(s, e->id());
  s.string(e->origin()->nation());
  s.string(e->origin()->system());
  s.string(e->topic());
  s.scalar(e->publish_time_ns());
  s.scalar(e->stale_time_ns());
  read(s, e->label());
  s.scalar(e->payload_type());
  // A payload type this build does not know is verified as an offset only (FlatBuffers
  // leaves unknown union members alone), so its table must not be read.
  switch (e->payload_type()) {
    case wire::Payload::Track:
      read(s, e->payload_as_Track());
      break;
    case wire::Payload::PositionReport:
      read(s, e->payload_as_PositionReport());
      break;
    case wire::Payload::Detection:
      read(s, e->payload_as_Detection());
      break;
    case wire::Payload::Alert:
      read(s, e->payload_as_Alert());
      break;
    case wire::Payload::SpotReport:
      read(s, e->payload_as_SpotReport());
      break;
    case wire::Payload::Tasking:
      read(s, e->payload_as_Tasking());
      break;
    case wire::Payload::Text:
      read(s, e->payload_as_Text());
      break;
    case wire::Payload::Sealed:
      read(s, e->payload_as_Sealed());
      break;
    case wire::Payload::Opaque:
      read(s, e->payload_as_Opaque());
      break;
    default:
      break;
  }
  if (const wire::Signature* signature = e->signature()) {
    s.string(signature->algorithm());
    s.string(signature->key_id());
    s.scalars(signature->value());
  }
}

/// The header, then the nested envelope (verify_body checked both).
inline void read(Sink& s, const wire::Delivery* d) {
  s.scalar(d->sequence());
  s.scalar(d->receive_time_ns());
  s.string(d->origin()->nation());
  s.string(d->origin()->system());
  s.string(d->origin()->role());
  s.string(d->broker_id());
  s.strings(d->path());
  s.scalar(d->hops());
  s.scalar(d->snapshot());
  s.scalars(d->envelope());
  read(s, wire::GetEnvelope(d->envelope()->data()));
}

// ---- control.fbs -------------------------------------------------------------------------

inline void read(Sink& s, const wire::ControlFrame* c) {
  s.scalar(c->body_type());
  switch (c->body_type()) {
    case wire::Control::Hello: {
      const auto* h = c->body_as_Hello();
      s.scalar(h->protocol_version());
      s.string(h->client_name());
      s.string(h->system());
      s.scalar(h->heartbeat_ms());
      break;
    }
    case wire::Control::Welcome: {
      const auto* w = c->body_as_Welcome();
      s.scalar(w->protocol_version());
      s.string(w->broker_id());
      s.string(w->nation());
      s.string(w->system());
      s.string(w->role());
      s.scalar(w->max_message_bytes());
      s.scalar(w->session_id());
      s.string(w->policy_version());
      break;
    }
    case wire::Control::Subscribe: {
      const auto* r = c->body_as_Subscribe();
      s.scalar(r->request_id());
      s.string(r->pattern());
      s.scalar(r->snapshot());
      s.scalar(r->replay_from());
      s.scalar(r->replay_value());
      s.scalar(r->conflation());
      break;
    }
    case wire::Control::Unsubscribe: {
      const auto* r = c->body_as_Unsubscribe();
      s.scalar(r->request_id());
      s.string(r->pattern());
      break;
    }
    case wire::Control::Ack: {
      const auto* a = c->body_as_Ack();
      s.scalar(a->request_id());
      read(s, a->message_id());
      s.scalar(a->sequence());
      s.scalar(a->count());
      break;
    }
    case wire::Control::Error: {
      const auto* e = c->body_as_Error();
      s.scalar(e->code());
      s.string(e->reason());
      s.scalar(e->request_id());
      read(s, e->message_id());
      s.scalar(e->retryable());
      break;
    }
    case wire::Control::EndOfSnapshot: {
      const auto* e = c->body_as_EndOfSnapshot();
      s.scalar(e->request_id());
      s.scalar(e->count());
      break;
    }
    case wire::Control::Ping: {
      const auto* p = c->body_as_Ping();
      s.scalar(p->nonce());
      s.scalar(p->time_ns());
      break;
    }
    case wire::Control::Pong: {
      const auto* p = c->body_as_Pong();
      s.scalar(p->nonce());
      s.scalar(p->time_ns());
      break;
    }
    default:
      break;  // NONE, or a command of a later version: verified as an offset only
  }
}

}  // namespace enlace::fuzz
