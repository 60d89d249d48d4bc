// A connection's outbound queue: the two byte bounds, drop-newest for deliveries, control
// frames never dropped for them, order, merging of small frames, discarding at session end.
#include <catch2/catch.hpp>

#include <vector>

#include "outbound_queue.hpp"

using namespace enlace;
using enlace::broker::kMaxBatchBytes;
using enlace::broker::OutboundQueue;

namespace {

// A record whose frame is a header and `body_bytes` bytes, the first of them `tag`; its
// record takes body_bytes + 16 bytes when body_bytes is a multiple of 8.
protocol::RecordRef add(protocol::RecordBuffer& buffer, wire::Command command, std::uint8_t tag,
                        std::size_t body_bytes = 184) {
  std::vector<std::uint8_t> body(body_bytes, 0);
  body[0] = tag;
  return buffer.append(command, 0, body);
}

struct Seen {
  wire::Command command;
  std::uint8_t tag;
  bool operator==(const Seen&) const = default;
};

// What a frame of the queue holds, record by record.
std::vector<Seen> unpack(const zmq::message_t& message) {
  const wire::Bytes bytes{static_cast<const std::uint8_t*>(message.data()), message.size()};
  wire::FrameView frame;
  REQUIRE(wire::parse_frame(bytes, frame) == Errc::ok);
  if (frame.command != wire::Command::batch) return {{frame.command, frame.body[0]}};
  std::vector<Seen> out;
  wire::BatchReader reader(frame.body);
  wire::FrameView inner;
  while (!reader.done()) {
    REQUIRE(reader.next(inner) == Errc::ok);
    out.push_back({inner.command, inner.body[0]});
  }
  return out;
}

// Everything queued, in order, sending (popping) it all.
std::vector<Seen> drain(OutboundQueue& queue) {
  std::vector<Seen> out;
  while (!queue.empty()) {
    const auto frame = unpack(queue.front());
    REQUIRE(queue.front().size() <= kMaxBatchBytes);
    out.insert(out.end(), frame.begin(), frame.end());
    (void)queue.pop();
  }
  return out;
}

constexpr auto kDeliver = wire::Command::deliver;
constexpr auto kControl = wire::Command::control;
const auto kIgnoreDrops = [](const std::uint8_t*) {};

}  // namespace

TEST_CASE("deliveries past the bound are dropped, the newest, and the rest keep their order",
          "[outbound-queue]") {
  protocol::RecordBuffer buffer;
  std::vector<protocol::RecordRef> refs;
  for (std::uint8_t tag = 1; tag <= 10; ++tag) refs.push_back(add(buffer, kDeliver, tag));
  REQUIRE(refs[0].size == 200);
  OutboundQueue queue;
  std::vector<std::uint8_t> dropped;
  const auto index = queue.push(buffer, refs, {1000, 1000}, [&](const std::uint8_t* record) {
    dropped.push_back(record[wire::kRecordHeaderSize + wire::kHeaderSize]);
  });
  CHECK(index == refs.size());
  CHECK(queue.delivery_bytes() == 1000);
  CHECK(dropped == std::vector<std::uint8_t>{6, 7, 8, 9, 10});
  CHECK(
      drain(queue) ==
      std::vector<Seen>{{kDeliver, 1}, {kDeliver, 2}, {kDeliver, 3}, {kDeliver, 4}, {kDeliver, 5}});
  CHECK(queue.delivery_bytes() == 0);
}

TEST_CASE("control records are never dropped for deliveries; past their bound the push stops",
          "[outbound-queue]") {
  protocol::RecordBuffer buffer;
  const std::vector<protocol::RecordRef> refs = {
      add(buffer, kDeliver, 1), add(buffer, kControl, 2), add(buffer, kDeliver, 3),
      add(buffer, kControl, 4), add(buffer, kControl, 5), add(buffer, kDeliver, 6)};
  OutboundQueue queue;
  int drops = 0;
  // Room for one delivery and two control records.
  const auto index = queue.push(buffer, refs, {200, 400}, [&](const std::uint8_t*) { ++drops; });
  CHECK(index == 4);  // the third control record did not fit; nothing after it was queued
  CHECK(drops == 1);  // the second delivery
  CHECK(queue.control_bytes() == 400);
  CHECK(drain(queue) == std::vector<Seen>{{kDeliver, 1}, {kControl, 2}, {kControl, 4}});
}

TEST_CASE("frames pushed behind a small last frame are merged into it, up to the batch limit",
          "[outbound-queue]") {
  protocol::RecordBuffer buffer;
  OutboundQueue queue;
  const OutboundQueue::Bounds roomy{1 << 20, 1 << 20};
  for (std::uint8_t tag = 1; tag <= 3; ++tag) {
    const auto ref = add(buffer, tag == 2 ? kControl : kDeliver, tag);
    REQUIRE(queue.push(buffer, {&ref, 1}, roomy, kIgnoreDrops) == 1);
  }
  // One frame of three records, not three frames.
  CHECK(unpack(queue.front()) == std::vector<Seen>{{kDeliver, 1}, {kControl, 2}, {kDeliver, 3}});
  // Large records: each frame stays within kMaxBatchBytes, in order.
  std::vector<protocol::RecordRef> large;
  for (std::uint8_t tag = 10; tag < 30; ++tag) large.push_back(add(buffer, kDeliver, tag, 16376));
  REQUIRE(queue.push(buffer, large, roomy, kIgnoreDrops) == large.size());
  const auto all = drain(queue);
  REQUIRE(all.size() == 23);
  for (std::size_t i = 3; i < all.size(); ++i) CHECK(all[i].tag == 10 + (i - 3));
}

TEST_CASE("a session's end discards its queued deliveries and keeps its control records in order",
          "[outbound-queue]") {
  protocol::RecordBuffer buffer;
  OutboundQueue queue;
  const OutboundQueue::Bounds roomy{1 << 20, 1 << 20};
  std::vector<protocol::RecordRef> refs;
  for (std::uint8_t tag = 1; tag <= 40; ++tag)
    refs.push_back(add(buffer, tag % 5 == 0 ? kControl : kDeliver, tag, 4088));
  REQUIRE(queue.push(buffer, refs, roomy, kIgnoreDrops) == refs.size());
  const auto removed = queue.discard_deliveries();
  CHECK(removed.deliveries == 32);
  CHECK(queue.delivery_bytes() == 0);
  CHECK(queue.control_bytes() == 8 * 4104);
  std::vector<Seen> expected;
  for (std::uint8_t tag = 5; tag <= 40; tag += 5) expected.push_back({kControl, tag});
  CHECK(drain(queue) == expected);
  CHECK(queue.control_bytes() == 0);
}

TEST_CASE("clearing the queue reports what it held", "[outbound-queue]") {
  protocol::RecordBuffer buffer;
  OutboundQueue queue;
  const std::vector<protocol::RecordRef> refs = {add(buffer, kDeliver, 1),
                                                 add(buffer, kControl, 2)};
  REQUIRE(queue.push(buffer, refs, {1 << 20, 1 << 20}, kIgnoreDrops) == 2);
  const auto removed = queue.clear();
  CHECK(removed.deliveries == 1);
  CHECK(removed.controls == 1);
  CHECK(queue.empty());
  CHECK(queue.delivery_bytes() + queue.control_bytes() == 0);
}
