// The gateway's configuration file (TOML; reference in docs/gateways/tak.md, "Configuration").
//
// Loaded once at start-up on the main thread; read-only afterwards, so any thread may
// read it.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "enlace/result.hpp"
#include "enlace/wire.hpp"

namespace enlace::tak {

/// host:port of a listener or a destination.
struct Endpoint {
  std::string host;
  std::uint16_t port = 0;
};

/// Which unit and callsign a TLS client certificate stands for.
struct UnitMapping {
  std::string certificate_cn;  // the certificate's subject CN
  std::string unit;            // the PositionReport unit_id of the client's own SA
  std::string callsign;        // used when the client's SA has no <contact callsign>
};

struct TlsListener {
  Endpoint listen;
  std::filesystem::path certificate;         // the gateway's certificate chain (PEM)
  std::filesystem::path private_key;         // its key (PEM)
  std::filesystem::path ca;                  // the CA(s) client certificates must chain to (PEM)
  std::optional<std::filesystem::path> crl;  // revoked client certificates (PEM CRL)
  // A connection whose handshake has not completed this long after it was accepted is
  // closed (handshake_timeout), so a client that connects and stalls holds nothing for long.
  std::chrono::milliseconds handshake_timeout{10'000};
  // Connections in their handshake at once; one more is closed as soon as it is accepted
  // (too_many_handshakes), so that stalled handshakes cannot exhaust the descriptors.
  std::size_t max_handshakes = 64;
};

struct UdpListener {
  Endpoint listen;                   // where SA datagrams are received
  std::optional<std::string> group;  // multicast group joined, e.g. 239.2.3.1
  /// The IPv4 address of the interface the group is joined on and multicast is sent from;
  /// none: the kernel's choice (the interface of the default route).
  std::optional<std::string> interface;
  std::vector<Endpoint> send_to;  // where the bus picture goes as SA datagrams
  bool send_protobuf = false;     // TAK v1 mesh frames instead of XML
};

struct Config {
  // [broker]
  std::string broker_endpoint;
  std::string broker_public_key;  // Z85
  std::filesystem::path keys;     // base of <keys>.pub / <keys>.key

  // [gateway]
  std::string uid = "enlace-tak-gateway";  // uid of the gateway's own control events
  std::string source = "tak";              // topic token: <kind>.<NATION>.<source>.<id>
  std::vector<std::string> subscribe = {"position.>", "track.>", "alert.>",
                                        "spot.>",     "text.>",  "tasking.>"};
  std::vector<std::string> releasable_to;  // label of what clients send; empty: by agreement
  wire::Classification classification = wire::Classification::Unclassified;
  std::string policy_identifier;
  std::int64_t default_stale_seconds = 300;  // for bus messages that never go stale
  std::size_t max_event_bytes = 64 * 1024;
  std::size_t client_queue_bytes = 4 * 1024 * 1024;  // per client, then drops (send_queue_full)
  std::size_t max_clients = 256;
  std::size_t picture_max_items = 100'000;            // latest-per-uid items kept for new clients
  std::optional<std::filesystem::path> metrics_file;  // counters as JSON, every second

  // listeners
  std::optional<Endpoint> tcp;
  std::optional<TlsListener> tls;
  std::optional<UdpListener> udp;

  std::vector<UnitMapping> units;

  const UnitMapping* unit_for(std::string_view certificate_cn) const noexcept;
};

/// Reads and checks the file: every key known, every listener complete, files that exist,
/// at least one listener. Relative paths are relative to the file's folder. Fails with
/// invalid_argument and "file:line: what" for the first problem.
Result<Config> load_config(const std::filesystem::path& file);

/// "host:port" with a numeric port; nullopt otherwise.
std::optional<Endpoint> parse_endpoint(std::string_view text);

}  // namespace enlace::tak
