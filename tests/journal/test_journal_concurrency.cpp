// One writer appending and enforcing retention while reader threads read: every record a
// reader sees is whole and in order, and each reader reaches the last one. No sleeps: the
// readers spin on the cursor (yielding) until they see the end, bounded by a deadline.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include "journal_fixture.hpp"

using namespace enlace;
using namespace enlace::journal;
using namespace enlace::journal::test;

namespace {

struct ReaderResult {
  std::uint64_t records = 0;
  std::uint64_t last = 0;
  bool in_order = true;
  bool intact = true;
  bool failed = false;
  bool timed_out = false;
};

void read_until(Cursor cursor, std::uint64_t last_sequence, ReaderResult& result) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::vector<std::uint8_t> buffer(8 * 1024);
  while (result.last < last_sequence) {
    if (std::chrono::steady_clock::now() > deadline) {
      result.timed_out = true;
      return;
    }
    auto slice = cursor.read(buffer, 64);
    if (!slice) {
      result.failed = true;
      return;
    }
    if (slice->empty()) std::this_thread::yield();
    for (const Record& r : *slice) {
      result.in_order = result.in_order && r.sequence > result.last;
      result.intact = result.intact && Message::from(r) == make_messages(r.sequence, 1)[0];
      result.last = r.sequence;
      ++result.records;
    }
  }
}

}  // namespace

TEST_CASE("readers read while the writer appends and retention deletes segments",
          "[journal][threads]") {
  TempDir dir;
  Options options = small_segments(8192);
  options.retention.max_messages = 400;
  auto journal = open_journal(dir.path(), options);
  constexpr std::uint64_t kLast = 3000;

  ReaderResult from_start, from_middle;
  Cursor middle = journal->cursor();
  middle.seek_sequence(1500);
  std::thread a(read_until, journal->cursor(), kLast, std::ref(from_start));
  std::thread b(read_until, std::move(middle), kLast, std::ref(from_middle));

  std::uint64_t removed = 0;
  for (std::uint64_t first = 1; first <= kLast; first += 10) {
    append_all(*journal, make_messages(first, 10));
    removed += journal->enforce_retention(kBaseTime).segments;
  }
  a.join();
  b.join();
  CHECK(removed > 10);
  for (const ReaderResult* r : {&from_start, &from_middle}) {
    CHECK_FALSE(r->failed);
    CHECK_FALSE(r->timed_out);
    CHECK(r->in_order);
    CHECK(r->intact);
    CHECK(r->last == kLast);
  }
  CHECK(from_middle.records <= kLast - 1500 + 1);
}
