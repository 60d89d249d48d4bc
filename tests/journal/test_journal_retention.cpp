// Retention: whole sealed segments deleted, oldest first, by each of the three limits; the
// active segment never.
#include <catch2/catch.hpp>

#include "journal_fixture.hpp"

using namespace enlace;
using namespace enlace::journal;
using namespace enlace::journal::test;

namespace {

struct Retained {
  std::unique_ptr<Journal> journal;
  std::vector<Message> messages;
};

Retained filled(const TempDir& dir, const Retention& retention) {
  Options options = small_segments();
  options.retention = retention;
  Retained r{open_journal(dir.path(), options), make_messages(1, 100)};
  append_all(*r.journal, r.messages);
  REQUIRE(r.journal->segments() > 5);
  return r;
}

/// What is kept is what a cursor reads: the newest records, from first_sequence().
void check_kept(Journal& journal, const std::vector<Message>& messages) {
  Cursor cursor = journal.cursor();
  const auto read = drain(cursor);
  REQUIRE(read.size() == journal.messages());
  REQUIRE_FALSE(read.empty());
  CHECK(read.front().sequence == journal.first_sequence());
  CHECK(std::equal(read.begin(), read.end(), messages.end() - static_cast<long>(read.size())));
}

}  // namespace

TEST_CASE("retention by messages deletes the oldest segments while over the limit",
          "[journal][retention]") {
  TempDir dir;
  auto [journal, messages] = filled(dir, {.max_messages = 30});
  const std::size_t segments = journal->segments();
  const RetentionReport removed = journal->enforce_retention(kBaseTime);
  CHECK(removed.segments > 0);
  CHECK(journal->segments() == segments - removed.segments);
  CHECK(removed.records == 100 - journal->messages());
  CHECK(journal->messages() <= 30);
  CHECK(journal->messages() > 30 - 16);  // no more than needed: about 15 records a segment
  CHECK(files_with(dir.path(), ".seg").size() == journal->segments());
  CHECK(files_with(dir.path(), ".idx").size() == journal->segments() - 1);
  check_kept(*journal, messages);
  CHECK(journal->enforce_retention(kBaseTime).segments == 0);  // nothing more to do
}

TEST_CASE("retention by bytes deletes the oldest segments while over the limit",
          "[journal][retention]") {
  TempDir dir;
  auto [journal, messages] = filled(dir, {.max_bytes = 10000});
  const std::uint64_t before = journal->bytes();
  const RetentionReport removed = journal->enforce_retention(kBaseTime);
  CHECK(removed.bytes == before - journal->bytes());
  CHECK(journal->bytes() <= 10000);
  CHECK(journal->bytes() > 10000 - 4096);
  check_kept(*journal, messages);
}

TEST_CASE("retention by age deletes segments whose newest record is too old",
          "[journal][retention]") {
  TempDir dir;
  auto [journal, messages] = filled(dir, {.max_age = std::chrono::milliseconds(150)});
  // Record n was received at kBaseTime + n ms; at kBaseTime + 200 ms those up to 50 ms are
  // too old.
  const RetentionReport removed = journal->enforce_retention(kBaseTime + 200'000'000);
  CHECK(removed.segments > 0);
  const std::uint64_t first = journal->first_sequence();
  CHECK(first <= 51);      // a segment holding a record of 50 ms or later stays
  CHECK(first > 51 - 16);  // one holding only older records goes
  check_kept(*journal, messages);
}

TEST_CASE("retention never deletes the active segment", "[journal][retention]") {
  TempDir dir;
  auto [journal, messages] = filled(dir, {.max_messages = 1});
  journal->enforce_retention(kBaseTime);
  CHECK(journal->segments() == 1);
  CHECK(journal->messages() > 1);
  check_kept(*journal, messages);
  // And the journal reopens as it was left.
  const std::uint64_t kept = journal->messages();
  journal.reset();
  auto reopened = open_journal(dir.path(), small_segments());
  CHECK(reopened->messages() == kept);
  CHECK(reopened->last_sequence() == 100);
}
