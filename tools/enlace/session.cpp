#include "session.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <stdexcept>

namespace enlace::cli {

void print_error(const ErrorInfo& error) {
  fmt::print(stderr, "error: {} ({}): {}\n", to_string(error.code),
             static_cast<unsigned>(error.code), error.reason);
}

Result<ClientOptions> client_options(const Args& args, std::string_view client_name) {
  ClientOptions options;
  options.endpoint = args.required("broker");
  if (options.endpoint.find("://") == std::string::npos)
    options.endpoint = "tcp://" + options.endpoint;
  const std::string broker_key_file = args.required("broker-key");
  const std::string keys_base = args.required("keys");

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

std::unique_ptr<Client> make_client(ClientOptions options) {
  const std::string endpoint = options.endpoint;
  try {
    return std::make_unique<Client>(std::move(options));
  } catch (const std::invalid_argument& e) {
    throw UsageError("cannot use broker '" + endpoint + "': " + e.what());
  }
}

Result<std::unique_ptr<Client>> connect(ClientOptions options, std::chrono::milliseconds timeout) {
  auto client = make_client(std::move(options));
  auto session = client->wait_connected(timeout);
  if (!session) return session.error();
  return client;
}

}  // namespace enlace::cli
