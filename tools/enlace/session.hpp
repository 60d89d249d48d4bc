// What pub and sub share: the options that reach a broker, the connection itself, and the
// one format every command uses for an error.
#pragma once

#include <chrono>
#include <memory>
#include <string_view>

#include "args.hpp"
#include "enlace/client.hpp"
#include "enlace/error.hpp"

namespace enlace::cli {

/// The options that identify the broker and this system; commands list them in their own
/// option table.
inline constexpr OptionSpec kBrokerOption{"broker", true};
inline constexpr OptionSpec kBrokerKeyOption{"broker-key", true};
inline constexpr OptionSpec kKeysOption{"keys", true};
inline constexpr OptionSpec kConnectTimeoutOption{"connect-timeout", true};

/// The usage text of those options, for the commands' help.
inline constexpr std::string_view kBrokerOptionsUsage =
    R"(  --broker ENDPOINT        the broker, e.g. tcp://10.0.0.5:7450 (tcp:// may be left out)
  --broker-key FILE        the broker's public key file (its BASE.pub)
  --keys BASE              this system's key pair: BASE.pub and BASE.key (enlace keygen)
  --connect-timeout S      seconds to wait for the session (default 10)
)";

/// Prints "error: <name> (<number>): <reason>" on stderr.
void print_error(const ErrorInfo& error);

/// Client options from --broker, --broker-key and --keys. Throws UsageError when one is
/// missing or the endpoint is malformed; a key file that cannot be read is a key_error.
Result<ClientOptions> client_options(const Args& args, std::string_view client_name);

/// --connect-timeout, or its default.
std::chrono::milliseconds connect_timeout(const Args& args);

/// A client for `options`, connecting in the background. Throws UsageError for a
/// malformed endpoint or key.
std::unique_ptr<Client> make_client(ClientOptions options);

/// A client for `options`, connected (Welcome received) within `timeout`. Errors are the
/// SDK's: authentication_failed (unknown or revoked key), timeout (broker unreachable).
Result<std::unique_ptr<Client>> connect(ClientOptions options, std::chrono::milliseconds timeout);

}  // namespace enlace::cli
