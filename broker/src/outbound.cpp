// Everything the broker sends. Frames for a session are queued on it during a loop pass
// and leave together at the end of the pass (flush_sessions), so a session sees acks,
// errors and deliveries in the order the broker produced them, and several of them
// travel as one batch frame: one CURVE encryption instead of many.
#include <cstring>

#include "broker.hpp"
#include "clock.hpp"
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
  if (!budget.take(monotonic_ns())) {
    ++metrics_.errors_suppressed;
    return;
  }
  ++metrics_.errors_sent;
  log::debug("refused {} ({}): {}", session ? session->system_id : "<no session>", to_string(code),
             reason);
  control_fbb_.Clear();
  auto& fbb = control_fbb_;
  const auto text = fbb.CreateString(reason);
  wire::ErrorBuilder error(fbb);
  error.add_code(static_cast<std::uint16_t>(code));
  error.add_reason(text);
  error.add_request_id(request_id);
  if (message_id) error.add_message_id(message_id);
  error.add_retryable(is_retryable(code));
  const auto body = error.Finish();
  fbb.Finish(wire::CreateControlFrame(fbb, wire::Control::Error, body.Union()),
             wire::ControlFrameIdentifier());
  send_control(routing_id, fbb);
}

void Broker::send_ack(Session& session, std::uint32_t request_id, const wire::Uuid* message_id,
                      std::uint64_t sequence, std::uint32_t count) {
  control_fbb_.Clear();
  auto ack = wire::CreateAck(control_fbb_, request_id, message_id, sequence, count);
  control_fbb_.Finish(wire::CreateControlFrame(control_fbb_, wire::Control::Ack, ack.Union()),
                      wire::ControlFrameIdentifier());
  send_control(session.routing_id, control_fbb_);
}

void Broker::send_control(const std::string& routing_id, flatbuffers::FlatBufferBuilder& fbb) {
  Session* session = find_session(routing_id);
  if (session != nullptr) {
    // Through the session's queue, so it keeps its place among the deliveries.
    enqueue(*session, append_record(wire::Command::control, fbb));
    return;
  }
  zmq::message_t frame(wire::kHeaderSize + fbb.GetSize());
  auto* out = static_cast<std::uint8_t*>(frame.data());
  wire::write_header(out, wire::Command::control);
  std::memcpy(out + wire::kHeaderSize, fbb.GetBufferPointer(), fbb.GetSize());
  send_to(routing_id, frame);
}

std::uint8_t* Broker::reserve_record(wire::Command command, std::size_t body_size,
                                     PendingRecord& out) {
  const std::size_t frame_size = wire::kHeaderSize + body_size;
  const std::size_t at = pass_buffer_.size();
  const std::size_t size = wire::record_size(frame_size);
  pass_buffer_.resize(at + size);
  std::uint8_t* record = pass_buffer_.data() + at;
  wire::write_record_header(record, frame_size);
  wire::write_header(record + wire::kRecordHeaderSize, command);
  out = {static_cast<std::uint32_t>(at), static_cast<std::uint32_t>(size)};
  return record + wire::kRecordHeaderSize + wire::kHeaderSize;
}

PendingRecord Broker::append_record(wire::Command command, flatbuffers::FlatBufferBuilder& fbb) {
  PendingRecord record;
  std::memcpy(reserve_record(command, fbb.GetSize(), record), fbb.GetBufferPointer(),
              fbb.GetSize());
  return record;
}

PendingRecord Broker::append_delivery(const Session& publisher, std::uint64_t sequence,
                                      std::int64_t receive_ns, wire::Bytes envelope) {
  const DeliveryTemplate& templ = publisher.delivery_template;
  PendingRecord record;
  templ.write(reserve_record(wire::Command::deliver, templ.size(envelope.size()), record), sequence,
              receive_ns, envelope);
  return record;
}

void Broker::enqueue(Session& session, PendingRecord record) {
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
  const std::uint8_t* base = pass_buffer_.data();
  for (Session* session : flush_list_) {
    session->queued_for_flush = false;
    const auto& pending = session->pending;
    std::size_t i = 0;
    bool peer_gone = false;
    while (i < pending.size() && !peer_gone) {
      // Take as many records as fit in one batch; a lone frame goes without batch framing.
      std::size_t end = i, bytes = 0;
      while (end < pending.size() &&
             (end == i || wire::kHeaderSize + bytes + pending[end].size <= kMaxBatchBytes)) {
        bytes += pending[end].size;
        ++end;
      }
      zmq::message_t frame;
      if (end - i == 1) {
        const std::uint8_t* record = base + pending[i].offset;
        frame.rebuild(record + wire::kRecordHeaderSize, wire::record_frame_size(record));
      } else {
        // The records are already laid out as a batch body: copy them after a header.
        frame.rebuild(wire::kHeaderSize + bytes);
        auto* out = static_cast<std::uint8_t*>(frame.data());
        wire::write_header(out, wire::Command::batch);
        std::size_t at = wire::kHeaderSize;
        for (std::size_t k = i; k < end; ++k) {
          std::memcpy(out + at, base + pending[k].offset, pending[k].size);
          at += pending[k].size;
        }
        ++metrics_.batches_out;
      }
      const std::size_t frames = end - i;
      try {
        if (router_.send(zmq::buffer(session->routing_id),
                         zmq::send_flags::sndmore | zmq::send_flags::dontwait) &&
            router_.send(frame, zmq::send_flags::dontwait)) {
          ++metrics_.frames_out;
          session->delivered += frames;
        } else {
          // The subscriber's queue is full: drop rather than let one slow reader grow the
          // broker's memory or stall everyone else. Counted per session and in metrics.
          metrics_.dropped_slow_consumer += frames;
          session->dropped += frames;
        }
      } catch (const zmq::error_t& e) {
        if (e.num() != EHOSTUNREACH) throw;
        metrics_.dropped_gone += pending.size() - i;
        peer_gone = true;
      }
      i = end;
    }
    session->pending.clear();
    if (peer_gone) gone.push_back(session);
  }
  flush_list_.clear();
  pass_buffer_.clear();
  for (Session* session : gone) close_session(*session, "peer disconnected");
}

}  // namespace enlace::broker
