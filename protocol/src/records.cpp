#include "enlace/protocol/records.hpp"

#include <cstring>

namespace enlace::protocol {

std::uint8_t* RecordBuffer::reserve(wire::Command command, std::uint8_t flags,
                                    std::size_t body_size, RecordRef& out) {
  const std::size_t frame_size = wire::kHeaderSize + body_size;
  const std::size_t at = size_;
  const std::size_t size = wire::record_size(frame_size);
  std::uint8_t* record = extend(size);
  wire::write_record_header(record, frame_size);
  wire::write_header(record + wire::kRecordHeaderSize, command, flags);
  out = {static_cast<std::uint32_t>(at), static_cast<std::uint32_t>(size)};
  return record + wire::kRecordHeaderSize + wire::kHeaderSize;
}

void RecordBuffer::reallocate(std::size_t capacity) {
  // Default-initialised: no zeroing (see the class comment).
  auto bytes = std::make_unique_for_overwrite<std::uint8_t[]>(capacity);
  if (size_ != 0) std::memcpy(bytes.get(), bytes_.get(), size_);
  bytes_ = std::move(bytes);
  capacity_ = capacity;
}

RecordRef RecordBuffer::append(wire::Command command, std::uint8_t flags, wire::Bytes body) {
  RecordRef ref;
  std::uint8_t* out = reserve(command, flags, body.size(), ref);
  if (!body.empty()) std::memcpy(out, body.data(), body.size());
  return ref;
}

RecordRef RecordBuffer::append(wire::Command command, const flatbuffers::FlatBufferBuilder& fbb) {
  return append(command, 0, {fbb.GetBufferPointer(), fbb.GetSize()});
}

RecordRef RecordBuffer::append_record(const std::uint8_t* record, std::size_t size) {
  const std::size_t at = size_;
  std::memcpy(extend(size), record, size);
  return {static_cast<std::uint32_t>(at), static_cast<std::uint32_t>(size)};
}

FrameSplitter::Frame FrameSplitter::peek() const noexcept {
  Frame frame{next_, 0, wire::kHeaderSize};
  std::size_t end = next_;
  while (end < records_.size() &&
         (end == next_ || frame.size + records_[end].size <= max_frame_bytes_)) {
    frame.size += records_[end].size;
    ++end;
  }
  frame.count = end - next_;
  if (frame.count == 1) frame.size = wire::record_frame_size(buffer_.record(records_[next_]));
  return frame;
}

void FrameSplitter::write(const Frame& frame, std::uint8_t* out) const noexcept {
  if (frame.count == 1) {
    std::memcpy(out, buffer_.record(records_[frame.first]) + wire::kRecordHeaderSize, frame.size);
    return;
  }
  wire::write_header(out, wire::Command::batch);
  std::size_t at = wire::kHeaderSize;
  for (std::size_t i = frame.first; i < frame.first + frame.count; ++i) {
    std::memcpy(out + at, buffer_.record(records_[i]), records_[i].size);
    at += records_[i].size;
  }
}

}  // namespace enlace::protocol
