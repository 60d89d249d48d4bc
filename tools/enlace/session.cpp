#include "session.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <fmt/format.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "context.hpp"

namespace enlace::cli {
namespace {

// Where one connection setting comes from: the option, its variable, the context.
std::string setting(const Args& args, std::string_view option, const char* variable,
                    const std::optional<Context>& context, std::string Context::*field) {
  if (auto value = args.value(option)) return *value;
  if (const char* env = std::getenv(variable); env != nullptr && *env != '\0') return env;
  if (context && !((*context).*field).empty()) return (*context).*field;
  throw UsageError(fmt::format(
      "no {0}: give --{0}, set {1}, or set up a context (enlace context add NAME --broker "
      "ENDPOINT --broker-key FILE --keys BASE)",
      option, variable));
}

bool ends_connecting(Errc code) noexcept {
  return code == Errc::connect_failed || code == Errc::handshake_failed ||
         code == Errc::authentication_failed;
}

}  // namespace

void print_error(const ErrorInfo& error) {
  fmt::print(stderr, "error: {} ({}): {}\n", to_string(error.code),
             static_cast<unsigned>(error.code), error.reason);
}

int exit_status_for(const ErrorInfo& error) {
  return error.code == Errc::connect_failed || error.code == Errc::timeout ? kExitUnreachable
                                                                           : kExitFailure;
}

Result<ClientOptions> client_options(const Args& args, std::string_view client_name) {
  std::optional<Context> context;
  try {
    context = active_context(args.value("context"));
  } catch (const std::runtime_error& e) {
    throw UsageError(e.what());
  }
  ClientOptions options;
  options.endpoint = setting(args, "broker", "ENLACE_BROKER", context, &Context::broker);
  if (options.endpoint.find("://") == std::string::npos)
    options.endpoint = "tcp://" + options.endpoint;
  const std::string broker_key_file =
      setting(args, "broker-key", "ENLACE_BROKER_KEY", context, &Context::broker_key);
  const std::string keys_base = setting(args, "keys", "ENLACE_KEYS", context, &Context::keys);

  auto broker_key = load_public_key(broker_key_file);
  if (!broker_key) return broker_key.error();
  options.broker_public_key = std::move(*broker_key);
  auto keys = load_keypair(keys_base);
  if (!keys) return keys.error();
  options.keys = std::move(*keys);
  options.client_name = std::string("enlace-cli/") + std::string(client_name);
  return options;
}

std::chrono::milliseconds connect_timeout(const Args& args) {
  const auto text = args.value("connect-timeout");
  return text ? parse_seconds(*text, "connect-timeout") : std::chrono::milliseconds(10'000);
}

ConnectionWatch::ConnectionWatch() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (fd_ < 0) throw std::runtime_error("cannot create an eventfd");
}

ConnectionWatch::~ConnectionWatch() {
  ::close(fd_);
}

void ConnectionWatch::attach(ClientOptions& options) {
  options.on_state = [this, next = std::move(options.on_state)](ConnectionState state,
                                                                const ErrorInfo& error) {
    if (error.code != Errc::ok) {
      std::lock_guard lock(mutex_);
      last_ = error;
      if (ends_connecting(error.code) && !failure_) failure_ = error;
    }
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto n = ::write(fd_, &one, sizeof(one));
    if (next) next(state, error);
  };
}

std::optional<ErrorInfo> ConnectionWatch::failure() const {
  std::lock_guard lock(mutex_);
  return failure_;
}

std::optional<ErrorInfo> ConnectionWatch::last_error() const {
  std::lock_guard lock(mutex_);
  return last_;
}

std::optional<ErrorInfo> await_session(Client& client, const ConnectionWatch& watch,
                                       const std::string& endpoint,
                                       std::chrono::milliseconds timeout, int interrupt_fd,
                                       bool& interrupted) {
  interrupted = false;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (client.state() == ConnectionState::connected) return std::nullopt;
    if (auto failure = watch.failure()) return failure;
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    std::array<pollfd, 2> fds{{{watch.fd(), POLLIN, 0}, {interrupt_fd, POLLIN, 0}}};
    if (::poll(fds.data(), fds.size(), static_cast<int>(left.count())) > 0) {
      if (fds[1].revents & POLLIN) {
        interrupted = true;
        return ErrorInfo{Errc::closed, "interrupted"};
      }
      std::uint64_t events = 0;
      [[maybe_unused]] const auto n = ::read(watch.fd(), &events, sizeof(events));
    }
  }
  if (client.state() == ConnectionState::connected) return std::nullopt;
  std::string reason = fmt::format("no session with {} within {} ms", endpoint, timeout.count());
  if (const auto last = watch.last_error())
    reason += " (last error: " + last->reason + ")";
  else
    reason +=
        " (nothing answered and nothing refused: is the address right, and does a "
        "firewall let the connection through?)";
  return ErrorInfo{Errc::timeout, std::move(reason)};
}

std::unique_ptr<Client> make_client(ClientOptions options) {
  const std::string endpoint = options.endpoint;
  try {
    return std::make_unique<Client>(std::move(options));
  } catch (const std::invalid_argument& e) {
    throw UsageError("cannot use broker '" + endpoint + "': " + e.what());
  }
}

}  // namespace enlace::cli
