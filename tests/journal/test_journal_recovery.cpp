// Recovery at open: torn tails cut at every offset, zeros after the last record, a hole
// (zeros with records after them), a flipped byte caught by its record's checksum in the
// active segment and in a sealed one, a segment whose header is gone, each cut reported
// with its file; and damage found by a cursor, in a segment recovery did not scan and in
// the active segment behind the writer's back, reported with its file, and the reasons of
// read failures, whose file can be left out.
#include <catch2/catch.hpp>

#include <algorithm>
#include <tuple>

#include "enlace/journal/error.hpp"
#include "journal_fixture.hpp"

using namespace enlace;
using namespace enlace::journal;
using namespace enlace::journal::test;

namespace {

/// A journal of `messages` in `dir`, closed uncleanly: the index files are removed.
void write_unclean(const std::filesystem::path& dir, const std::vector<Message>& messages,
                   const Options& options = {}) {
  {
    auto journal = open_journal(dir, options);
    append_all(*journal, messages);
  }
  for (const auto& index : files_with(dir, ".idx")) std::filesystem::remove(index);
}

void flip_byte(const std::filesystem::path& file, std::uint64_t offset) {
  auto bytes = read_file(file);
  REQUIRE(offset < bytes.size());
  bytes[offset] ^= 0x40;
  write_file(file, bytes);
}

/// Five records of equal size in one segment, closed uncleanly.
struct FiveRecords {
  FiveRecords() {
    write_unclean(dir.path(), messages);
    segment = files_with(dir.path(), ".seg").at(0);
  }

  TempDir dir;
  const std::vector<Message> messages = make_messages(1, 5);
  const std::size_t record_bytes = format::encoded_size(messages[0].record());
  std::filesystem::path segment;
};

}  // namespace

TEST_CASE("a torn last record is cut at every offset inside it, and append goes on",
          "[journal][recovery]") {
  const FiveRecords source;
  const auto& [messages, segment] = std::tie(source.messages, source.segment);
  const auto whole = read_file(segment);
  const std::size_t last_at = whole.size() - source.record_bytes;

  for (std::size_t cut = last_at; cut < whole.size(); ++cut) {
    INFO("segment cut at " << cut << " of " << whole.size());
    TempDir dir;
    write_file(dir / segment.filename().string(),
               std::vector<std::uint8_t>(whole.begin(), whole.begin() + static_cast<long>(cut)));
    auto journal = open_journal(dir.path());
    const RecoveryReport& report = journal->recovery();
    CHECK(report.segments_scanned == 1);
    CHECK(report.records == 4);
    CHECK(report.truncated_bytes == cut - last_at);
    CHECK(report.corrupt_records == 0);
    CHECK(report.last_sequence == 4);
    CHECK(std::filesystem::file_size(dir / segment.filename().string()) == last_at);

    append_all(*journal, {messages.back()});
    Cursor cursor = journal->cursor();
    CHECK(drain(cursor) == messages);
  }
}

TEST_CASE("zeros after the last record are a torn tail", "[journal][recovery]") {
  const FiveRecords five;
  const auto& [dir, messages, segment] = std::tie(five.dir, five.messages, five.segment);
  auto bytes = read_file(segment);
  const std::size_t size = bytes.size();
  bytes.resize(size + 4096, 0);
  write_file(segment, bytes);

  auto journal = open_journal(dir.path());
  CHECK(journal->recovery().truncated_bytes == 4096);
  CHECK(journal->recovery().corrupt_records == 0);
  REQUIRE(journal->recovery().cuts.size() == 1);
  const SegmentCut& cut = journal->recovery().cuts.front();
  CHECK(cut.segment == segment);
  CHECK(cut.offset == size);
  CHECK(cut.bytes == 4096);
  CHECK(cut.stop == format::ScanStop::torn);
  CHECK(cut.after_sequence == 5);
  CHECK_FALSE(cut.removed);
  CHECK(std::filesystem::file_size(segment) == size);
  Cursor cursor = journal->cursor();
  CHECK(drain(cursor) == messages);
}

TEST_CASE("a run of zeros with records after it is damage, not a torn tail",
          "[journal][recovery]") {
  // What a segment cut short under a running writer looks like once the writer appended
  // again at its own end: a hole of zeros, then records.
  const FiveRecords five;
  const auto& [dir, messages, segment, record_bytes] =
      std::tie(five.dir, five.messages, five.segment, five.record_bytes);
  auto bytes = read_file(segment);
  const std::uint64_t third = format::kSegmentHeaderBytes + 2 * record_bytes;
  std::fill(bytes.begin() + static_cast<long>(third),
            bytes.begin() + static_cast<long>(third + record_bytes + 10), 0);
  write_file(segment, bytes);

  auto journal = open_journal(dir.path());
  const RecoveryReport& report = journal->recovery();
  CHECK(report.corrupt_records == 1);
  CHECK(report.records == 2);
  CHECK(report.truncated_bytes == 3 * record_bytes);
  REQUIRE(report.cuts.size() == 1);
  const SegmentCut& cut = report.cuts.front();
  CHECK(cut.segment == segment);
  CHECK(cut.offset == third);
  CHECK(cut.bytes == 3 * record_bytes);
  CHECK(cut.stop == format::ScanStop::corrupt);
  CHECK(cut.after_sequence == 2);
  CHECK_THAT(std::string(cut.cause), Catch::Contains("zeros"));
  Cursor cursor = journal->cursor();
  CHECK(drain(cursor) == std::vector<Message>(messages.begin(), messages.begin() + 2));
}

TEST_CASE("a flipped byte in the active segment cuts it before that record",
          "[journal][recovery]") {
  const FiveRecords five;
  const auto& [dir, messages, segment, record_bytes] =
      std::tie(five.dir, five.messages, five.segment, five.record_bytes);
  const std::uint64_t third = format::kSegmentHeaderBytes + 2 * record_bytes;
  flip_byte(segment, third + 100);  // inside the envelope of sequence 3

  auto journal = open_journal(dir.path());
  const RecoveryReport& report = journal->recovery();
  CHECK(report.corrupt_records == 1);
  CHECK(report.records == 2);
  CHECK(report.last_sequence == 2);
  CHECK(report.truncated_bytes == 3 * record_bytes);
  REQUIRE(report.cuts.size() == 1);
  CHECK(report.cuts.front().stop == format::ScanStop::corrupt);
  CHECK(report.cuts.front().offset == third);
  CHECK(std::string(report.cuts.front().cause) == format::describe(format::Decoded::bad_crc));
  Cursor cursor = journal->cursor();
  CHECK(drain(cursor) == std::vector<Message>(messages.begin(), messages.begin() + 2));
}

TEST_CASE("a corrupt record in a sealed segment cuts that segment, the later ones stay",
          "[journal][recovery]") {
  const auto messages = make_messages(1, 60);
  TempDir dir;
  write_unclean(dir.path(), messages, small_segments());
  const auto segments = files_with(dir.path(), ".seg");
  REQUIRE(segments.size() >= 3);
  const std::size_t record_bytes = format::encoded_size(messages[0].record());
  const std::uint64_t per_segment =
      (std::filesystem::file_size(segments[0]) - format::kSegmentHeaderBytes) / record_bytes;
  // The third record of the second segment.
  flip_byte(segments[1], format::kSegmentHeaderBytes + 2 * record_bytes + 50);

  auto journal = open_journal(dir.path(), small_segments());
  const RecoveryReport& report = journal->recovery();
  CHECK(report.corrupt_records == 1);
  CHECK(report.segments == segments.size());
  CHECK(report.last_sequence == 60);
  const std::uint64_t lost = per_segment - 2;
  CHECK(report.records == 60 - lost);
  CHECK(report.truncated_bytes == lost * record_bytes);

  Cursor cursor = journal->cursor();
  const auto read = drain(cursor);
  std::vector<Message> expected;
  for (const Message& m : messages) {
    if (m.sequence <= per_segment + 2 || m.sequence > 2 * per_segment) expected.push_back(m);
  }
  CHECK(read == expected);
}

TEST_CASE("a segment without a valid header is removed", "[journal][recovery]") {
  const FiveRecords five;
  const TempDir& dir = five.dir;
  // A segment whose creation was interrupted before its header was whole.
  write_file(dir / "00000000000000000006.seg", {'E', 'N', 'L'});
  auto journal = open_journal(dir.path());
  CHECK(journal->recovery().segments_removed == 1);
  CHECK(journal->recovery().corrupt_records == 0);
  CHECK(journal->recovery().truncated_bytes == 3);
  CHECK(journal->recovery().segments == 1);
  REQUIRE(journal->recovery().cuts.size() == 1);
  CHECK(journal->recovery().cuts.front().removed);
  CHECK(journal->recovery().cuts.front().segment == dir / "00000000000000000006.seg");
  CHECK(journal->recovery().cuts.front().after_sequence == 5);
  CHECK_FALSE(std::filesystem::exists(dir / "00000000000000000006.seg"));
  append_all(*journal, make_messages(6, 1));
  CHECK(journal->last_sequence() == 6);
}

TEST_CASE("a cursor skips the rest of a segment whose record fails its checksum",
          "[journal][recovery]") {
  const auto messages = make_messages(1, 60);
  TempDir dir;
  {
    auto journal = open_journal(dir.path(), small_segments());
    append_all(*journal, messages);
  }
  const auto segments = files_with(dir.path(), ".seg");
  const std::size_t record_bytes = format::encoded_size(messages[0].record());
  const std::uint64_t per_segment =
      (std::filesystem::file_size(segments[0]) - format::kSegmentHeaderBytes) / record_bytes;
  // Bit rot after sealing: the index file still matches, so recovery does not scan.
  flip_byte(segments[0], format::kSegmentHeaderBytes + record_bytes + 60);

  auto journal = open_journal(dir.path(), small_segments());
  CHECK(journal->recovery().segments_scanned == 0);
  CHECK(journal->recovery().cuts.empty());
  Cursor cursor = journal->cursor();
  const auto read = drain(cursor);
  CHECK(cursor.corrupt_records_skipped() == 1);
  REQUIRE(read.size() == 60 - (per_segment - 1));
  CHECK(read[0] == messages[0]);
  CHECK(read[1] == messages[per_segment]);
  // Where, what and how much, once.
  const std::vector<Damage> damage = cursor.take_damage();
  REQUIRE(damage.size() == 1);
  CHECK(damage[0].segment == segments[0]);
  CHECK(damage[0].offset == format::kSegmentHeaderBytes + record_bytes);
  CHECK(damage[0].bytes_skipped == std::filesystem::file_size(segments[0]) - damage[0].offset);
  CHECK(damage[0].after_sequence == 1);
  CHECK(damage[0].what == format::Decoded::bad_crc);
  CHECK(cursor.take_damage().empty());
}

TEST_CASE("a cursor skips zeros below the committed end of the active segment, and reads on",
          "[journal][recovery]") {
  // The segment is cut short behind the writer's back, which then appends at its own end:
  // zeros where records were committed, then the new records.
  TempDir dir;
  auto journal = open_journal(dir.path());
  const auto first = make_messages(1, 5);
  append_all(*journal, first);
  const auto segment = files_with(dir.path(), ".seg").at(0);
  const std::size_t record_bytes = format::encoded_size(first[0].record());
  const std::uint64_t cut = format::kSegmentHeaderBytes + 3 * record_bytes;
  std::filesystem::resize_file(segment, cut);
  const auto later = make_messages(6, 2);
  append_all(*journal, later);
  REQUIRE(std::filesystem::file_size(segment) == cut + 4 * record_bytes);

  Cursor cursor = journal->cursor();
  CHECK(drain(cursor) == std::vector<Message>(first.begin(), first.begin() + 3));
  const std::vector<Damage> damage = cursor.take_damage();
  REQUIRE(damage.size() == 1);
  CHECK(damage[0].segment == segment);
  CHECK(damage[0].offset == cut);
  CHECK(damage[0].what == format::Decoded::zero);
  CHECK(damage[0].after_sequence == 3);
  CHECK(damage[0].bytes_skipped == 4 * record_bytes);
  CHECK(cursor.corrupt_records_skipped() == 1);
  // What is appended after the skip is read.
  const auto after = make_messages(8, 1);
  append_all(*journal, after);
  CHECK(drain(cursor) == after);
}

TEST_CASE("a read failure's reason names the file, and without_path() leaves it out",
          "[journal][recovery]") {
  TempDir dir;
  auto journal = open_journal(dir.path());
  append_all(*journal, make_messages(1, 5));
  const auto segment = files_with(dir.path(), ".seg").at(0);
  std::filesystem::resize_file(segment, format::kSegmentHeaderBytes + 10);

  Cursor cursor = journal->cursor();
  std::vector<std::uint8_t> buffer(64 * 1024);
  auto read = cursor.read(buffer, 100);
  REQUIRE_FALSE(read.ok());
  CHECK(read.error().code == Errc::storage_unavailable);
  const std::string& reason = read.error().reason;
  CHECK_THAT(reason, Catch::Contains(segment.string()));
  const std::string_view told = without_path(reason);
  CHECK(told == "the segment file is shorter than its committed records");
  CHECK(told.find(dir.path().string()) == std::string_view::npos);
  // A reason without a file stays whole; a path holding the marker is cut at the first one.
  CHECK(without_path("no file here") == "no file here");
  CHECK(without_path("read: EIO [file /a [file b]") == "read: EIO");
}
