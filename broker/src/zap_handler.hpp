// The ZAP (ZeroMQ Authentication Protocol, RFC 27) handler: ZeroMQ asks it, during every
// CURVE handshake, whether the client's public key may connect. It answers from the
// policy in force: a registered, non-revoked key is accepted with the system id as the
// ZAP User-Id, which ZeroMQ then attaches to every message of that connection. A key whose
// system is cut off for flooding is refused (status 400) until its cool-down ends, so that
// the flooder costs the broker one handshake per reconnection rather than decryption per
// frame. (Not 300, "temporary": libzmq 4.3.4 then never answers the client, whose
// handshake hangs until its handshake interval ends.)
//
// Runs on the broker's routing thread (its socket is polled with the ROUTER), so it reads
// the policy without locks.
#pragma once

#include <zmq.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "enlace/policy/policy.hpp"
#include "flood_guard.hpp"

namespace enlace::broker {

/// ZAP metadata property carrying the client's Z85 public key; ZeroMQ attaches it to
/// every message of the connection (zmq_msg_gets).
inline constexpr const char* kZapKeyProperty = "X-Enlace-Key";

struct ZapDecision {
  bool accepted = false;
  std::string system_id;             // when accepted, or refused for its cool-down
  std::int64_t cooling_seconds = 0;  // > 0: refused for now, the system is cut off
  std::string address;               // peer IP address, for the log
  std::string public_key;            // Z85, for the log
};

class ZapHandler {
 public:
  /// Binds the ZAP endpoint in `context`; must happen before the ROUTER binds.
  explicit ZapHandler(zmq::context_t& context);

  zmq::socket_t& socket() noexcept { return socket_; }

  /// Answers one pending request at `now_ns` (monotonic). Returns the decision (for
  /// counting and logging), or an empty optional when the request was malformed (answered
  /// with status 500).
  std::optional<ZapDecision> handle(const policy::Policy& policy, CoolDowns& cool_downs,
                                    std::int64_t now_ns);

 private:
  zmq::socket_t socket_;
};

}  // namespace enlace::broker
