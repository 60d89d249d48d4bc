// The demo's TAK sites (--tak): one enlace-tak-gateway per nation, each connected to the
// broker with its own system's key (role tak_gateway), so that the ATAK or WinTAK clients
// at a nation's site see exactly what that nation may see, and what they send is
// published as that site and shared by the policy's agreements.
//
// Each site listens on `--tak-listen` (default 127.0.0.1): TAK Server's streaming TLS port
// with client certificates and its plain TCP port, at `--tak-port-base` + 10 x the nation's
// place in kNations + 9 and + 7 (Colombia 8089 and 8087 by default, Ecuador 8099 and
// 8097, ...). Its certificates are made once with the openssl command line and kept in
// <state>/tak/<system>/:
//
//   ca.pem, ca.key             the site's own CA (client certificates must chain to it)
//   server.pem, server.key     the gateway's TLS certificate, for the listen address
//   <cn>.p12                   a client certificate for one phone, mapped to a unit
//   truststore.p12             the CA, for the client to verify the gateway
//
// both .p12 files with the password "atakatak", as TAK data packages use. The gateway's
// configuration, log, ready file and counters go to <state>/gateways/<system>.*.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "scenario.hpp"
#include "simulated_system.hpp"
#include "state_dir.hpp"

namespace demo {

/// The enlace-tak-gateway to run, searched like the broker (find_program).
std::filesystem::path find_tak_gateway(const std::string& explicit_path);

/// The password of the .p12 files the demo writes for TAK clients.
inline constexpr std::string_view kTakP12Password = "atakatak";

struct TakSiteAddress {
  std::string listen;  // the address the gateway listens on
  std::uint16_t tls_port = 0;
  std::uint16_t tcp_port = 0;
};

class TakSite {
 public:
  /// Makes the site's certificates if they are not there yet, writes the gateway's
  /// configuration and starts it; waits (up to 20 s) until its ready file says it has its
  /// bus session and its listeners. Throws std::runtime_error with what failed (an
  /// openssl step with its output, or the end of the gateway's log).
  TakSite(const std::filesystem::path& program, const SystemSpec& system, const StateDir& state,
          const BusAccess& bus, TakSiteAddress address);

  const SystemSpec& spec() const noexcept { return spec_; }
  int pid() const noexcept { return child_->pid(); }
  const TakSiteAddress& address() const noexcept { return address_; }
  const std::filesystem::path& log_file() const noexcept { return child_->spec().log_file; }
  /// The client certificate's CN, the unit it maps to, and the .p12 files.
  const std::string& client_cn() const noexcept { return client_cn_; }
  const std::string& unit() const noexcept { return unit_; }
  std::filesystem::path client_p12() const;
  std::filesystem::path truststore_p12() const;

  /// If the gateway has exited on its own, a sentence saying how; empty while it runs.
  std::string exited() { return child_->exited(); }
  bool exited_cleanly() { return child_->exited_cleanly(); }
  /// One line from the gateway's counters file: clients accepted by transport, events in
  /// and out, refusals. Read while it runs or after stop().
  std::string counters() const;
  /// SIGTERM, then SIGKILL after a grace period; how it ended. Idempotent.
  std::string stop() { return child_->stop(); }

 private:
  const SystemSpec& spec_;
  TakSiteAddress address_;
  std::filesystem::path dir_;      // <state>/tak/<system>
  std::filesystem::path metrics_;  // <state>/gateways/<system>.metrics.json
  std::string client_cn_;
  std::string unit_;
  std::unique_ptr<ChildProcess> child_;
};

/// The address of `nation_index`'s site: `listen`, `port_base` + 10 x index + 9 (TLS)
/// and + 7 (TCP).
TakSiteAddress tak_site_address(const std::string& listen, std::uint16_t port_base,
                                std::size_t nation_index);

/// What an operator does to point ATAK or WinTAK at the sites: a few lines per site.
std::string tak_instructions(const std::vector<std::unique_ptr<TakSite>>& sites);

}  // namespace demo
