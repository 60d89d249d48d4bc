#include "udp_endpoint.hpp"

#include <ifaddrs.h>
#include <netinet/in.h>

#include <algorithm>

#include <fmt/format.h>

#include "log.hpp"
#include "tak_proto.hpp"

namespace enlace::tak {
namespace {

// Every IPv4 address of this host's interfaces (loopback included).
std::vector<asio::ip::address> host_addresses() {
  std::vector<asio::ip::address> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  for (const ifaddrs* entry = list; entry != nullptr; entry = entry->ifa_next) {
    if (entry->ifa_addr == nullptr || entry->ifa_addr->sa_family != AF_INET) continue;
    const auto* in = reinterpret_cast<const sockaddr_in*>(entry->ifa_addr);
    out.emplace_back(asio::ip::address_v4(ntohl(in->sin_addr.s_addr)));
  }
  ::freeifaddrs(list);
  return out;
}

}  // namespace

UdpEndpoint::UdpEndpoint(asio::ip::udp::socket socket, UdpListener config,
                         SessionEnvironment& environment)
    : socket_(std::move(socket)),
      config_(std::move(config)),
      env_(environment),
      id_(next_sink_id()) {}

Result<std::shared_ptr<UdpEndpoint>> UdpEndpoint::open(asio::io_context& io,
                                                       const UdpListener& config,
                                                       SessionEnvironment& environment) {
  asio::error_code error;
  const auto address = asio::ip::make_address(config.listen.host, error);
  if (error)
    return ErrorInfo{Errc::invalid_argument,
                     fmt::format("udp listen address {}: {}", config.listen.host, error.message())};
  asio::ip::udp::socket socket(io);
  const asio::ip::udp::endpoint local(address, config.listen.port);
  socket.open(local.protocol(), error);
  if (!error) socket.set_option(asio::ip::udp::socket::reuse_address(true), error);
  if (!error) socket.bind(local, error);
  if (error)
    return ErrorInfo{Errc::invalid_argument, fmt::format("udp bind {}:{}: {}", config.listen.host,
                                                         config.listen.port, error.message())};
  if (config.group) {
    // Joined on the configured interface, which also sends the picture to the group; the
    // group loops it back to this host's members, the gateway's own socket among them.
    const auto group = asio::ip::make_address_v4(*config.group, error);
    asio::ip::address_v4 interface = asio::ip::address_v4::any();
    if (!error && config.interface) interface = asio::ip::make_address_v4(*config.interface, error);
    if (!error) socket.set_option(asio::ip::multicast::join_group(group, interface), error);
    if (!error && config.interface)
      socket.set_option(asio::ip::multicast::outbound_interface(interface), error);
    if (error)
      return ErrorInfo{
          Errc::invalid_argument,
          fmt::format("udp join {} on {}: {}", *config.group,
                      config.interface.value_or("the default interface"), error.message())};
  }
  std::shared_ptr<UdpEndpoint> endpoint(new UdpEndpoint(std::move(socket), config, environment));
  if (config.group) endpoint->own_addresses_ = host_addresses();
  for (const auto& destination : config.send_to) {
    const auto to = asio::ip::make_address(destination.host, error);
    if (error)
      return ErrorInfo{Errc::invalid_argument,
                       fmt::format("udp send_to {}: {}", destination.host, error.message())};
    endpoint->destinations_.emplace_back(to, destination.port);
  }
  return endpoint;
}

bool UdpEndpoint::is_own_datagram() const {
  if (own_addresses_.empty() || sender_.port() != local_port()) return false;
  return std::find(own_addresses_.begin(), own_addresses_.end(), sender_.address()) !=
         own_addresses_.end();
}

std::uint16_t UdpEndpoint::local_port() const {
  asio::error_code error;
  return socket_.local_endpoint(error).port();
}

void UdpEndpoint::start() {
  env_.counters.client_opened(Transport::udp,
                              config_.send_protobuf ? Protocol::protobuf : Protocol::xml);
  if (!destinations_.empty()) env_.registry.add(shared_from_this(), now_ms());
  receive();
}

void UdpEndpoint::receive() {
  socket_.async_receive_from(
      asio::buffer(buffer_), sender_,
      [self = shared_from_this()](const asio::error_code& error, std::size_t n) {
        if (error == asio::error::operation_aborted) return;
        if (!error && self->is_own_datagram()) {
          // The picture this gateway sent to its group, looped back: not a device's SA.
        } else if (!error) {
          auto decoded = decode_datagram(std::string_view(self->buffer_.data(), n),
                                         XmlLimits{self->env_.config.max_event_bytes});
          if (!decoded) {
            self->env_.counters.refused(decoded.refusal().reason);
            if (self->env_.counters.should_log(decoded.refusal().reason)) {
              log::warn("udp {}:{}: datagram refused ({}): {}", self->sender_.address().to_string(),
                        self->sender_.port(), to_string(decoded.refusal().reason),
                        decoded.refusal().detail);
            }
          } else {
            ClientInfo info{
                Transport::udp,
                fmt::format("{}:{}", self->sender_.address().to_string(), self->sender_.port()),
                {},
                nullptr};
            self->env_.on_event(*decoded, info, self->id_);
          }
        }
        self->receive();
      });
}

void UdpEndpoint::deliver(const std::shared_ptr<const OutEvent>& event) {
  const std::string& bytes = config_.send_protobuf ? event->mesh_frame : event->xml;
  if (bytes.size() > kMaxDatagramBytes) {
    // One event per datagram, and this one does not fit: skipped for UDP (stream clients
    // still get it), counted, never sent truncated or split.
    env_.counters.refused(Reason::oversize);
    if (env_.counters.should_log(Reason::oversize)) {
      log::warn("udp: {} not sent (oversize): {} bytes, more than a datagram ({})", event->uid,
                bytes.size(), kMaxDatagramBytes);
    }
    return;
  }
  for (const auto& destination : destinations_) {
    if (in_flight_bytes_ + bytes.size() > env_.config.client_queue_bytes) {
      env_.counters.refused(Reason::send_queue_full);
      continue;
    }
    in_flight_bytes_ += bytes.size();
    socket_.async_send_to(
        asio::buffer(bytes), destination,
        [self = shared_from_this(), event, size = bytes.size()](
            const asio::error_code&, std::size_t) { self->in_flight_bytes_ -= size; });
  }
}

}  // namespace enlace::tak
