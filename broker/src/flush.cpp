// Handing frames to ZeroMQ at the end of each loop pass, and what waits when ZeroMQ has no
// room: each connection's bounded queue (outbound_queue.hpp), retried on later passes.
//
// Bounded memory per connection, worst case: max_session_queue_bytes of deliveries +
// max_session_control_bytes of control frames in the queue, plus ZeroMQ's pipe of
// kPipeFrames frames (broker.cpp) of at most max(kMaxBatchBytes, one delivery) each, plus
// the frame or two its I/O thread is encrypting and writing (docs/protocol.md, "Slow
// subscribers", gives the figure). The routing thread never blocks on a slow peer: a send
// that finds the pipe full leaves the frame where it is and moves on. Runs on the routing
// thread; after warm-up it allocates nothing but ZeroMQ's message for each frame sent.
#include <fmt/format.h>

#include "broker.hpp"
#include "enlace/protocol/clock.hpp"
#include "enlace/protocol/control.hpp"
#include "log.hpp"

namespace enlace::broker {
namespace {

// A slow subscriber hears how many deliveries it lost at most this often.
constexpr std::int64_t kDropNoticeIntervalNs = 1'000'000'000;

}  // namespace

OutboundQueue::Bounds Broker::outbound_bounds() const noexcept {
  return {policy_->limits().max_session_queue_bytes, policy_->limits().max_session_control_bytes};
}

Broker::SendResult Broker::start_send(const std::string& routing_id) {
  try {
    // With ROUTER_MANDATORY the routing id part is where ZeroMQ checks the peer's pipe.
    if (!router_.send(zmq::buffer(routing_id),
                      zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
      return SendResult::blocked;
    }
  } catch (const zmq::error_t& e) {
    if (e.num() == EHOSTUNREACH) return SendResult::gone;
    throw;
  }
  return SendResult::sent;
}

void Broker::finish_send(zmq::message_t& frame) {
  // The pipe had room for this message: the frame itself is not refused now.
  (void)router_.send(frame, zmq::send_flags::dontwait);
  ++metrics_.frames_out;
}

void Broker::flush_connections() {
  const std::int64_t now = protocol::monotonic_ns();
  ++flush_pass_;
  for (Connection* connection : flush_list_) {
    connection->queued_for_flush = false;
    flush_connection(*connection, now);
  }
  flush_list_.clear();
  // Backlogs of connections that produced nothing in this pass: their pipe may have room
  // again. By index: a flush may append to the list.
  for (std::size_t i = 0; i < backlogged_.size(); ++i) {
    Connection* connection = backlogged_[i];
    if (connection->flushed_pass != flush_pass_) flush_connection(*connection, now);
  }
  // Before the pass buffer is cleared: releasing reads what is pending.
  for (Connection* connection : gone_) release_connection(*connection, "peer disconnected");
  gone_.clear();
  std::erase_if(backlogged_, [](Connection* connection) { return !connection->backlogged; });
  pass_buffer_.clear();
}

void Broker::flush_connection(Connection& connection, std::int64_t now) {
  connection.flushed_pass = flush_pass_;
  SendResult result = SendResult::sent;
  // 1. What earlier passes left waiting goes first: it was produced first.
  // Its frames are built already: sending one moves it into ZeroMQ, no copy.
  while (!connection.queue.empty()) {
    result = start_send(connection.routing_id);
    if (result != SendResult::sent) break;
    finish_send(connection.queue.front());
    const auto sent = connection.queue.pop();
    if (sent.deliveries + sent.controls > 1) ++metrics_.batches_out;
    if (connection.session) connection.session->delivered += sent.deliveries + sent.controls;
  }
  // 2. This pass's frames, straight from the pass buffer, while the pipe takes them.
  std::size_t first_unsent = 0;
  if (result == SendResult::sent) {
    protocol::FrameSplitter splitter(pass_buffer_, connection.pending, kMaxBatchBytes);
    while (!splitter.done()) {
      const auto next = splitter.peek();
      // The frame is built only once ZeroMQ has room for it: a full pipe costs no copy.
      result = start_send(connection.routing_id);
      if (result != SendResult::sent) break;
      zmq::message_t frame(next.size);
      splitter.write(next, static_cast<std::uint8_t*>(frame.data()));
      finish_send(frame);
      if (next.count > 1) ++metrics_.batches_out;
      if (connection.session) connection.session->delivered += next.count;
      splitter.consume(next);
    }
    first_unsent = splitter.position();
  }
  if (result == SendResult::gone) {
    // Released after this flush (its pending frames are still read then, and counted).
    connection.pending.erase(
        connection.pending.begin(),
        connection.pending.begin() + static_cast<std::ptrdiff_t>(first_unsent));
    connection.backlogged = false;
    gone_.push_back(&connection);
    return;
  }
  // 3. The rest waits in the queue, within its bounds.
  const std::size_t overflow_at = keep_unsent(connection, first_unsent);
  if (overflow_at < connection.pending.size()) {
    for (std::size_t i = overflow_at; i < connection.pending.size(); ++i) {
      if (OutboundQueue::is_control(pass_buffer_.record(connection.pending[i])))
        ++metrics_.control_dropped;
      else
        ++metrics_.dropped_gone;
    }
    connection.pending.clear();
    end_unread_session(connection);
  }
  connection.pending.clear();
  if (connection.unreported_drops > 0 && now >= connection.next_drop_notice_ns)
    notify_drops(connection, now);
  note_backlog(connection);
}

std::size_t Broker::keep_unsent(Connection& connection, std::size_t first_unsent) {
  const OutboundQueue::Bounds bounds = outbound_bounds();
  const std::span<const protocol::RecordRef> pending(connection.pending);
  // Drop-newest: a delivery that does not fit is dropped, what is queued keeps its place.
  const auto dropped = [&](const std::uint8_t* record) { count_drop(connection, record); };
  for (std::size_t from = first_unsent; from < pending.size();) {
    const std::size_t overflow =
        from + connection.queue.push(pass_buffer_, pending.subspan(from), bounds, dropped);
    if (overflow == pending.size()) break;
    if (connection.session) return overflow;  // the peer leaves its answers unread
    ++metrics_.control_dropped;  // no session left to end: that frame is lost, not the rest
    from = overflow + 1;
  }
  return pending.size();
}

void Broker::count_drop(Connection& connection, const std::uint8_t* record) {
  const std::size_t bytes = wire::record_frame_size(record);
  ++metrics_.dropped_slow_consumer;
  metrics_.dropped_slow_consumer_bytes += bytes;
  if (connection.session) ++connection.session->dropped;
  ++connection.unreported_drops;
  connection.unreported_drop_bytes += bytes;
}

void Broker::notify_drops(Connection& connection, std::int64_t now) {
  protocol::build_error(
      control_fbb_, Errc::deliveries_dropped,
      fmt::format("{} deliveries ({} bytes) dropped since the last notice: this session's queue "
                  "at the broker was full (max_session_queue_bytes {})",
                  connection.unreported_drops, connection.unreported_drop_bytes,
                  policy_->limits().max_session_queue_bytes),
      0, nullptr);
  if (!queue_control(connection, control_fbb_)) return;  // no room now: told on a later pass
  ++metrics_.drop_notices;
  ++metrics_.errors_sent;
  connection.unreported_drops = connection.unreported_drop_bytes = 0;
  connection.next_drop_notice_ns = now + kDropNoticeIntervalNs;
}

void Broker::end_unread_session(Connection& connection) {
  Session& session = *connection.session;
  ++metrics_.sessions_closed_unread;
  metrics_.count_refusal(Errc::queue_full);
  log::warn(
      "session {} of '{}' leaves its answers unread: {} bytes of control frames wait, "
      "max_session_control_bytes is {}",
      session.session_id, session.system_id, connection.queue.control_bytes(),
      policy_->limits().max_session_control_bytes);
  close_session(session, "answers left unread (max_session_control_bytes)");
  metrics_.control_dropped += connection.queue.clear().controls;
  // The first thing it reads, should it ever read again.
  protocol::build_error(control_fbb_, Errc::queue_full,
                        "session closed: its answers were left unread past "
                        "max_session_control_bytes; send Hello to start a new one",
                        0, nullptr);
  if (queue_control(connection, control_fbb_)) ++metrics_.errors_sent;
}

bool Broker::queue_control(Connection& connection, flatbuffers::FlatBufferBuilder& fbb) {
  notice_buffer_.clear();
  const protocol::RecordRef ref = notice_buffer_.append(wire::Command::control, fbb);
  return connection.queue.push(notice_buffer_, {&ref, 1}, outbound_bounds(),
                               [](const std::uint8_t*) {}) == 1;
}

void Broker::note_backlog(Connection& connection) {
  const bool backlogged = !connection.queue.empty();
  if (backlogged && !connection.backlogged) backlogged_.push_back(&connection);
  connection.backlogged = backlogged;
}

}  // namespace enlace::broker
