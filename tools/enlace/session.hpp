// What pub and sub share: the options that reach a broker (from the command line, the
// environment or a context), the connection itself with its fail-fast rules, and the one
// format every command uses for an error.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "args.hpp"
#include "enlace/client.hpp"
#include "enlace/error.hpp"

namespace enlace::cli {

/// The options that identify the broker and this system; commands list them in their own
/// option table.
inline constexpr OptionSpec kBrokerOption{"broker", true, 'b'};
inline constexpr OptionSpec kBrokerKeyOption{"broker-key", true};
inline constexpr OptionSpec kKeysOption{"keys", true, 'k'};
inline constexpr OptionSpec kContextOption{"context", true};
inline constexpr OptionSpec kConnectTimeoutOption{"connect-timeout", true};

/// The usage text of those options, for the commands' help.
inline constexpr std::string_view kBrokerOptionsUsage =
    R"(  -b, --broker ENDPOINT    the broker, e.g. tcp://10.0.0.5:7450 (tcp:// may be left out);
                           default $ENLACE_BROKER, else the context's
  --broker-key FILE        the broker's public key file (its BASE.pub); default
                           $ENLACE_BROKER_KEY, else the context's
  -k, --keys BASE          this system's key pair: BASE.pub and BASE.key (enlace keygen);
                           default $ENLACE_KEYS, else the context's
  --context NAME           take the three above from context NAME (default
                           $ENLACE_CONTEXT, else the one `enlace context use` chose)
  --connect-timeout S      seconds to wait for the session (default 10); a refused
                           connection or handshake ends the wait at once
)";

/// Prints "error: <name> (<number>): <reason>" on stderr.
void print_error(const ErrorInfo& error);

/// The exit status for a failure to get a session: kExitUnreachable when the broker could
/// not be reached (connect_failed, timeout), else kExitFailure.
int exit_status_for(const ErrorInfo& error);

/// Client options from --broker, --broker-key and --keys, each falling back on its
/// environment variable, then on the context. Throws UsageError when one is missing
/// everywhere or the endpoint is malformed; a key file that cannot be used is a key_error.
Result<ClientOptions> client_options(const Args& args, std::string_view client_name);

/// --connect-timeout, or its default.
std::chrono::milliseconds connect_timeout(const Args& args);

/// Follows a client's connection attempts for a command that cannot go on without a
/// session: the first error that no retry will cure quickly ends the wait. Installed as
/// the client's on_state before the client is made (attach()), so it must outlive it.
class ConnectionWatch {
 public:
  ConnectionWatch();
  ~ConnectionWatch();
  ConnectionWatch(const ConnectionWatch&) = delete;
  ConnectionWatch& operator=(const ConnectionWatch&) = delete;

  /// Chains itself before the options' own on_state.
  void attach(ClientOptions& options);
  /// An eventfd raised on every state change (I/O thread); read it to re-arm.
  int fd() const noexcept { return fd_; }
  /// The error that ends connecting, once seen: connect_failed (refused, unreachable),
  /// handshake_failed (wrong broker key), authentication_failed (key refused).
  std::optional<ErrorInfo> failure() const;
  /// The last error a state change carried, if any.
  std::optional<ErrorInfo> last_error() const;

 private:
  mutable std::mutex mutex_;
  std::optional<ErrorInfo> failure_;
  std::optional<ErrorInfo> last_;
  int fd_ = -1;
};

/// Waits until `client` (connecting to `endpoint`) has its session, `watch` saw a
/// failure, `timeout` passes, or `interrupt_fd` (if >= 0) becomes readable. The error says
/// why not (a timeout names the last error seen); nullopt means connected. `interrupted`
/// is set when interrupt_fd ended the wait.
std::optional<ErrorInfo> await_session(Client& client, const ConnectionWatch& watch,
                                       const std::string& endpoint,
                                       std::chrono::milliseconds timeout, int interrupt_fd,
                                       bool& interrupted);

/// A client for `options`, connecting in the background. Throws UsageError for a
/// malformed endpoint or key.
std::unique_ptr<Client> make_client(ClientOptions options);

}  // namespace enlace::cli
