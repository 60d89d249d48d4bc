// SequenceReservation: sequences keep increasing across restarts, the file is written once
// per block, and a process killed while reserving leaves the old file or the new one.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "enlace/journal/sequence_reservation.hpp"
#include "journal_fixture.hpp"

using namespace enlace;
using namespace enlace::journal;
using namespace enlace::journal::test;

namespace {

SequenceReservation open_reservation(const std::filesystem::path& path, std::uint64_t last,
                                     std::uint64_t block) {
  auto opened = SequenceReservation::open(path, last, block);
  INFO(reason_of(opened));
  REQUIRE(opened.ok());
  return std::move(*opened);
}

std::uint64_t next(SequenceReservation& r) {
  auto n = r.next();
  REQUIRE(n.ok());
  return *n;
}

}  // namespace

TEST_CASE("sequences start at 1 and are reserved a block ahead", "[journal][sequence]") {
  TempDir dir;
  const auto path = dir / "sequence";
  auto r = open_reservation(path, 0, 10);
  CHECK_FALSE(std::filesystem::exists(path));  // nothing reserved before it is needed
  CHECK(next(r) == 1);
  CHECK(r.reserved() == 11);
  const auto written = std::filesystem::last_write_time(path);
  for (std::uint64_t s = 2; s <= 10; ++s) CHECK(next(r) == s);
  CHECK(r.reserved() == 11);  // the block lasted: no write
  CHECK(std::filesystem::last_write_time(path) == written);
  CHECK(next(r) == 11);
  CHECK(r.reserved() == 21);
}

TEST_CASE("a restart continues above every sequence handed out", "[journal][sequence]") {
  TempDir dir;
  const auto path = dir / "sequence";
  {
    auto r = open_reservation(path, 0, 100);
    for (int i = 0; i < 5; ++i) next(r);
  }
  auto again = open_reservation(path, 0, 100);
  CHECK(next(again) == 101);  // the rest of the block is skipped: a gap, never a reuse
  // The journal's last sequence wins when it is higher (a reservation file restored from
  // an older backup).
  auto behind = open_reservation(path, 5000, 100);
  CHECK(next(behind) == 5001);
}

TEST_CASE("an interrupted reservation leaves the old file, its temporary is ignored",
          "[journal][sequence]") {
  TempDir dir;
  const auto path = dir / "sequence";
  {
    auto r = open_reservation(path, 0, 100);
    next(r);
  }
  write_file(dir / "sequence.tmp", {1, 2, 3});  // killed before the rename
  auto r = open_reservation(path, 0, 100);
  CHECK(next(r) == 101);
  CHECK_FALSE(std::filesystem::exists(dir / "sequence.tmp"));
}

TEST_CASE("a damaged reservation file is refused", "[journal][sequence]") {
  TempDir dir;
  const auto path = dir / "sequence";
  {
    auto r = open_reservation(path, 0, 100);
    next(r);
  }
  auto bytes = read_file(path);
  bytes[9] ^= 1;
  write_file(path, bytes);
  auto opened = SequenceReservation::open(path, 0, 100);
  REQUIRE_FALSE(opened.ok());
  CHECK(opened.code() == Errc::storage_unavailable);
  CHECK(SequenceReservation::open(dir / "other", 0, 0).code() == Errc::invalid_argument);
}

TEST_CASE("a process killed while reserving leaves a whole file above what it handed out",
          "[journal][sequence]") {
  TempDir dir;
  const auto path = dir / "sequence";
  for (int round = 0; round < 3; ++round) {
    int pipe_fds[2];
    REQUIRE(::pipe(pipe_fds) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::close(pipe_fds[0]);
      // A block of 1: every sequence is a file replacement, so the kill lands in one.
      auto opened = SequenceReservation::open(path, 0, 1);
      if (!opened) ::_exit(1);
      for (;;) {
        auto n = opened->next();
        if (!n) ::_exit(2);
        const std::uint64_t value = *n;
        if (::write(pipe_fds[1], &value, sizeof(value)) != sizeof(value)) ::_exit(3);
      }
    }
    ::close(pipe_fds[1]);
    std::uint64_t last = 0;
    for (int i = 0; i < 50 + round * 37; ++i) {
      REQUIRE(::read(pipe_fds[0], &last, sizeof(last)) == sizeof(last));
    }
    ::kill(pid, SIGKILL);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK(WIFSIGNALED(status));
    // Values still in the pipe were handed out too.
    for (std::uint64_t more; ::read(pipe_fds[0], &more, sizeof(more)) == sizeof(more);) last = more;
    ::close(pipe_fds[0]);

    auto r = open_reservation(path, 0, 1);
    INFO("round " << round << ", last handed out " << last);
    CHECK(r.peek() > last);
  }
}
