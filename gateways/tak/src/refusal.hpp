// Why the gateway refused or dropped something, as a closed list of reasons that the
// counters, the logs and docs/gateways/tak.md all use by the same name.
//
// Refusing one event never ends the client's connection; only a framing error or an
// oversize event (after which the stream cannot be re-synchronised), a refused
// certificate or handshake, or a connection over a bound does, and never affects another
// client.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace enlace::tak {

enum class Reason : std::size_t {
  bad_xml,       // not well-formed XML, a DOCTYPE, or nested deeper than allowed
  bad_event,     // XML, but no <event> root or a required attribute missing or invalid
  unknown_type,  // an event type the gateway does not map to the bus
  oversize,      // an event or frame above max_event_bytes (connection closed)
  bad_protobuf,  // a TAK v1 payload that is not a TakMessage with a CotEvent
  bad_framing,   // a TAK v1 stream byte that is not 0xbf, or a bad varint (connection closed)
  expired,       // the event's stale time has already passed
  loop,          // the event came out of an Enlace gateway (its <__enlace> marking)
  certificate_refused,   // TLS handshake failed: unknown CA, expired, revoked, or no certificate
  unmapped_certificate,  // a valid client certificate whose CN no [[units]] entry maps
  handshake_timeout,     // the TLS handshake did not complete within [tls] handshake_timeout_ms
  too_many_handshakes,   // [tls] max_handshakes connections were in their handshake already
  too_many_clients,      // [gateway] max_clients clients were connected already
  publish_refused,       // the SDK or the broker refused the message (policy, size, queue)
  send_queue_full,       // a client's send queue was full: an outbound event dropped for it
  count_
};

inline constexpr std::size_t kReasonCount = static_cast<std::size_t>(Reason::count_);

constexpr std::string_view to_string(Reason reason) noexcept {
  constexpr std::array<std::string_view, kReasonCount> names = {"bad_xml",
                                                                "bad_event",
                                                                "unknown_type",
                                                                "oversize",
                                                                "bad_protobuf",
                                                                "bad_framing",
                                                                "expired",
                                                                "loop",
                                                                "certificate_refused",
                                                                "unmapped_certificate",
                                                                "handshake_timeout",
                                                                "too_many_handshakes",
                                                                "too_many_clients",
                                                                "publish_refused",
                                                                "send_queue_full"};
  const auto i = static_cast<std::size_t>(reason);
  return i < names.size() ? names[i] : std::string_view("unknown");
}

/// A reason with the detail that explains this instance (e.g. the parser's message and
/// offset). `detail` is peer-controlled in part: escape it before logging (log.hpp does).
struct Refusal {
  Reason reason;
  std::string detail;
};

/// A value or a Refusal: the outcome of decoding or mapping something a peer sent.
template <class T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : data_(std::move(value)) {}            // NOLINT: implicit by design
  Expected(Refusal refusal) : data_(std::move(refusal)) {}  // NOLINT: implicit by design
  Expected(Reason reason, std::string detail) : data_(Refusal{reason, std::move(detail)}) {}

  bool ok() const noexcept { return data_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }
  T& value() & { return std::get<0>(data_); }
  const T& value() const& { return std::get<0>(data_); }
  T&& value() && { return std::get<0>(std::move(data_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  const Refusal& refusal() const { return std::get<1>(data_); }

 private:
  std::variant<T, Refusal> data_;
};

}  // namespace enlace::tak
