// The record buffer and the splitter both ends of a link send with. The references below
// are the two batching loops the SDK and the broker ran before they shared the splitter,
// kept verbatim in behaviour: the frames on the wire must stay byte for byte the same.
#include <catch2/catch.hpp>

#include <cstring>
#include <random>
#include <vector>

#include "enlace/protocol/records.hpp"

using namespace enlace;
using protocol::FrameSplitter;
using protocol::RecordBuffer;
using protocol::RecordRef;
using Frame = std::vector<std::uint8_t>;

namespace {

// The SDK's loop: contiguous records, a frame takes records while header + records fit.
std::vector<Frame> sdk_reference(const std::vector<std::uint8_t>& records, std::size_t max_frame) {
  std::vector<Frame> frames;
  std::size_t offset = 0;
  while (offset < records.size()) {
    std::size_t end = offset, count = 0;
    while (end < records.size()) {
      const std::size_t record = wire::record_size(wire::record_frame_size(records.data() + end));
      if (count > 0 && (end - offset) + record + wire::kHeaderSize > max_frame) break;
      end += record;
      ++count;
    }
    if (count == 1) {
      const std::uint8_t* record = records.data() + offset;
      frames.emplace_back(record + wire::kRecordHeaderSize,
                          record + wire::kRecordHeaderSize + wire::record_frame_size(record));
    } else {
      Frame frame(wire::kHeaderSize + (end - offset));
      wire::write_header(frame.data(), wire::Command::batch);
      std::memcpy(frame.data() + wire::kHeaderSize, records.data() + offset, end - offset);
      frames.push_back(std::move(frame));
    }
    offset = end;
  }
  return frames;
}

// The broker's loop: a session's records anywhere in the pass buffer, in queue order.
std::vector<Frame> broker_reference(const RecordBuffer& buffer,
                                    const std::vector<RecordRef>& pending, std::size_t max_batch) {
  std::vector<Frame> frames;
  std::size_t i = 0;
  while (i < pending.size()) {
    std::size_t end = i, bytes = 0;
    while (end < pending.size() &&
           (end == i || wire::kHeaderSize + bytes + pending[end].size <= max_batch)) {
      bytes += pending[end].size;
      ++end;
    }
    if (end - i == 1) {
      const std::uint8_t* record = buffer.record(pending[i]);
      frames.emplace_back(record + wire::kRecordHeaderSize,
                          record + wire::kRecordHeaderSize + wire::record_frame_size(record));
    } else {
      Frame frame(wire::kHeaderSize + bytes);
      wire::write_header(frame.data(), wire::Command::batch);
      std::size_t at = wire::kHeaderSize;
      for (std::size_t k = i; k < end; ++k) {
        std::memcpy(frame.data() + at, buffer.record(pending[k]), pending[k].size);
        at += pending[k].size;
      }
      frames.push_back(std::move(frame));
    }
    i = end;
  }
  return frames;
}

std::vector<Frame> split(const RecordBuffer& buffer, const std::vector<RecordRef>& refs,
                         std::size_t max_frame) {
  std::vector<Frame> frames;
  FrameSplitter splitter(buffer, refs, max_frame);
  while (!splitter.done()) {
    const auto next = splitter.peek();
    Frame frame(next.size);
    splitter.write(next, frame.data());
    frames.push_back(std::move(frame));
    splitter.consume(next);
  }
  return frames;
}

// A body of `size` bytes whose content says where it came from.
std::vector<std::uint8_t> body(std::size_t size, std::uint8_t seed) {
  std::vector<std::uint8_t> bytes(size);
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<std::uint8_t>(seed + i);
  return bytes;
}

}  // namespace

TEST_CASE("a record holds the frame header, the body and zero padding to 8 bytes", "[records]") {
  RecordBuffer buffer;
  const auto ref = buffer.append(wire::Command::publish, wire::flag::ack_requested, body(5, 1));
  CHECK(ref.offset == 0);
  CHECK(ref.size == wire::record_size(wire::kHeaderSize + 5));
  const std::uint8_t* record = buffer.record(ref);
  CHECK(wire::record_frame_size(record) == wire::kHeaderSize + 5);
  wire::FrameView frame;
  REQUIRE(wire::parse_frame({record + wire::kRecordHeaderSize, wire::kHeaderSize + 5}, frame) ==
          Errc::ok);
  CHECK(frame.command == wire::Command::publish);
  CHECK(frame.flags == wire::flag::ack_requested);
  CHECK(frame.body[4] == 5);
  for (std::size_t i = wire::kRecordHeaderSize + wire::kHeaderSize + 5; i < ref.size; ++i)
    CHECK(record[i] == 0);
  const auto second = buffer.append(wire::Command::control, 0, body(8, 2));
  CHECK(second.offset == ref.size);
  CHECK(second.offset % wire::kAlignment == 0);
}

TEST_CASE("a lone record leaves as its own frame, several as one batch", "[records]") {
  RecordBuffer buffer;
  std::vector<RecordRef> refs{buffer.append(wire::Command::publish, 0, body(20, 3))};
  auto frames = split(buffer, refs, 64 * 1024);
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].size() == wire::kHeaderSize + 20);
  CHECK(frames[0][1] == static_cast<std::uint8_t>(wire::Command::publish));

  refs.push_back(buffer.append(wire::Command::publish, 0, body(30, 4)));
  frames = split(buffer, refs, 64 * 1024);
  REQUIRE(frames.size() == 1);
  wire::FrameView batch;
  REQUIRE(wire::parse_frame(frames[0], batch) == Errc::ok);
  CHECK(batch.command == wire::Command::batch);
  wire::BatchReader reader(batch.body);
  wire::FrameView inner;
  int count = 0;
  while (!reader.done()) {
    REQUIRE(reader.next(inner) == Errc::ok);
    CHECK(inner.body.size() == (count == 0 ? 20u : 30u));
    ++count;
  }
  CHECK(count == 2);
}

TEST_CASE("a record larger than the frame limit still leaves, alone", "[records]") {
  RecordBuffer buffer;
  std::vector<RecordRef> refs{buffer.append(wire::Command::publish, 0, body(10, 1)),
                              buffer.append(wire::Command::publish, 0, body(2000, 2)),
                              buffer.append(wire::Command::publish, 0, body(10, 3))};
  const auto frames = split(buffer, refs, 1024);
  REQUIRE(frames.size() == 3);
  CHECK(frames[1].size() == wire::kHeaderSize + 2000);
}

TEST_CASE("the splitter resumes from where a send stopped", "[records]") {
  RecordBuffer buffer;
  std::vector<RecordRef> refs;
  for (int i = 0; i < 10; ++i)
    refs.push_back(buffer.append(wire::Command::publish, 0, body(100, 1)));
  FrameSplitter first(buffer, refs, 3 * 120);
  const auto next = first.peek();
  first.consume(next);
  FrameSplitter resumed(buffer, refs, 3 * 120, first.position());
  CHECK(resumed.peek().first == next.count);
}

TEST_CASE("frames are byte for byte those of the SDK's and the broker's former loops",
          "[records]") {
  std::mt19937 random(20261202);
  for (int round = 0; round < 200; ++round) {
    RecordBuffer buffer;
    std::vector<RecordRef> all;
    std::vector<std::uint8_t> contiguous;
    const int count = 1 + static_cast<int>(random() % 300);
    for (int i = 0; i < count; ++i) {
      // Mostly small messages, now and then one near or above the limits.
      const std::size_t size = random() % 50 == 0 ? 60'000 + random() % 80'000 : random() % 400;
      const auto command = random() % 4 == 0 ? wire::Command::control : wire::Command::deliver;
      all.push_back(buffer.append(command, 0, body(size, static_cast<std::uint8_t>(i))));
    }
    contiguous.assign(buffer.data(), buffer.data() + buffer.size());
    for (const std::size_t limit :
         {std::size_t{64 * 1024}, std::size_t{128 * 1024}, std::size_t{600}}) {
      INFO("round " << round << ", limit " << limit);
      CHECK(split(buffer, all, limit) == sdk_reference(contiguous, limit));
      // A session's queue: some of the pass's records, in order.
      std::vector<RecordRef> session;
      for (const auto& ref : all)
        if (random() % 3 != 0) session.push_back(ref);
      CHECK(split(buffer, session, limit) == broker_reference(buffer, session, limit));
    }
  }
}
