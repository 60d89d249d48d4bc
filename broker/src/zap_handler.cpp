#include "zap_handler.hpp"

#include <array>
#include <vector>

namespace enlace::broker {
namespace {

constexpr const char* kZapEndpoint = "inproc://zeromq.zap.01";

// ZMTP property list: name length (1 byte), name, value length (4 bytes, big-endian), value.
std::string property(std::string_view name, std::string_view value) {
  std::string out;
  out += static_cast<char>(name.size());
  out += name;
  const auto n = static_cast<std::uint32_t>(value.size());
  out += static_cast<char>(n >> 24);
  out += static_cast<char>(n >> 16);
  out += static_cast<char>(n >> 8);
  out += static_cast<char>(n);
  out += value;
  return out;
}

void reply(zmq::socket_t& socket, const std::string& request_id, const char* status,
           const char* text, const std::string& user_id, const std::string& metadata = {}) {
  socket.send(zmq::str_buffer("1.0"), zmq::send_flags::sndmore);
  socket.send(zmq::buffer(request_id), zmq::send_flags::sndmore);
  socket.send(zmq::buffer(std::string_view(status)), zmq::send_flags::sndmore);
  socket.send(zmq::buffer(std::string_view(text)), zmq::send_flags::sndmore);
  socket.send(zmq::buffer(user_id), zmq::send_flags::sndmore);
  socket.send(zmq::buffer(metadata), zmq::send_flags::none);
}

}  // namespace

ZapHandler::ZapHandler(zmq::context_t& context) : socket_(context, zmq::socket_type::rep) {
  socket_.set(zmq::sockopt::linger, 0);
  socket_.bind(kZapEndpoint);
}

std::optional<ZapDecision> ZapHandler::handle(const policy::Policy& policy, CoolDowns& cool_downs,
                                              std::int64_t now_ns) {
  std::vector<zmq::message_t> frames;
  while (true) {
    zmq::message_t frame;
    if (!socket_.recv(frame, zmq::recv_flags::dontwait)) return std::nullopt;
    const bool more = frame.more();
    frames.push_back(std::move(frame));
    if (!more) break;
  }
  // version, request id, domain, address, routing id, mechanism, credentials...
  if (frames.size() < 6 || frames[0].to_string_view() != "1.0") {
    const std::string id = frames.size() > 1 ? frames[1].to_string() : std::string();
    reply(socket_, id, "500", "malformed ZAP request", "");
    return std::nullopt;
  }
  const std::string request_id = frames[1].to_string();
  ZapDecision decision;
  decision.address = frames[3].to_string();
  if (frames[5].to_string_view() != "CURVE" || frames.size() != 7 || frames[6].size() != 32) {
    reply(socket_, request_id, "400", "CURVE security required", "");
    return decision;
  }
  std::array<char, 41> z85{};
  zmq_z85_encode(z85.data(), static_cast<const std::uint8_t*>(frames[6].data()), 32);
  decision.public_key = z85.data();
  const policy::System* system = policy.find_system_by_key(decision.public_key);
  if (system == nullptr) {
    reply(socket_, request_id, "400", "unknown or revoked key", "");
    return decision;
  }
  decision.system_id = system->id;
  if (const CoolDowns::Entry* cooling = cool_downs.find(system->id, now_ns)) {
    decision.cooling_seconds = (cooling->until_ns - now_ns) / 1'000'000'000 + 1;
    reply(socket_, request_id, "400", "cut off for flooding", "");
    return decision;
  }
  decision.accepted = true;
  reply(socket_, request_id, "200", "OK", system->id,
        property(kZapKeyProperty, decision.public_key));
  return decision;
}

}  // namespace enlace::broker
