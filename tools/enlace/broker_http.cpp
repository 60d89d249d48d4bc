// A blocking HTTP/1.1 GET over standalone Asio, enough for the broker's own endpoint: one
// request per connection (Connection: close), the response read until the broker closes.
#include "broker_http.hpp"

#include <fmt/format.h>

#include <asio.hpp>
#include <chrono>
#include <cstdlib>
#include <stdexcept>

namespace enlace::cli {

std::string broker_http_address(const Args& args) {
  if (auto value = args.value("http")) return *value;
  if (const char* env = std::getenv("ENLACE_BROKER_HTTP"); env != nullptr && *env != '\0')
    return env;
  return "127.0.0.1:7451";
}

HttpReply http_fetch(const std::string& address, const std::string& path) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos || colon + 1 == address.size())
    throw UsageError(fmt::format("--http '{}': expected HOST:PORT", address));
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  const std::string port = address.substr(colon + 1);

  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  asio::steady_timer deadline(io, std::chrono::seconds(5));
  asio::error_code failure;
  bool timed_out = false;
  std::string received;
  std::array<char, 16384> buffer;
  const std::string request = fmt::format(
      "GET {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nUser-Agent: enlace-cli\r\n\r\n", path,
      address);

  asio::ip::tcp::resolver resolver(io);
  const auto endpoints = resolver.resolve(host, port, failure);
  if (failure)
    throw std::runtime_error(fmt::format("cannot resolve {}: {}", address, failure.message()));
  deadline.async_wait([&](const asio::error_code& ec) {
    if (ec) return;
    timed_out = true;
    socket.close();
  });
  std::function<void()> read_more = [&] {
    socket.async_read_some(asio::buffer(buffer), [&](const asio::error_code& ec, std::size_t n) {
      received.append(buffer.data(), n);
      if (ec) {
        if (ec != asio::error::eof) failure = ec;
        deadline.cancel();
        return;
      }
      read_more();
    });
  };
  asio::async_connect(socket, endpoints, [&](const asio::error_code& ec, const auto&) {
    if (ec) {
      failure = ec;
      deadline.cancel();
      return;
    }
    asio::async_write(socket, asio::buffer(request), [&](const asio::error_code& wec, std::size_t) {
      if (wec) {
        failure = wec;
        deadline.cancel();
        return;
      }
      read_more();
    });
  });
  io.run();
  if (timed_out)
    throw std::runtime_error(
        fmt::format("the broker's HTTP endpoint at {} did not answer within 5 s", address));
  if (failure)
    throw std::runtime_error(fmt::format(
        "cannot reach the broker's HTTP endpoint at {}: {} (is the broker running, and is its "
        "--http address this one? set it with --http or ENLACE_BROKER_HTTP)",
        address, failure.message()));

  HttpReply reply;
  const auto head_end = received.find("\r\n\r\n");
  if (received.rfind("HTTP/1.", 0) != 0 || head_end == std::string::npos)
    throw std::runtime_error(fmt::format("{} answered something that is not HTTP", address));
  reply.status = std::atoi(received.c_str() + received.find(' ') + 1);
  const std::string head = received.substr(0, head_end);
  for (std::size_t at = head.find("\r\n"); at != std::string::npos;
       at = head.find("\r\n", at + 2)) {
    const std::size_t end = std::min(head.find("\r\n", at + 2), head.size());
    const std::string line = head.substr(at + 2, end - at - 2);
    const auto sep = line.find(':');
    if (sep == std::string::npos) continue;
    std::string name = line.substr(0, sep);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name == "content-type")
      reply.content_type = line.substr(line.find_first_not_of(' ', sep + 1));
  }
  reply.body = received.substr(head_end + 4);
  return reply;
}

}  // namespace enlace::cli
