// Appending and reading back: round trip, segments rolling over, reopening after a clean
// close (index files used, nothing scanned) and after an unclean one (index files gone).
#include <catch2/catch.hpp>

#include "journal_fixture.hpp"

using namespace enlace;
using namespace enlace::journal;
using namespace enlace::journal::test;

TEST_CASE("records read back as they were appended", "[journal]") {
  TempDir dir;
  auto journal = open_journal(dir.path());
  CHECK(journal->first_sequence() == 1);
  CHECK(journal->last_sequence() == 0);
  const auto messages = make_messages(10, 50);
  append_all(*journal, messages);
  CHECK(journal->last_sequence() == 59);
  CHECK(journal->first_sequence() == 10);
  CHECK(journal->messages() == 50);
  Cursor cursor = journal->cursor();
  CHECK(drain(cursor) == messages);
}

TEST_CASE("an empty topic, header and envelope round-trip", "[journal]") {
  TempDir dir;
  auto journal = open_journal(dir.path());
  const Record empty{1, -5, {}, {}, {}};
  REQUIRE(journal->append({&empty, 1}).ok());
  Cursor cursor = journal->cursor();
  const auto read = drain(cursor);
  REQUIRE(read.size() == 1);
  CHECK(read[0] == Message{1, -5, "", {}, {}});
}

TEST_CASE("append refuses sequences that do not increase, and writes nothing", "[journal]") {
  TempDir dir;
  auto journal = open_journal(dir.path());
  append_all(*journal, make_messages(5, 1));
  for (std::uint64_t bad : {std::uint64_t{5}, std::uint64_t{4}}) {
    const auto m = make_messages(bad, 1);
    const auto records = records_of(m);
    CHECK(journal->append(records).code() == Errc::invalid_argument);
  }
  auto twice = make_messages(6, 2);
  twice[1].sequence = 6;
  CHECK(journal->append(records_of(twice)).code() == Errc::invalid_argument);
  CHECK(journal->messages() == 1);
  CHECK(journal->last_sequence() == 5);
}

TEST_CASE("append refuses a record larger than kMaxRecordBytes", "[journal]") {
  TempDir dir;
  auto journal = open_journal(dir.path());
  const auto big = make_messages(1, 1, 1, format::kMaxRecordBytes);
  CHECK(journal->append(records_of(big)).code() == Errc::invalid_argument);
  CHECK(journal->messages() == 0);
}

TEST_CASE("segments roll over at their size, a larger record goes alone", "[journal]") {
  TempDir dir;
  auto journal = open_journal(dir.path(), small_segments(4096));
  const auto messages = make_messages(1, 100);  // 100 records of about 260 bytes
  append_all(*journal, messages);
  const auto segments = files_with(dir.path(), ".seg");
  CHECK(segments.size() == journal->segments());
  CHECK(segments.size() >= 7);
  std::uint64_t total = 0;
  for (const auto& s : segments) {
    CHECK(std::filesystem::file_size(s) <= 4096);
    total += std::filesystem::file_size(s);
  }
  CHECK(total == journal->bytes());
  CHECK(segments.front().filename() == "00000000000000000001.seg");
  // Sealed segments have their index; the active one keeps it in memory.
  CHECK(files_with(dir.path(), ".idx").size() == segments.size() - 1);

  const auto large = make_messages(101, 1, 1, 10000);
  append_all(*journal, large);
  append_all(*journal, make_messages(102, 1));
  CHECK(std::filesystem::file_size(dir / "00000000000000000101.seg") > 10000);
  CHECK(std::filesystem::exists(dir / "00000000000000000102.seg"));

  Cursor cursor = journal->cursor();
  const auto read = drain(cursor, 16 * 1024);
  REQUIRE(read.size() == 102);
  CHECK(std::equal(messages.begin(), messages.end(), read.begin()));
  CHECK(read[100] == large[0]);
}

TEST_CASE("a reopened journal after a clean close scans nothing and goes on", "[journal]") {
  TempDir dir;
  const auto messages = make_messages(1, 100, 3);
  {
    auto journal = open_journal(dir.path(), small_segments());
    append_all(*journal, messages);
    REQUIRE(journal->close().ok());
  }
  auto journal = open_journal(dir.path(), small_segments());
  const RecoveryReport& report = journal->recovery();
  CHECK(report.segments == files_with(dir.path(), ".seg").size());
  CHECK(report.segments_scanned == 0);
  CHECK(report.records == 100);
  CHECK(report.last_sequence == messages.back().sequence);
  CHECK(report.truncated_bytes == 0);
  CHECK(report.corrupt_records == 0);
  CHECK(journal->first_sequence() == 1);

  const auto more = make_messages(400, 10);
  append_all(*journal, more);
  Cursor cursor = journal->cursor();
  auto expected = messages;
  expected.insert(expected.end(), more.begin(), more.end());
  CHECK(drain(cursor) == expected);
}

TEST_CASE("without index files (an unclean stop) reopening scans to the same journal",
          "[journal]") {
  TempDir dir;
  const auto messages = make_messages(1, 100, 2);
  RecoveryReport clean;
  {
    auto journal = open_journal(dir.path(), small_segments());
    append_all(*journal, messages);
  }
  {
    auto journal = open_journal(dir.path(), small_segments());
    clean = journal->recovery();
  }
  for (const auto& index : files_with(dir.path(), ".idx")) std::filesystem::remove(index);
  auto journal = open_journal(dir.path(), small_segments());
  const RecoveryReport& report = journal->recovery();
  CHECK(report.segments_scanned == report.segments);
  CHECK(report.segments == clean.segments);
  CHECK(report.records == clean.records);
  CHECK(report.bytes == clean.bytes);
  CHECK(report.last_sequence == clean.last_sequence);
  CHECK(report.truncated_bytes == 0);
  Cursor cursor = journal->cursor();
  CHECK(drain(cursor) == messages);
  // The scan wrote the sealed segments' index files again.
  CHECK(files_with(dir.path(), ".idx").size() == report.segments - 1);
}

TEST_CASE("sync is cheap to call and the journal refuses appends once closed", "[journal]") {
  TempDir dir;
  auto journal = open_journal(dir.path());
  CHECK(journal->sync().ok());  // nothing written yet
  append_all(*journal, make_messages(1, 3));
  CHECK(journal->sync().ok());
  CHECK(journal->sync().ok());
  CHECK(journal->close().ok());
  CHECK(journal->append(records_of(make_messages(4, 1))).code() == Errc::closed);
}

TEST_CASE("a cursor reports a record too large for its buffer and stays on it", "[journal]") {
  TempDir dir;
  auto journal = open_journal(dir.path());
  append_all(*journal, make_messages(1, 2, 1, 1000));
  Cursor cursor = journal->cursor();
  std::vector<std::uint8_t> small(100);
  auto refused = cursor.read(small, 10);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.code() == Errc::invalid_argument);
  CHECK(drain(cursor).size() == 2);
}

TEST_CASE("a cursor returns at most the records asked for", "[journal]") {
  TempDir dir;
  auto journal = open_journal(dir.path());
  append_all(*journal, make_messages(1, 10));
  Cursor cursor = journal->cursor();
  std::vector<std::uint8_t> buffer(64 * 1024);
  auto slice = cursor.read(buffer, 3);
  REQUIRE(slice.ok());
  REQUIRE(slice->size() == 3);
  CHECK((*slice)[2].sequence == 3);
  CHECK(drain(cursor, 600).size() == 7);  // two records per slice
}
