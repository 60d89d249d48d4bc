// A real failed write, no mocks: a child process lowers its file size limit
// (RLIMIT_FSIZE, SIGXFSZ ignored) so that the kernel cuts the batch short and then refuses
// it with EFBIG. The append must report storage_unavailable, leave the segment as it was,
// and work again once the limit is lifted; the parent then reopens the journal cleanly.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "enlace/journal/error.hpp"
#include "journal_fixture.hpp"

using namespace enlace;
using namespace enlace::journal;
using namespace enlace::journal::test;

namespace {

// Exit codes of the child, one per step that can go wrong.
enum ChildExit : int {
  kPassed = 0,
  kOpenFailed = 10,
  kFirstAppendFailed,
  kLimitFailed,
  kAppendNotRefused,
  kWrongCode,
  kReasonWithoutErrno,
  kReasonWithoutFile,
  kFileNotSeparable,
  kSegmentNotCutBack,
  kCountsChanged,
  kAppendAfterLiftFailed,
};

int child(const std::filesystem::path& dir) {
  ::signal(SIGXFSZ, SIG_IGN);
  auto opened = Journal::open(dir);
  if (!opened) return kOpenFailed;
  Journal& journal = **opened;
  const auto first = make_messages(1, 10);
  if (!journal.append(records_of(first))) return kFirstAppendFailed;
  const auto segment = dir / "00000000000000000001.seg";
  const std::uintmax_t size = std::filesystem::file_size(segment);

  rlimit limit{};
  ::getrlimit(RLIMIT_FSIZE, &limit);
  const rlimit original = limit;
  limit.rlim_cur = size + 1000;  // the batch below needs about 2600 bytes
  if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) return kLimitFailed;
  const auto second = make_messages(11, 10);
  const Status refused = journal.append(records_of(second));
  if (refused) return kAppendNotRefused;
  std::fprintf(stderr, "append refused: %s\n", refused.error().reason.c_str());
  if (refused.code() != Errc::storage_unavailable || !is_retryable(refused.code()))
    return kWrongCode;
  if (refused.error().reason.find(std::strerror(EFBIG)) == std::string::npos) {
    return kReasonWithoutErrno;
  }
  // The file for the log; the cause alone for whoever must not learn paths.
  if (refused.error().reason.find(segment.string()) == std::string::npos) return kReasonWithoutFile;
  const std::string_view told = without_path(refused.error().reason);
  if (told.find(dir.string()) != std::string_view::npos ||
      told.find(std::strerror(EFBIG)) == std::string_view::npos) {
    return kFileNotSeparable;
  }
  if (std::filesystem::file_size(segment) != size) return kSegmentNotCutBack;
  if (journal.messages() != 10 || journal.last_sequence() != 10) return kCountsChanged;

  if (::setrlimit(RLIMIT_FSIZE, &original) != 0) return kLimitFailed;
  if (!journal.append(records_of(second))) return kAppendAfterLiftFailed;
  return kPassed;
}

}  // namespace

TEST_CASE("a write refused by the file size limit is cut back and reported", "[journal][failure]") {
  TempDir dir;
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) ::_exit(child(dir.path()));
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == kPassed);

  auto journal = open_journal(dir.path());
  CHECK(journal->recovery().truncated_bytes == 0);
  CHECK(journal->recovery().corrupt_records == 0);
  CHECK(journal->last_sequence() == 20);
  Cursor cursor = journal->cursor();
  CHECK(drain(cursor) == make_messages(1, 20));
}
