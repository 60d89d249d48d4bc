// Recovery at open: torn tails cut at every offset, zeros after the last record, a flipped
// byte caught by its record's checksum in the active segment and in a sealed one, a segment
// whose header is gone, and bit rot found by a cursor in a segment recovery did not scan.
#include <catch2/catch.hpp>

#include <tuple>

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
  CHECK(std::filesystem::file_size(segment) == size);
  Cursor cursor = journal->cursor();
  CHECK(drain(cursor) == messages);
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
  Cursor cursor = journal->cursor();
  const auto read = drain(cursor);
  CHECK(cursor.corrupt_records_skipped() == 1);
  REQUIRE(read.size() == 60 - (per_segment - 1));
  CHECK(read[0] == messages[0]);
  CHECK(read[1] == messages[per_segment]);
}
