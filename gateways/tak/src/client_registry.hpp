// The connected TAK clients and what they are sent: the fan-out of every bus event, the
// latest-per-uid picture a new client receives at once, and which client sent which uid
// (so its own events are not echoed back to it).
//
// Threads: everything here runs on the Asio thread; nothing is locked.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "counters.hpp"

namespace enlace::tak {

/// One event ready to send, in every encoding a sink may need; shared by all the
/// sinks it goes to, so it is encoded once per event, not once per client.
struct OutEvent {
  std::string uid;
  EventKind kind = EventKind::control;
  std::int64_t stale_ms = 0;
  std::string xml;           // CoT XML (protocol version 0)
  std::string stream_frame;  // 0xbf, varint, TakMessage (negotiated TAK v1 stream)
  std::string mesh_frame;    // 0xbf 0x01 0xbf TakMessage (TAK v1 over UDP)
  bool from_self = false;    // published by this gateway: a client of ours sent it
};

/// Somewhere OutEvents go: a stream client or the UDP SA output.
class Sink {
 public:
  virtual ~Sink() = default;
  /// Unique per process, never 0.
  virtual std::uint64_t sink_id() const noexcept = 0;
  /// Queues the event; drops it (and counts send_queue_full) when the sink's queue is full.
  virtual void deliver(const std::shared_ptr<const OutEvent>& event) = 0;
};

class ClientRegistry {
 public:
  ClientRegistry(Counters& counters, std::size_t picture_max_items)
      : counters_(counters), picture_max_items_(picture_max_items) {}

  /// Adds a sink and sends it the current picture (items not yet stale at `now_ms`).
  void add(std::shared_ptr<Sink> sink, std::int64_t now_ms);
  void remove(std::uint64_t sink_id);

  /// Keeps `event` as its uid's latest and queues it to every sink, except the one that
  /// sent the uid when the event is the gateway's own publication coming back.
  void broadcast(const std::shared_ptr<const OutEvent>& event);

  /// Notes that `sink_id` sent `uid` (which the gateway then published).
  void record_source(const std::string& uid, std::uint64_t sink_id);

  /// Forgets picture items stale at `now_ms`.
  void expire(std::int64_t now_ms);

  std::size_t size() const noexcept { return sinks_.size(); }
  std::size_t picture_size() const noexcept { return picture_.size(); }

 private:
  Counters& counters_;
  std::size_t picture_max_items_;
  std::unordered_map<std::uint64_t, std::shared_ptr<Sink>> sinks_;
  std::unordered_map<std::string, std::shared_ptr<const OutEvent>> picture_;
  std::unordered_map<std::string, std::uint64_t> source_of_uid_;
};

}  // namespace enlace::tak
