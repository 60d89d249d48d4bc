#include "enlace/journal/journal.hpp"

#include <algorithm>
#include <charconv>
#include <limits>
#include <string>
#include <system_error>
#include <utility>

#include "file.hpp"
#include "segment_list.hpp"

namespace enlace::journal {
namespace {

using detail::Segment;
namespace fs = std::filesystem;

constexpr std::size_t kSequenceDigits = 20;
constexpr std::string_view kSegmentSuffix = ".seg";

/// The first sequence a segment's file name gives, if it is one of ours.
std::optional<std::uint64_t> segment_number(const std::string& name) {
  if (name.size() != kSequenceDigits + kSegmentSuffix.size() || !name.ends_with(kSegmentSuffix)) {
    return std::nullopt;
  }
  std::uint64_t first = 0;
  const char* digits = name.data();
  const auto [end, error] = std::from_chars(digits, digits + kSequenceDigits, first);
  if (error != std::errc() || end != digits + kSequenceDigits) return std::nullopt;
  return first;
}

std::int64_t wall_clock_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

ErrorInfo directory_error(std::string_view what, const fs::path& dir, const std::error_code& ec) {
  return {Errc::storage_unavailable,
          detail::with_path(std::string(what) + " the journal directory: " + ec.message(), dir)};
}

}  // namespace

Journal::Journal(fs::path dir, const Options& options)
    : dir_(std::move(dir)), options_(options), list_(std::make_shared<detail::SegmentList>()) {}

Journal::~Journal() {
  (void)close();
}

Result<std::unique_ptr<Journal>> Journal::open(const fs::path& dir, const Options& options) {
  if (options.segment_bytes <= format::kSegmentHeaderBytes || options.index_interval_bytes == 0) {
    return ErrorInfo{Errc::invalid_argument,
                     "journal segment_bytes must exceed the header, index_interval_bytes be > 0"};
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return directory_error("cannot create", dir, ec);
  std::unique_ptr<Journal> journal(new Journal(dir, options));
  if (Status recovered = journal->recover(); !recovered) return recovered.error();
  return journal;
}

Status Journal::recover() {
  const auto started = std::chrono::steady_clock::now();
  std::vector<std::pair<std::uint64_t, fs::path>> files;
  std::vector<fs::path> indexes;
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir_, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.ends_with(".tmp")) {
      fs::remove(entry.path(), ec);  // an index write that did not finish
    } else if (name.ends_with(".seg.idx")) {
      indexes.push_back(entry.path());
    } else if (const auto first = segment_number(name)) {
      files.emplace_back(*first, entry.path());
    }
  }
  if (ec) return directory_error("cannot list", dir_, ec);
  std::sort(files.begin(), files.end());
  for (const fs::path& index : indexes) {  // an index whose segment retention removed
    if (!fs::exists(fs::path(index).replace_extension(), ec)) fs::remove(index, ec);
  }

  std::uint64_t after = 0;
  std::uint64_t last_kept = 0;  // the last record kept so far
  std::int64_t max_time = std::numeric_limits<std::int64_t>::min();
  for (std::size_t i = 0; i < files.size(); ++i) {
    const auto& [first, path] = files[i];
    const bool last = i + 1 == files.size();
    auto recovered =
        Segment::recover(path, first, after, max_time, last, options_.index_interval_bytes);
    if (!recovered) return recovered.error();
    recovery_.segments_scanned += recovered->scanned ? 1 : 0;
    recovery_.truncated_bytes += recovered->truncated_bytes;
    // A bad header is a removed segment, not a corrupt record.
    const bool corrupt = recovered->segment && recovered->stop == format::ScanStop::corrupt;
    recovery_.corrupt_records += corrupt ? 1 : 0;
    if (recovered->truncated_bytes > 0) {
      const bool emptied = !recovered->segment || (!last && recovered->segment->records() == 0);
      const std::uint64_t kept =
          recovered->segment ? recovered->segment->last_sequence() : std::uint64_t{0};
      recovery_.cuts.push_back({path, recovered->cut_at, recovered->truncated_bytes,
                                kept != 0 ? kept : last_kept, recovered->stop, recovered->cause,
                                emptied});
    }
    // No sequence below a segment's first was ever given to the journal after it: appends
    // stay above it even when the segment holds nothing.
    after = std::max(after, first - (first > 0 ? 1 : 0));
    const std::shared_ptr<Segment>& segment = recovered->segment;
    // A bad header, or an older segment left with no record: nothing to keep.
    if (!segment || (!last && segment->records() == 0)) {
      Segment::remove_files_at(path);
      ++recovery_.segments_removed;
      continue;
    }
    after = std::max(after, segment->last_sequence());
    last_kept = std::max(last_kept, segment->last_sequence());
    max_time = segment->max_time_ns();
    messages_ += segment->records();
    bytes_ += segment->end();
    list_->push_back(segment);
  }
  active_ = list_->back();
  if (active_ && active_->sealed()) active_ = nullptr;  // the next append starts a segment
  last_sequence_ = after;
  refresh_first_sequence();

  recovery_.segments = list_->size();
  recovery_.records = messages_;
  recovery_.bytes = bytes_;
  recovery_.last_sequence = after;
  recovery_.duration = std::chrono::steady_clock::now() - started;
  return success();
}

Status Journal::check(std::span<const Record> records) const {
  std::uint64_t previous = last_sequence_.load(std::memory_order_relaxed);
  for (const Record& record : records) {
    if (record.sequence <= previous) {
      return ErrorInfo{Errc::invalid_argument, "journal sequence " +
                                                   std::to_string(record.sequence) +
                                                   " does not follow " + std::to_string(previous)};
    }
    if (record.topic.size() > format::kMaxTopicBytes ||
        record.header.size() > format::kMaxRecordBytes ||
        format::encoded_size(record) > format::kMaxRecordBytes) {
      return ErrorInfo{Errc::invalid_argument,
                       "journal record " + std::to_string(record.sequence) + " is larger than " +
                           std::to_string(format::kMaxRecordBytes) + " bytes"};
    }
    previous = record.sequence;
  }
  return success();
}

Status Journal::roll(std::uint64_t first_sequence) {
  const std::shared_ptr<Segment> previous = list_->back();
  const std::int64_t max_time =
      previous ? previous->max_time_ns() : std::numeric_limits<std::int64_t>::min();
  auto created = Segment::create(dir_, first_sequence, wall_clock_ns(), max_time,
                                 options_.index_interval_bytes);
  if (!created) return created.error();
  if (active_) (void)active_->seal();  // a failed index write costs a scan at the next open
  active_ = std::move(*created);
  list_->push_back(active_);
  bytes_ += active_->end();
  return success();
}

Result<std::size_t> Journal::place(std::span<const Record> records) {
  for (;;) {
    if (!active_) {
      if (Status rolled = roll(records.front().sequence); !rolled) return rolled.error();
    }
    const std::uint64_t end = active_->end();
    const std::uint64_t room = options_.segment_bytes > end ? options_.segment_bytes - end : 0;
    std::size_t fit = 0;
    for (std::uint64_t bytes = 0; fit < records.size(); ++fit) {
      bytes += format::encoded_size(records[fit]);
      if (bytes > room) break;
    }
    if (fit > 0) return fit;
    if (active_->records() == 0) return 1;  // larger than a segment: alone in this one
    if (Status rolled = roll(records.front().sequence); !rolled) return rolled.error();
  }
}

Status Journal::append(std::span<const Record> records) {
  if (closed_) return ErrorInfo{Errc::closed, detail::with_path("the journal is closed", dir_)};
  if (Status checked = check(records); !checked) return checked;
  const bool was_empty = messages_.load(std::memory_order_relaxed) == 0;
  while (!records.empty()) {
    auto placed = place(records);
    if (!placed) return placed.error();
    const std::span<const Record> part = records.first(*placed);
    const std::uint64_t end_before = active_->end();
    if (Status written = active_->append(part, buffer_); !written) return written;
    if (unsynced_.empty() || unsynced_.back() != active_) unsynced_.push_back(active_);
    bytes_ += active_->end() - end_before;
    messages_ += part.size();
    last_sequence_.store(part.back().sequence, std::memory_order_relaxed);
    if (was_empty) refresh_first_sequence();
    records = records.subspan(part.size());
  }
  return success();
}

Status Journal::sync() {
  while (!unsynced_.empty()) {
    if (Status synced = unsynced_.back()->sync(); !synced) return synced;
    unsynced_.pop_back();
  }
  return success();
}

RetentionReport Journal::enforce_retention(std::int64_t now_ns) {
  const Retention& limits = options_.retention;
  RetentionReport removed;
  for (;;) {
    const std::shared_ptr<Segment> oldest = list_->front();
    if (!oldest || oldest == active_ || list_->size() < 2) break;
    const bool expired =
        limits.max_age.count() > 0 && oldest->max_time_ns() < now_ns - limits.max_age.count();
    const bool too_large = limits.max_bytes > 0 && bytes_ > limits.max_bytes;
    const bool too_many = limits.max_messages > 0 && messages_ > limits.max_messages;
    if (!expired && !too_large && !too_many) break;
    list_->pop_front();
    oldest->remove_files();
    std::erase(unsynced_, oldest);
    ++removed.segments;
    removed.records += oldest->records();
    removed.bytes += oldest->end();
    bytes_ -= oldest->end();
    messages_ -= oldest->records();
  }
  if (removed.segments > 0) refresh_first_sequence();
  return removed;
}

Status Journal::close() {
  if (closed_) return success();
  closed_ = true;
  Status status = sync();
  if (active_ && active_->records() > 0) {
    Status sealed = active_->seal();
    if (status) status = std::move(sealed);
  }
  return status;
}

Cursor Journal::cursor() const {
  return Cursor(list_);
}

void Journal::refresh_first_sequence() noexcept {
  const std::shared_ptr<Segment> oldest = list_->front();
  const std::uint64_t first = oldest ? oldest->first_record_sequence() : 0;
  first_sequence_.store(first != 0 ? first : last_sequence_.load(std::memory_order_relaxed) + 1,
                        std::memory_order_relaxed);
}

std::uint64_t Journal::first_sequence() const noexcept {
  return first_sequence_.load(std::memory_order_relaxed);
}
std::uint64_t Journal::last_sequence() const noexcept {
  return last_sequence_.load(std::memory_order_relaxed);
}
std::uint64_t Journal::bytes() const noexcept {
  return bytes_.load(std::memory_order_relaxed);
}
std::uint64_t Journal::messages() const noexcept {
  return messages_.load(std::memory_order_relaxed);
}
std::size_t Journal::segments() const {
  return list_->size();
}

}  // namespace enlace::journal
