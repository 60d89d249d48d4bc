#include "gateway.hpp"

#include <fmt/format.h>

#include "common/publisher.hpp"
#include "cot_xml.hpp"
#include "log.hpp"
#include "mapping.hpp"
#include "negotiation.hpp"
#include "tak_proto.hpp"
#include "tls_context.hpp"

namespace enlace::tak {
namespace {

Result<asio::ip::tcp::acceptor> listen_on(asio::io_context& io, const Endpoint& at) {
  asio::error_code error;
  const auto address = asio::ip::make_address(at.host, error);
  if (error)
    return ErrorInfo{Errc::invalid_argument,
                     fmt::format("listen address {}: {}", at.host, error.message())};
  const asio::ip::tcp::endpoint endpoint(address, at.port);
  asio::ip::tcp::acceptor acceptor(io);
  acceptor.open(endpoint.protocol(), error);
  if (!error) acceptor.set_option(asio::ip::tcp::acceptor::reuse_address(true), error);
  if (!error) acceptor.bind(endpoint, error);
  if (!error) acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error)
    return ErrorInfo{Errc::invalid_argument,
                     fmt::format("listen {}:{}: {}", at.host, at.port, error.message())};
  return acceptor;
}

std::string remote_of(const asio::ip::tcp::socket& socket) {
  asio::error_code error;
  const auto endpoint = socket.remote_endpoint(error);
  return error ? std::string("?")
               : fmt::format("{}:{}", endpoint.address().to_string(), endpoint.port());
}

}  // namespace

Gateway::Gateway(Config config)
    : config_(std::move(config)),
      counters_(),
      registry_(counters_, config_.picture_max_items),
      environment_{counters_, registry_, config_, {}},
      timer_(io_),
      signals_(io_, SIGINT, SIGTERM),
      backlog_limit_(std::max<std::size_t>(64u << 20, config_.client_queue_bytes)) {
  environment_.on_event = [this](const CotEvent& event, const ClientInfo& info,
                                 std::uint64_t sink_id) { on_client_event(event, info, sink_id); };
}

Gateway::~Gateway() {
  // The SDK's thread posts to io_: stop it before io_ goes.
  if (client_) client_->close();
}

Result<std::unique_ptr<Gateway>> Gateway::create(Config config) {
  std::unique_ptr<Gateway> gateway(new Gateway(std::move(config)));
  const Config& c = gateway->config_;
  if (c.tcp) {
    auto acceptor = listen_on(gateway->io_, *c.tcp);
    if (!acceptor) return acceptor.error();
    gateway->tcp_acceptor_.emplace(std::move(*acceptor));
  }
  if (c.tls) {
    auto context = make_tls_context(*c.tls);
    if (!context) return context.error();
    gateway->tls_context_ = *context;
    auto acceptor = listen_on(gateway->io_, c.tls->listen);
    if (!acceptor) return acceptor.error();
    gateway->tls_acceptor_.emplace(std::move(*acceptor));
  }
  if (c.udp) {
    auto udp = UdpEndpoint::open(gateway->io_, *c.udp, gateway->environment_);
    if (!udp) return udp.error();
    gateway->udp_ = *udp;
  }
  return gateway;
}

std::uint16_t Gateway::tcp_port() const {
  return tcp_acceptor_ ? tcp_acceptor_->local_endpoint().port() : 0;
}
std::uint16_t Gateway::tls_port() const {
  return tls_acceptor_ ? tls_acceptor_->local_endpoint().port() : 0;
}
std::uint16_t Gateway::udp_port() const {
  return udp_ ? udp_->local_port() : 0;
}

Status Gateway::connect(std::chrono::milliseconds timeout) {
  auto keys = load_keypair(config_.keys);
  if (!keys) return keys.error();
  ClientOptions options;
  options.endpoint = config_.broker_endpoint;
  options.broker_public_key = config_.broker_public_key;
  options.keys = *keys;
  options.client_name = "enlace-tak-gateway";
  options.on_error = [this](const ErrorInfo& error) {
    counters_.refused(Reason::publish_refused);
    if (counters_.should_log(Reason::publish_refused)) {
      log::warn("broker refused a message (publish_refused): {} {}",
                std::string(to_string(error.code)), error.reason);
    }
  };
  options.on_state = [](ConnectionState state, const ErrorInfo& error) {
    log::info("broker: {}{}{}", std::string(to_string(state)), error.code == Errc::ok ? "" : ": ",
              error.reason);
  };
  client_ = std::make_unique<Client>(std::move(options));
  auto session = client_->wait_connected(timeout);
  if (!session) return session.error();
  session_ = *session;
  log::info("broker: connected as {} {} (role {})", session_.nation, session_.system,
            session_.role);
  // The broker's COP first, where it keeps one.
  return gateway::subscribe_with_snapshot(
      *client_, config_.subscribe, [this](const Delivery& delivery) { on_delivery(delivery); });
}

// SDK I/O thread.
void Gateway::on_delivery(const Delivery& delivery) {
  OutboundContext context{delivery.origin_nation(), delivery.origin_system(), now_ms(),
                          config_.default_stale_seconds * 1000};
  auto event = to_cot(delivery.envelope(), context);
  if (!event) {
    counters_.unmapped();
    return;
  }
  auto out = std::make_shared<OutEvent>();
  out->uid = event->uid;
  out->kind = kind_of_cot_type(event->type);
  out->stale_ms = event->stale_ms;
  out->xml = encode_xml(*event);
  const std::string proto = encode_proto(*event);
  out->stream_frame = stream_frame(proto);
  if (udp_) out->mesh_frame = mesh_frame(proto);
  out->from_self =
      delivery.origin_system() == session_.system && delivery.origin_nation() == session_.nation;
  const std::size_t bytes = out->xml.size() + out->stream_frame.size() + out->mesh_frame.size();
  if (backlog_bytes_.fetch_add(bytes) + bytes > backlog_limit_) {
    backlog_bytes_.fetch_sub(bytes);
    counters_.backlog_dropped();
    return;
  }
  asio::post(io_, [this, out = std::shared_ptr<const OutEvent>(std::move(out)), bytes] {
    backlog_bytes_.fetch_sub(bytes);
    registry_.broadcast(out);
  });
}

// Asio thread.
void Gateway::on_client_event(const CotEvent& event, const ClientInfo& info,
                              std::uint64_t sink_id) {
  const std::int64_t now = now_ms();
  InboundContext context;
  context.nation = session_.nation;
  context.source = config_.source;
  context.now_ms = now;
  if (info.unit) {
    context.callsign = info.unit->callsign;
    // The certificate's unit is the client's own SA: a friendly atom with a <takv> (the
    // client software's own position report), not markers it places for others.
    if (event.takv) context.unit = info.unit->unit;
  }
  encoder_.clear();
  auto message = to_bus(event, context, encoder_.fbb());
  if (!message) {
    counters_.refused(message.refusal().reason);
    if (counters_.should_log(message.refusal().reason)) {
      log::warn("{} {}: event {} refused ({}): {}", std::string(to_string(info.transport)),
                info.remote, event.type, std::string(to_string(message.refusal().reason)),
                message.refusal().detail);
    }
    return;
  }
  PublishOptions options;
  options.label.releasable_to = config_.releasable_to;
  options.label.classification = config_.classification;
  options.label.policy_identifier = config_.policy_identifier;
  options.time_to_live = std::chrono::milliseconds(message->stale_ms - now);
  encoder_.finish_any(message->topic, {session_.nation, session_.system}, message->type,
                      message->payload, options);
  auto published = client_->publish_envelope(encoder_.bytes(), false);
  if (!published) {
    counters_.refused(Reason::publish_refused);
    if (counters_.should_log(Reason::publish_refused)) {
      log::warn("{} {}: {} not published (publish_refused): {}",
                std::string(to_string(info.transport)), info.remote, message->topic,
                published.error().reason);
    }
    return;
  }
  counters_.event_in(kind_of_cot_type(event.type));
  counters_.published();
  registry_.record_source(event.uid, sink_id);
}

// Asio thread: a connection over a bound is closed as soon as it is accepted (the socket
// goes out of scope), counted and logged at most once a second per reason.
void Gateway::refuse(Transport transport, asio::ip::tcp::socket& socket, Reason reason,
                     std::size_t bound) {
  counters_.refused(reason);
  if (counters_.should_log(reason)) {
    log::warn("{} {}: refused ({}): {} already", to_string(transport), remote_of(socket),
              to_string(reason), bound);
  }
}

void Gateway::accept_tcp() {
  tcp_acceptor_->async_accept([this](const asio::error_code& error, asio::ip::tcp::socket socket) {
    if (error == asio::error::operation_aborted) return;
    if (!error) {
      if (registry_.size() >= config_.max_clients) {
        refuse(Transport::tcp, socket, Reason::too_many_clients, config_.max_clients);
      } else {
        socket.set_option(asio::ip::tcp::no_delay(true));
        ClientInfo info{Transport::tcp, remote_of(socket), {}, nullptr};
        std::make_shared<TcpSession>(std::move(socket), std::move(info), environment_)->start();
      }
    }
    accept_tcp();
  });
}

void Gateway::accept_tls() {
  tls_acceptor_->async_accept([this](const asio::error_code& error, asio::ip::tcp::socket socket) {
    if (error == asio::error::operation_aborted) return;
    if (!error) {
      if (registry_.size() >= config_.max_clients) {
        refuse(Transport::tls, socket, Reason::too_many_clients, config_.max_clients);
      } else if (counters_.handshaking() >=
                 static_cast<std::int64_t>(config_.tls->max_handshakes)) {
        refuse(Transport::tls, socket, Reason::too_many_handshakes, config_.tls->max_handshakes);
      } else {
        socket.set_option(asio::ip::tcp::no_delay(true));
        ClientInfo info{Transport::tls, remote_of(socket), {}, nullptr};
        auto session = std::make_shared<TlsSession>(
            asio::ssl::stream<asio::ip::tcp::socket>(std::move(socket), *tls_context_),
            std::move(info), environment_);
        session->start();
      }
    }
    accept_tls();
  });
}

void Gateway::tick() {
  registry_.expire(now_ms());
  if (config_.metrics_file) (void)counters_.write_file(*config_.metrics_file);
  timer_.expires_after(std::chrono::seconds(1));
  timer_.async_wait([this](const asio::error_code& error) {
    if (!error) tick();
  });
}

void Gateway::run() {
  if (tcp_acceptor_) {
    log::info("tcp: listening on {}:{} (CoT XML, TAK protocol 1 on request)", config_.tcp->host,
              tcp_port());
    accept_tcp();
  }
  if (tls_acceptor_) {
    log::info("tls: listening on {}:{} (client certificates required)", config_.tls->listen.host,
              tls_port());
    accept_tls();
  }
  if (udp_) {
    log::info("udp: SA on {}:{}", config_.udp->listen.host, udp_port());
    udp_->start();
  }
  signals_.async_wait([this](const asio::error_code& error, int) {
    if (!error) stop();
  });
  tick();
  io_.run();
}

void Gateway::stop() {
  io_.stop();
}

}  // namespace enlace::tak
