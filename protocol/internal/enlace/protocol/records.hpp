// What each end of a link queues to send: frames encoded once as batch records, back to
// back, and the splitter that cuts a run of them into frames of at most N bytes.
//
// A record is a complete frame behind an 8-byte length (frame.hpp). Consecutive records
// are already a batch body, so sending several as one batch costs one 8-byte header and
// one copy; a lone record leaves as its own frame, without batch framing. The SDK's outbox
// and the broker's per-pass buffer are both a RecordBuffer; the same splitter decides what
// travels together, so both ends batch by the same rule.
#pragma once

#include <flatbuffers/flatbuffers.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "enlace/protocol/frame.hpp"

namespace enlace::protocol {

/// One record of a RecordBuffer. Eight bytes, however many queues share the record.
struct RecordRef {
  std::uint32_t offset;  // of the record in its buffer
  std::uint32_t size;    // of the whole record: header, frame and padding
};

/// An append-only buffer of records. Appending allocates only while the buffer grows;
/// clear() keeps the capacity. Not thread-safe.
///
/// Its bytes are not zeroed when the buffer grows (a std::vector's resize would): every
/// append writes each byte of its record, padding included, and zeroing first cost about a
/// tenth of the broker's routing instructions per delivery (bench/profile-broker).
class RecordBuffer {
 public:
  /// Appends a record for a frame of kHeaderSize + `body_size` bytes, writes the record's
  /// and the frame's headers and the record's padding, and returns where the body goes
  /// (valid until the next append). The caller writes all `body_size` bytes.
  std::uint8_t* reserve(wire::Command command, std::uint8_t flags, std::size_t body_size,
                        RecordRef& out);
  RecordRef append(wire::Command command, std::uint8_t flags, wire::Bytes body);
  /// Appends a record whose body is the finished buffer of `fbb`.
  RecordRef append(wire::Command command, const flatbuffers::FlatBufferBuilder& fbb);
  /// Appends a copy of a whole record (`record` as record() points to one, `size` bytes).
  RecordRef append_record(const std::uint8_t* record, std::size_t size);

  const std::uint8_t* data() const noexcept { return bytes_.get(); }
  const std::uint8_t* record(RecordRef ref) const noexcept { return bytes_.get() + ref.offset; }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  void clear() noexcept { size_ = 0; }
  void reserve_capacity(std::size_t bytes) {
    if (bytes > capacity_) reallocate(bytes);
  }
  void swap(RecordBuffer& other) noexcept {
    bytes_.swap(other.bytes_);
    std::swap(size_, other.size_);
    std::swap(capacity_, other.capacity_);
  }

 private:
  // `n` more bytes at the end, not initialised.
  std::uint8_t* extend(std::size_t n) {
    if (capacity_ - size_ < n) reallocate(std::max(size_ + n, 2 * capacity_));
    std::uint8_t* at = bytes_.get() + size_;
    size_ += n;
    return at;
  }
  void reallocate(std::size_t capacity);

  std::unique_ptr<std::uint8_t[]> bytes_;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

/// Cuts a run of records into frames: as many whole records as fit in one batch frame of
/// at most `max_frame_bytes` (its header included), and always at least one, so that a
/// record larger than the limit still leaves, alone (the receiver judges its size). Records
/// keep their order. Allocates nothing.
///
///   FrameSplitter splitter(buffer, refs, max_frame_bytes);
///   while (!splitter.done()) {
///     const auto next = splitter.peek();
///     zmq::message_t frame(next.size);
///     splitter.write(next, static_cast<std::uint8_t*>(frame.data()));
///     if (!send(frame)) break;  // retry later from splitter.position()
///     splitter.consume(next);
///   }
class FrameSplitter {
 public:
  struct Frame {
    std::size_t first = 0;  // index of its first record
    std::size_t count = 0;  // records it carries (1: sent without batch framing)
    std::size_t size = 0;   // bytes of the frame on the wire
  };

  FrameSplitter(const RecordBuffer& buffer, std::span<const RecordRef> records,
                std::size_t max_frame_bytes, std::size_t start = 0) noexcept
      : buffer_(buffer), records_(records), max_frame_bytes_(max_frame_bytes), next_(start) {}

  bool done() const noexcept { return next_ >= records_.size(); }
  /// Index of the first record not yet consumed.
  std::size_t position() const noexcept { return next_; }
  /// The next frame; only when !done().
  Frame peek() const noexcept;
  /// Writes `frame` (from peek()) to `out`, which holds frame.size bytes.
  void write(const Frame& frame, std::uint8_t* out) const noexcept;
  void consume(const Frame& frame) noexcept { next_ = frame.first + frame.count; }

 private:
  const RecordBuffer& buffer_;
  std::span<const RecordRef> records_;
  std::size_t max_frame_bytes_;
  std::size_t next_;
};

}  // namespace enlace::protocol
