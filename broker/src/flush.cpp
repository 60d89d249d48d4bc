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
  ++flush_pass_;
  for (Connection* connection : flush_list_) {
    connection->queued_for_flush = false;
    flush_connection(*connection);
  }
  flush_list_.clear();
  // Backlogs of connections that produced nothing in this pass: their pipe may have room
  // again. By index: a flush may append to the list.
  for (std::size_t i = 0; i < backlogged_.size(); ++i) {
    Connection* connection = backlogged_[i];
    if (connection->flushed_pass != flush_pass_) flush_connection(*connection);
  }
  // Before the pass buffer is cleared: releasing reads what is pending.
  for (Connection* connection : gone_) release_connection(*connection, "peer disconnected");
  gone_.clear();
  std::erase_if(backlogged_, [](Connection* connection) { return !connection->backlogged; });
  pass_buffer_.clear();
  // The messages published in this pass have left, or wait in a queue: one clock read.
  if (!pass_arrivals_.empty()) pass_arrivals_.flush_into(ingest_to_send_, protocol::monotonic_ns());
}

void Broker::flush_connection(Connection& connection) {
  connection.flushed_pass = flush_pass_;
  // A detached connection (resume.cpp) has no peer: everything waits in its queue.
  SendResult result = connection.detached_until_ns != 0 ? SendResult::blocked : SendResult::sent;
  // 1. What earlier passes left waiting goes first: it was produced first.
  // Its frames are built already: sending one moves it into ZeroMQ, no copy.
  while (result == SendResult::sent && !connection.queue.empty()) {
    result = start_send(connection.routing_id);
    if (result != SendResult::sent) break;
    finish_send(connection.queue.front());
    const auto sent = connection.queue.pop();
    if (sent.deliveries + sent.controls > 1) ++metrics_.batches_out;
    if (connection.session) connection.session->delivered += sent.deliveries + sent.controls;
  }
  // 2. Conflated deliveries wait beside the queue until it has drained, or until something
  // else is produced for the peer: they are older than this pass's frames, so they go (or
  // queue) first, and frames keep the order they were produced in.
  if (!connection.conflated.empty() &&
      (result == SendResult::sent || !connection.pending.empty())) {
    conflated_refs_.clear();
    connection.conflated.drain(pass_buffer_, conflated_refs_);
    if (connection.session) connection.session->deliveries_routed += conflated_refs_.size();
    connection.pending.insert(connection.pending.begin(), conflated_refs_.begin(),
                              conflated_refs_.end());
  }
  // 3. This pass's frames, straight from the pass buffer, while the pipe takes them; the
  // first frame after drops is the notice saying how many (docs/protocol.md 5.6).
  std::size_t first_unsent = 0;
  if (result == SendResult::sent) {
    if (connection.unreported_drops > 0 && !connection.pending.empty()) {
      build_drop_notice(connection);
      connection.pending.insert(connection.pending.begin(),
                                pass_buffer_.append(wire::Command::control, control_fbb_));
    }
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
  // 4. The rest waits in the queue, within its bounds. (Notices go in it too.)
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
  // Over the bound since the first drop, until the queue is back under half of it.
  if (connection.over_bound_since_ns != 0 &&
      connection.queue.delivery_bytes() + connection.conflated.bytes() <=
          policy_->limits().max_session_queue_bytes / 2) {
    connection.over_bound_since_ns = 0;
  }
  note_backlog(connection);
}

std::size_t Broker::keep_unsent(Connection& connection, std::size_t first_unsent) {
  const OutboundQueue::Bounds bounds = outbound_bounds();
  // Drop-newest: a delivery that does not fit is dropped, what is queued keeps its place.
  const auto dropped = [&](const std::uint8_t* record) { count_drop(connection, record); };
  const std::span<const protocol::RecordRef> pending(connection.pending);
  const auto is_control = [&](std::size_t i) {
    return OutboundQueue::is_control(pass_buffer_.record(pending[i]));
  };
  // The records from `i` on that fit in the queue as it is: pushed in one call, so that
  // frames are merged and cut once for the run.
  const auto fitting_run = [&](std::size_t i) {
    std::size_t deliveries = connection.queue.delivery_bytes();
    std::size_t controls = connection.queue.control_bytes();
    for (; i < pending.size(); ++i) {
      std::size_t& used = is_control(i) ? controls : deliveries;
      if (used + pending[i].size > (is_control(i) ? bounds.control_bytes : bounds.delivery_bytes))
        break;
      used += pending[i].size;
    }
    return i;
  };
  std::size_t i = first_unsent;
  while (i < pending.size()) {
    std::size_t end = fitting_run(i);
    // The notice of earlier drops goes in front of the next frame queued after them.
    if (end > i && connection.unreported_drops > 0) {
      build_drop_notice(connection);
      if (!queue_control(connection, control_fbb_)) {
        if (connection.session) return i;  // the peer leaves its answers unread
        ++metrics_.control_dropped;
      }
      end = fitting_run(i);
    }
    if (end == i) end = i + 1;  // one that does not fit: a dropped delivery, or the overflow
    const std::size_t pushed =
        connection.queue.push(pass_buffer_, pending.subspan(i, end - i), bounds, dropped);
    if (pushed == end - i) {
      i = end;
      continue;
    }
    if (connection.session) return i + pushed;  // the peer leaves its answers unread
    ++metrics_.control_dropped;  // no session left to end: that frame is lost, not the rest
    i += pushed + 1;
  }
  return pending.size();
}

void Broker::count_drop(Connection& connection, const std::uint8_t* record) {
  const std::size_t bytes = wire::record_frame_size(record);
  if (connection.over_bound_since_ns == 0)
    connection.over_bound_since_ns = protocol::monotonic_ns();
  ++metrics_.dropped_slow_consumer;
  metrics_.dropped_slow_consumer_bytes += bytes;
  if (connection.session) ++connection.session->dropped;
  ++connection.unreported_drops;
  connection.unreported_drop_bytes += bytes;
}

void Broker::build_drop_notice(Connection& connection) {
  reason_.clear();
  fmt::format_to(std::back_inserter(reason_),
                 "{} deliveries ({} bytes) dropped since the last notice: this session's queue at "
                 "the broker was full (max_session_queue_bytes {})",
                 connection.unreported_drops, connection.unreported_drop_bytes,
                 policy_->limits().max_session_queue_bytes);
  protocol::build_error(control_fbb_, Errc::deliveries_dropped, {reason_.data(), reason_.size()}, 0,
                        nullptr, connection.unreported_drops);
  ++metrics_.drop_notices;
  ++metrics_.errors_sent;
  connection.unreported_drops = connection.unreported_drop_bytes = 0;
}

void Broker::end_slow_session(Connection& connection) {
  Session& session = *connection.session;
  const std::uint64_t dropped = session.dropped;
  const std::int64_t seconds = policy_->limits().slow_consumer_seconds;
  ++metrics_.sessions_closed_slow;
  metrics_.count_refusal(Errc::slow_consumer);
  log::warn(
      "session {} of '{}' closed as a slow consumer: its deliveries overflowed "
      "max_session_queue_bytes ({}) for more than {} s; {} dropped",
      session.session_id, session.system_id, policy_->limits().max_session_queue_bytes, seconds,
      dropped);
  close_session(session, "slow consumer (slow_consumer_seconds)");  // its deliveries go
  connection.over_bound_since_ns = 0;
  reason_.clear();
  fmt::format_to(std::back_inserter(reason_),
                 "session closed: its deliveries overflowed max_session_queue_bytes for more "
                 "than {} s; {} deliveries were dropped and those still queued discarded; send "
                 "Hello to start a new session",
                 seconds, dropped);
  protocol::build_error(control_fbb_, Errc::slow_consumer, {reason_.data(), reason_.size()}, 0,
                        nullptr, dropped);
  if (queue_control(connection, control_fbb_)) ++metrics_.errors_sent;
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
  // Conflated deliveries left waiting (the pipe filled as the queue drained) keep it on the
  // backlog list, so that a later pass sends them.
  const bool backlogged = !connection.queue.empty() || !connection.conflated.empty();
  if (backlogged && !connection.backlogged) backlogged_.push_back(&connection);
  connection.backlogged = backlogged;
}

}  // namespace enlace::broker
