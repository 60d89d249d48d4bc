#include "enlace/journal/cursor.hpp"

#include <algorithm>
#include <string>

#include "file.hpp"
#include "segment_list.hpp"

namespace enlace::journal {

using detail::Segment;

Cursor::Cursor(std::shared_ptr<const detail::SegmentList> list) : list_(std::move(list)) {}

void Cursor::seek_earliest() noexcept {
  target_ = Target::earliest;
  positioned_ = false;
}

void Cursor::seek_sequence(std::uint64_t sequence) noexcept {
  target_ = Target::sequence;
  target_sequence_ = sequence;
  positioned_ = false;
}

void Cursor::seek_time(std::int64_t time_ns) noexcept {
  target_ = Target::time;
  target_time_ = time_ns;
  positioned_ = false;
}

bool Cursor::position() {
  std::shared_ptr<Segment> segment;
  switch (target_) {
    case Target::earliest:
      segment = list_->front();
      if (segment) offset_ = format::kSegmentHeaderBytes;
      break;
    case Target::sequence:
      segment = list_->for_sequence(target_sequence_);
      if (segment) offset_ = segment->scan_start_for_sequence(target_sequence_);
      break;
    case Target::time:
      segment = list_->for_time(target_time_);
      if (segment) offset_ = segment->scan_start_for_time(target_time_);
      break;
  }
  if (!segment) return false;
  segment_ = std::move(segment);
  positioned_ = true;
  found_ = target_ == Target::earliest;
  return true;
}

// The index puts the cursor at most one interval before its target: records before the
// target are read and passed over once, then everything is wanted.
bool Cursor::wanted(const Record& record) noexcept {
  if (!found_) {
    found_ = target_ == Target::sequence ? record.sequence >= target_sequence_
                                         : record.time_ns >= target_time_;
  }
  return found_;
}

Result<std::span<const Record>> Cursor::read(std::span<std::uint8_t> buffer,
                                             std::size_t max_records) {
  records_.clear();
  if (!positioned_ && !position()) return std::span<const Record>(records_);
  std::size_t used = 0;  // buffer bytes holding records returned
  while (records_.size() < max_records && used < buffer.size()) {
    // sealed before end: once sealed, the end loaded after it is final.
    const bool sealed = segment_->sealed();
    const std::uint64_t end = segment_->end();
    if (offset_ >= end) {
      if (!sealed) break;  // at the head of the journal: nothing new yet
      std::shared_ptr<Segment> next = list_->after(segment_->first_sequence());
      if (!next) break;
      segment_ = std::move(next);
      offset_ = format::kSegmentHeaderBytes;
      continue;
    }
    const auto want =
        static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size() - used, end - offset_));
    const std::span<std::uint8_t> slice = buffer.subspan(used, want);
    auto got = segment_->read(offset_, slice);
    if (!got) return got.error();
    if (*got < want) {
      return ErrorInfo{Errc::storage_unavailable,
                       detail::with_path("the segment file is shorter than its committed records",
                                         segment_->path())};
    }
    std::size_t at = 0;    // decoded bytes of the slice
    std::size_t kept = 0;  // slice bytes up to the end of the last record returned
    bool fits = true;
    while (at < want && records_.size() < max_records) {
      const format::DecodeResult decoded = format::decode_record(slice.subspan(at));
      if (decoded.status == format::Decoded::incomplete) {
        fits = at > 0;  // the slice ends in a record: read on from it, or it is too large
        if (!fits && used == 0) {
          return ErrorInfo{Errc::invalid_argument,
                           "the next journal record needs " + std::to_string(decoded.size) +
                               " bytes, the buffer has " + std::to_string(buffer.size())};
        }
        break;
      }
      if (decoded.status != format::Decoded::ok) {
        // Nothing after a bad record can be framed: the rest of the segment is skipped.
        ++corrupt_skipped_;
        damage_.push_back({segment_->path(), offset_, end - offset_, last_read_, decoded.status});
        offset_ = end;
        break;
      }
      last_read_ = decoded.record.sequence;
      if (wanted(decoded.record)) {
        records_.push_back(decoded.record);
        kept = at + decoded.size;
      }
      at += decoded.size;
      offset_ += decoded.size;
    }
    used += kept;
    if (!fits) break;  // the next record does not fit in what is left of the buffer
  }
  return std::span<const Record>(records_);
}

}  // namespace enlace::journal
