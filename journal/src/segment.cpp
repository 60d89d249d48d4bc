#include "segment.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <system_error>
#include <utility>

namespace enlace::journal::detail {

std::string Segment::file_name(std::uint64_t first_sequence) {
  char name[32];
  std::snprintf(name, sizeof(name), "%020llu.seg", static_cast<unsigned long long>(first_sequence));
  return name;
}

Segment::Segment(std::filesystem::path path, File file, std::uint64_t first_sequence,
                 std::uint64_t index_interval, Tail tail, std::vector<IndexEntry> entries)
    : path_(std::move(path)),
      file_(std::move(file)),
      first_sequence_(first_sequence),
      index_interval_(index_interval),
      tail_(tail),
      entries_(std::move(entries)),
      end_(tail.end),
      records_(tail.records),
      last_sequence_(tail.last_sequence),
      max_time_(tail.max_time_ns) {}

std::filesystem::path Segment::index_path_of(const std::filesystem::path& segment) {
  std::filesystem::path index = segment;
  index += ".idx";
  return index;
}

Result<std::shared_ptr<Segment>> Segment::create(const std::filesystem::path& dir,
                                                 std::uint64_t first_sequence,
                                                 std::int64_t created_ns,
                                                 std::int64_t max_time_before,
                                                 std::uint64_t index_interval) {
  const std::filesystem::path path = dir / file_name(first_sequence);
  auto file = open_file(path, O_RDWR | O_CREAT | O_EXCL);
  if (!file) return file.error();
  std::uint8_t header[format::kSegmentHeaderBytes];
  format::encode_segment_header({first_sequence, created_ns}, header);
  Status status = write_at(*file, path, 0, header);
  if (status) status = sync_directory(dir);
  if (!status) {
    ::unlink(path.c_str());
    return status.error();
  }
  Tail tail;
  tail.max_time_ns = max_time_before;
  return std::shared_ptr<Segment>(
      new Segment(path, std::move(*file), first_sequence, index_interval, tail, {}));
}

Result<Segment::Recovered> Segment::recover(const std::filesystem::path& path,
                                            std::uint64_t first_sequence,
                                            std::uint64_t after_sequence,
                                            std::int64_t max_time_before, bool active,
                                            std::uint64_t index_interval) {
  auto file = open_file(path, O_RDWR);
  if (!file) return file.error();
  auto size = file_size(*file, path);
  if (!size) return size.error();

  const std::filesystem::path index_file = index_path_of(path);
  std::error_code ignored;
  std::optional<SegmentIndex> index;
  if (std::filesystem::exists(index_file, ignored)) {
    if (auto bytes = read_whole_file(index_file)) index = decode_index(*bytes);
  }
  // An index describes the segment exactly as it was sealed: same name, same size, and
  // records that follow the previous segment's.
  if (index && index->first_sequence == first_sequence && index->size == *size &&
      index->records > 0 && !index->entries.empty() &&
      index->entries.front().sequence > after_sequence &&
      index->entries.front().sequence >= first_sequence) {
    Tail tail{index->size, index->records, index->last_sequence,
              std::max(max_time_before, index->max_time_ns), index->entries.back().offset};
    Recovered recovered;
    recovered.segment = std::shared_ptr<Segment>(new Segment(
        path, std::move(*file), first_sequence, index_interval, tail, std::move(index->entries)));
    if (active) {
      std::filesystem::remove(index_file, ignored);
    } else {
      recovered.segment->sealed_.store(true, std::memory_order_release);
    }
    return recovered;
  }

  Recovered recovered;
  recovered.scanned = true;
  Tail tail;
  tail.max_time_ns = max_time_before;
  std::vector<IndexEntry> entries;
  const File& source = *file;
  auto scan = format::scan_segment(
      [&](std::uint64_t offset, std::span<std::uint8_t> into) {
        return read_at(source, path, offset, into);
      },
      *size, after_sequence,
      [&](std::uint64_t offset, std::size_t bytes, const Record& record) {
        advance(tail, offset, bytes, record, entries, index_interval);
      });
  if (!scan) return scan.error();
  recovered.stop = scan->stop;
  recovered.cause = scan->cause;
  if (!scan->header || scan->header->first_sequence != first_sequence) {
    recovered.stop = format::ScanStop::corrupt;
    recovered.truncated_bytes = *size;
    if (scan->header) recovered.cause = "a header whose first sequence is not the file name's";
    return recovered;
  }
  if (scan->end < *size) {
    recovered.truncated_bytes = *size - scan->end;
    recovered.cut_at = scan->end;
    Status cut = truncate_to(*file, path, scan->end);
    if (cut) cut = sync_data(*file, path);
    if (!cut) return cut.error();
  }
  recovered.segment = std::shared_ptr<Segment>(new Segment(
      path, std::move(*file), first_sequence, index_interval, tail, std::move(entries)));
  std::filesystem::remove(index_file, ignored);  // stale or bad
  if (!active) (void)recovered.segment->seal();  // a failed index write costs a scan next time
  return recovered;
}

void Segment::advance(Tail& tail, std::uint64_t offset, std::size_t size, const Record& record,
                      std::vector<IndexEntry>& entries, std::uint64_t index_interval) {
  tail.max_time_ns = std::max(tail.max_time_ns, record.time_ns);
  if (!tail.last_entry_offset || offset - *tail.last_entry_offset >= index_interval) {
    entries.push_back({record.sequence, tail.max_time_ns, offset});
    tail.last_entry_offset = offset;
  }
  tail.end = offset + size;
  tail.last_sequence = record.sequence;
  ++tail.records;
}

void Segment::commit(const Tail& tail, std::span<const IndexEntry> entries) {
  if (!entries.empty()) {
    const std::lock_guard lock(index_mutex_);
    entries_.insert(entries_.end(), entries.begin(), entries.end());
  }
  tail_ = tail;
  records_.store(tail.records, std::memory_order_relaxed);
  last_sequence_.store(tail.last_sequence, std::memory_order_relaxed);
  max_time_.store(tail.max_time_ns, std::memory_order_relaxed);
  end_.store(tail.end, std::memory_order_release);  // last: publishes everything above
}

std::uint64_t Segment::first_record_sequence() const {
  const std::lock_guard lock(index_mutex_);
  return entries_.empty() ? 0 : entries_.front().sequence;  // the first record has an entry
}

std::uint64_t Segment::scan_start_for_sequence(std::uint64_t sequence) const {
  const std::lock_guard lock(index_mutex_);
  return detail::scan_start_for_sequence(entries_, sequence, format::kSegmentHeaderBytes);
}

std::uint64_t Segment::scan_start_for_time(std::int64_t time_ns) const {
  const std::lock_guard lock(index_mutex_);
  return detail::scan_start_for_time(entries_, time_ns, format::kSegmentHeaderBytes);
}

Result<std::size_t> Segment::read(std::uint64_t offset, std::span<std::uint8_t> into) const {
  return read_at(file_, path_, offset, into);
}

std::uint64_t Segment::encoded_bytes(std::span<const Record> records) noexcept {
  std::uint64_t bytes = 0;
  for (const Record& record : records) bytes += format::encoded_size(record);
  return bytes;
}

Status Segment::append(std::span<const Record> records, std::vector<std::uint8_t>& buffer) {
  buffer.clear();
  pending_.clear();
  Tail tail = tail_;
  for (const Record& record : records) {
    const std::size_t at = buffer.size();
    const std::size_t size = format::encoded_size(record);
    buffer.resize(at + size);  // within the capacity kept from earlier batches
    format::encode_record(record, buffer.data() + at);
    advance(tail, tail_.end + at, size, record, pending_, index_interval_);
  }
  Status written = write_at(file_, path_, tail_.end, buffer);
  if (!written) {
    // Cut whatever part of the batch reached the file, so that the file ends with a whole
    // record again. Should that fail too, the next append overwrites the same bytes, and
    // readers never look past end() anyway.
    (void)truncate_to(file_, path_, tail_.end);
    return written;
  }
  commit(tail, pending_);
  return success();
}

Status Segment::sync() {
  return sync_data(file_, path_);
}

Status Segment::seal() {
  sealed_.store(true, std::memory_order_release);
  SegmentIndex index{first_sequence_,     tail_.end,         tail_.records,
                     tail_.last_sequence, tail_.max_time_ns, {}};
  {
    const std::lock_guard lock(index_mutex_);
    index.entries = entries_;
  }
  if (index.records == 0) return success();  // nothing to find: the next open scans a header
  return replace_file(index_path(), encode_index(index), /*durable=*/false);
}

void Segment::remove_files_at(const std::filesystem::path& path) noexcept {
  ::unlink(path.c_str());
  ::unlink(index_path_of(path).c_str());
}

}  // namespace enlace::journal::detail
