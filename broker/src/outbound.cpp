// Everything the broker sends. Frames for a session are queued on it during a loop pass
// and leave together at the end of the pass (flush_sessions), so a session sees acks,
// errors and deliveries in the order the broker produced them, and several of them
// travel as one batch frame: one CURVE encryption instead of many.
#include <cstring>

#include "broker.hpp"
#include "enlace/protocol/clock.hpp"
#include "enlace/protocol/control.hpp"
#include "log.hpp"

namespace enlace::broker {
namespace {

// Largest batch frame the broker builds for one subscriber.
constexpr std::size_t kMaxBatchBytes = 128 * 1024;

}  // namespace

void Broker::send_error(Session* session, const std::string& routing_id, Errc code,
                        std::string reason, std::uint32_t request_id,
                        const wire::Uuid* message_id) {
  metrics_.count_refusal(code);
  send_notice(session, routing_id, code, std::move(reason), request_id, message_id);
}

void Broker::send_notice(Session* session, const std::string& routing_id, Errc code,
                         std::string reason, std::uint32_t request_id,
                         const wire::Uuid* message_id) {
  TokenBucket& budget = session ? session->error_rate : anonymous_errors_;
  if (!budget.take(protocol::monotonic_ns())) {
    ++metrics_.errors_suppressed;
    return;
  }
  ++metrics_.errors_sent;
  log::debug("refused {} ({}): {}", session ? session->system_id : "<no session>", to_string(code),
             reason);
  protocol::build_error(control_fbb_, code, reason, request_id, message_id);
  send_control(routing_id, control_fbb_);
}

void Broker::send_ack(Session& session, std::uint32_t request_id, const wire::Uuid* message_id,
                      std::uint64_t sequence, std::uint32_t count) {
  protocol::build_ack(control_fbb_, request_id, message_id, sequence, count);
  send_control(session.routing_id, control_fbb_);
}

void Broker::send_control(const std::string& routing_id, flatbuffers::FlatBufferBuilder& fbb) {
  Session* session = find_session(routing_id);
  if (session != nullptr) {
    // Through the session's queue, so it keeps its place among the deliveries.
    enqueue(*session, pass_buffer_.append(wire::Command::control, fbb));
    return;
  }
  zmq::message_t frame(wire::kHeaderSize + fbb.GetSize());
  wire::write_frame(static_cast<std::uint8_t*>(frame.data()), wire::Command::control, 0,
                    {fbb.GetBufferPointer(), fbb.GetSize()});
  send_to(routing_id, frame);
}

protocol::RecordRef Broker::append_delivery(const Session& publisher, std::uint64_t sequence,
                                            std::int64_t receive_ns, wire::Bytes envelope) {
  const DeliveryTemplate& templ = publisher.delivery_template;
  protocol::RecordRef record;
  templ.write(pass_buffer_.reserve(wire::Command::deliver, 0, templ.size(envelope.size()), record),
              sequence, receive_ns, envelope);
  return record;
}

void Broker::enqueue(Session& session, protocol::RecordRef record) {
  session.pending.push_back(record);
  if (!session.queued_for_flush) {
    session.queued_for_flush = true;
    flush_list_.push_back(&session);
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

void Broker::flush_sessions() {
  std::vector<Session*> gone;
  for (Session* session : flush_list_) {
    session->queued_for_flush = false;
    protocol::FrameSplitter splitter(pass_buffer_, session->pending, kMaxBatchBytes);
    bool peer_gone = false;
    while (!splitter.done() && !peer_gone) {
      const auto next = splitter.peek();
      zmq::message_t frame(next.size);
      splitter.write(next, static_cast<std::uint8_t*>(frame.data()));
      if (next.count > 1) ++metrics_.batches_out;
      try {
        if (router_.send(zmq::buffer(session->routing_id),
                         zmq::send_flags::sndmore | zmq::send_flags::dontwait) &&
            router_.send(frame, zmq::send_flags::dontwait)) {
          ++metrics_.frames_out;
          session->delivered += next.count;
        } else {
          // The subscriber's queue is full: drop rather than let one slow reader grow the
          // broker's memory or stall everyone else. Counted per session and in metrics.
          metrics_.dropped_slow_consumer += next.count;
          session->dropped += next.count;
        }
      } catch (const zmq::error_t& e) {
        if (e.num() != EHOSTUNREACH) throw;
        metrics_.dropped_gone += session->pending.size() - next.first;
        peer_gone = true;
      }
      splitter.consume(next);
    }
    session->pending.clear();
    if (peer_gone) gone.push_back(session);
  }
  flush_list_.clear();
  pass_buffer_.clear();
  for (Session* session : gone) close_session(*session, "peer disconnected");
}

}  // namespace enlace::broker
