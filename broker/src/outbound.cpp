// The frames the broker sends. Frames for a connection are queued on it during a loop pass
// and leave together at the end of the pass (flush.cpp), so a peer sees acks, errors and
// deliveries in the order the broker produced them, and several of them travel as one
// batch frame: one CURVE encryption instead of many.
//
// Which Error frames are rate limited (docs/protocol.md 8.2): only unsolicited refusals,
// from the connection's error budget. Answers to requests and notices always go; what
// bounds their cost is the connection's control-frame bound (flush.cpp).
#include <cstring>

#include "broker.hpp"
#include "enlace/protocol/clock.hpp"
#include "enlace/protocol/control.hpp"
#include "log.hpp"

namespace enlace::broker {

void Broker::send_notice(const std::string& routing_id, Errc code, std::string_view reason) {
  ++metrics_.errors_sent;
  protocol::build_error(control_fbb_, code, reason, 0, nullptr);
  send_control(routing_id, control_fbb_);
}

void Broker::send_ack(Session& session, std::uint32_t request_id, const wire::Uuid* message_id,
                      std::uint64_t sequence, std::uint32_t count) {
  protocol::build_ack(control_fbb_, request_id, message_id, sequence, count);
  enqueue(*session.connection, pass_buffer_.append(wire::Command::control, control_fbb_));
}

void Broker::send_control(const std::string& routing_id, flatbuffers::FlatBufferBuilder& fbb) {
  if (Connection* connection = find_connection(routing_id)) {
    // After everything already produced for this peer, so it keeps its place.
    enqueue(*connection, pass_buffer_.append(wire::Command::control, fbb));
    return;
  }
  zmq::message_t frame(wire::kHeaderSize + fbb.GetSize());
  wire::write_frame(static_cast<std::uint8_t*>(frame.data()), wire::Command::control, 0,
                    {fbb.GetBufferPointer(), fbb.GetSize()});
  // A peer without a connection here has no queue: what its pipe cannot take is lost.
  if (!send_to(routing_id, frame)) ++metrics_.control_dropped;
}

protocol::RecordRef Broker::append_delivery(const DeliveryTemplate& templ, std::uint64_t sequence,
                                            std::int64_t receive_ns, wire::Bytes envelope) {
  protocol::RecordRef record;
  templ.write(pass_buffer_.reserve(wire::Command::deliver, 0, templ.size(envelope.size()), record),
              sequence, receive_ns, envelope);
  return record;
}

void Broker::enqueue(Connection& connection, protocol::RecordRef record) {
  connection.pending.push_back(record);
  if (!connection.queued_for_flush) {
    connection.queued_for_flush = true;
    flush_list_.push_back(&connection);
  }
}

void Broker::conflate(Connection& connection, std::string_view topic, protocol::RecordRef ref) {
  const std::uint8_t* record = pass_buffer_.record(ref);
  const std::ptrdiff_t growth = connection.conflated.growth(topic, ref.size);
  const std::size_t held = connection.queue.delivery_bytes() + connection.conflated.bytes();
  if (growth > 0 &&
      held + static_cast<std::size_t>(growth) > policy_->limits().max_session_queue_bytes) {
    if (connection.session) ++connection.session->deliveries_routed;
    count_drop(connection, record);
    return;
  }
  if (connection.conflated.put(topic, record, ref.size)) {
    ++metrics_.deliveries_conflated;
    if (connection.session) ++connection.session->conflated;
  }
}

bool Broker::send_to(const std::string& routing_id, zmq::message_t& frame) {
  try {
    if (!router_.send(zmq::buffer(routing_id),
                      zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
      return false;  // peer's queue full
    }
    router_.send(frame, zmq::send_flags::dontwait);
    ++metrics_.frames_out;
    return true;
  } catch (const zmq::error_t& e) {
    if (e.num() == EHOSTUNREACH) return false;  // peer gone (ROUTER_MANDATORY)
    throw;
  }
}

}  // namespace enlace::broker
