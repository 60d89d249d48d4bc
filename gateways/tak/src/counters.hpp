// The gateway's counters: clients by transport and protocol, events in and out by kind,
// refusals by reason (docs/gateways/tak.md, "Counters"). Written as JSON to the metrics
// file every second when one is configured.
//
// Thread-safe: relaxed atomics, bumped from the Asio thread and the SDK's I/O thread.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "refusal.hpp"

namespace enlace::tak {

enum class Transport : std::size_t { tcp, tls, udp, count_ };
enum class Protocol : std::size_t { xml, protobuf, count_ };
/// What an event is, for the in/out counters.
enum class EventKind : std::size_t { position, track, text, alert, spot, tasking, control, count_ };

std::string_view to_string(Transport transport) noexcept;
std::string_view to_string(Protocol protocol) noexcept;
std::string_view to_string(EventKind kind) noexcept;
/// The kind of a CoT type as the mapping treats it (control for t-x-*, and for the rest
/// that maps to nothing).
EventKind kind_of_cot_type(std::string_view type) noexcept;

/// An enumerator as an array index.
template <class E>
constexpr std::size_t n(E e) noexcept {
  return static_cast<std::size_t>(e);
}

class Counters {
 public:
  using Counter = std::atomic<std::uint64_t>;

  /// A client opened (after its TLS handshake) or closed, speaking `protocol`.
  void client_opened(Transport t, Protocol p) noexcept {
    ++clients_[n(t)][n(p)];
    ++accepted_[n(t)];
  }
  void client_closed(Transport t, Protocol p) noexcept { --clients_[n(t)][n(p)]; }
  /// A client moved from XML to TAK v1.
  void client_upgraded(Transport t) noexcept {
    --clients_[n(t)][n(Protocol::xml)];
    ++clients_[n(t)][n(Protocol::protobuf)];
  }
  /// A TLS connection started or ended its handshake (whatever the outcome).
  void handshake_started() noexcept { ++handshaking_; }
  void handshake_ended() noexcept { --handshaking_; }
  void event_in(EventKind kind) noexcept { ++in_[n(kind)]; }
  /// One bus event fanned out, reaching `recipients` sinks.
  void event_out(EventKind kind, std::uint64_t recipients) noexcept {
    ++out_[n(kind)];
    sent_ += recipients;
  }
  void refused(Reason reason) noexcept { ++refusals_[n(reason)]; }
  void published() noexcept { ++published_; }
  /// A bus delivery TAK has no event for (Detection, Sealed, Opaque, no position).
  void unmapped() noexcept { ++unmapped_; }
  /// A bus delivery dropped before the fan-out because the Asio thread was behind.
  void backlog_dropped() noexcept { ++backlog_dropped_; }

  std::uint64_t refusals(Reason reason) const noexcept { return refusals_[n(reason)].load(); }
  std::int64_t clients(Transport t, Protocol p) const noexcept {
    return clients_[n(t)][n(p)].load();
  }
  std::uint64_t events_in(EventKind kind) const noexcept { return in_[n(kind)].load(); }
  std::uint64_t events_out(EventKind kind) const noexcept { return out_[n(kind)].load(); }
  std::uint64_t sent() const noexcept { return sent_.load(); }
  /// TLS connections accepted whose handshake has not ended yet.
  std::int64_t handshaking() const noexcept { return handshaking_.load(); }

  /// All counters as one JSON object.
  std::string to_json() const;
  /// Writes to_json() to `file` through a temporary file and a rename, so a reader never
  /// sees half a file. Returns false when it could not.
  bool write_file(const std::filesystem::path& file) const;

  /// Whether a refusal of `reason` may be logged now: one line per reason per second,
  /// the rest only counted.
  bool should_log(Reason reason) noexcept;

 private:
  std::array<std::array<std::atomic<std::int64_t>, n(Protocol::count_)>, n(Transport::count_)>
      clients_{};
  std::array<Counter, n(Transport::count_)> accepted_{};
  std::atomic<std::int64_t> handshaking_{0};
  std::array<Counter, n(EventKind::count_)> in_{};
  std::array<Counter, n(EventKind::count_)> out_{};
  std::array<Counter, kReasonCount> refusals_{};
  std::array<std::atomic<std::int64_t>, kReasonCount> last_logged_ms_{};
  Counter sent_{0};
  Counter published_{0};
  Counter unmapped_{0};
  Counter backlog_dropped_{0};
};

}  // namespace enlace::tak
