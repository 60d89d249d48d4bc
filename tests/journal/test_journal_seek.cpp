// Seeking by sequence (exact, in a gap, before the first, after the last) and by time,
// across segments, through the sparse index.
#include <catch2/catch.hpp>

#include "journal_fixture.hpp"

using namespace enlace;
using namespace enlace::journal;
using namespace enlace::journal::test;

namespace {

/// The first record the cursor returns, if any.
std::optional<Message> first_read(Cursor& cursor) {
  std::vector<std::uint8_t> buffer(64 * 1024);
  auto slice = cursor.read(buffer, 1);
  REQUIRE(slice.ok());
  if (slice->empty()) return std::nullopt;
  return Message::from(slice->front());
}

}  // namespace

TEST_CASE("seek by sequence finds the record, the next after a gap, or the ends",
          "[journal][seek]") {
  TempDir dir;
  auto journal = open_journal(dir.path(), small_segments());
  const auto messages = make_messages(100, 300, 10);  // 100, 110, ... 3090, over many segments
  append_all(*journal, messages);
  REQUIRE(journal->segments() > 10);
  Cursor cursor = journal->cursor();

  for (std::size_t i : {0, 1, 17, 150, 298, 299}) {
    INFO("exact " << messages[i].sequence);
    cursor.seek_sequence(messages[i].sequence);
    CHECK(first_read(cursor) == messages[i]);
    INFO("in the gap after " << messages[i].sequence);
    cursor.seek_sequence(messages[i].sequence - 3);
    CHECK(first_read(cursor) == messages[i]);
  }
  cursor.seek_sequence(1);
  CHECK(first_read(cursor) == messages.front());
  cursor.seek_sequence(5000);
  CHECK(first_read(cursor) == std::nullopt);
  // Positioned at the end: the records appended later are read.
  append_all(*journal, make_messages(5001, 2));
  CHECK(first_read(cursor)->sequence == 5001);

  cursor.seek_sequence(messages[40].sequence);
  const auto rest = drain(cursor);
  REQUIRE(rest.size() == 260 + 2);
  CHECK(rest[0] == messages[40]);
  CHECK(rest[259] == messages[299]);
}

TEST_CASE("seek by time finds the first record at or after it", "[journal][seek]") {
  TempDir dir;
  auto journal = open_journal(dir.path(), small_segments());
  const auto messages = make_messages(1, 200);  // times kBaseTime + seq ms
  append_all(*journal, messages);
  Cursor cursor = journal->cursor();

  cursor.seek_time(messages[57].time_ns);
  CHECK(first_read(cursor) == messages[57]);
  cursor.seek_time(messages[57].time_ns - 1);
  CHECK(first_read(cursor) == messages[57]);
  cursor.seek_time(messages[57].time_ns + 1);
  CHECK(first_read(cursor) == messages[58]);
  cursor.seek_time(0);
  CHECK(first_read(cursor) == messages[0]);
  cursor.seek_time(messages.back().time_ns + 1);
  CHECK(first_read(cursor) == std::nullopt);
  cursor.seek_earliest();
  CHECK(first_read(cursor) == messages[0]);
}

TEST_CASE("seek by time keeps log order when the clock steps back", "[journal][seek]") {
  TempDir dir;
  auto journal = open_journal(dir.path(), small_segments());
  auto messages = make_messages(1, 100);
  for (std::size_t i = 50; i < 100; ++i) messages[i].time_ns -= 40'000'000;  // 40 ms back
  append_all(*journal, messages);
  Cursor cursor = journal->cursor();
  // First record in log order at or after the time of sequence 30 (a later one has an
  // earlier time, but comes after it).
  cursor.seek_time(messages[29].time_ns);
  CHECK(first_read(cursor) == messages[29]);
  // Later than everything before the step: first found after it.
  cursor.seek_time(messages[49].time_ns + 1);
  CHECK(first_read(cursor)->sequence == 91);
}

TEST_CASE("a cursor on an empty journal finds the records appended later", "[journal][seek]") {
  TempDir dir;
  auto journal = open_journal(dir.path());
  Cursor cursor = journal->cursor();
  CHECK(first_read(cursor) == std::nullopt);
  cursor.seek_sequence(3);
  append_all(*journal, make_messages(1, 5));
  CHECK(first_read(cursor)->sequence == 3);
}
