// Message ids: random version-4 UUIDs, drawn from a per-thread pool that a fork() renews.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <set>
#include <utility>

#include "enlace/envelope_builder.hpp"

using namespace enlace;

namespace {

std::pair<std::uint64_t, std::uint64_t> key(const wire::Uuid& id) {
  return {id.hi(), id.lo()};
}

}  // namespace

TEST_CASE("message ids are distinct version-4 UUIDs across pool refills", "[message-id]") {
  std::set<std::pair<std::uint64_t, std::uint64_t>> seen;
  for (int i = 0; i < 5000; ++i) {  // about twenty refills of the pool
    const wire::Uuid id = make_message_id();
    CHECK(((id.hi() >> 12) & 0xF) == 4);   // version
    CHECK((id.lo() >> 62) == 0b10);        // RFC 4122 variant
    REQUIRE(seen.insert(key(id)).second);  // never repeated
  }
}

TEST_CASE("a forked child does not repeat its parent's next ids", "[message-id]") {
  (void)make_message_id();  // the pool is filled and partly used before the fork
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    const wire::Uuid id = make_message_id();
    const std::uint64_t words[2] = {id.hi(), id.lo()};
    const bool ok = ::write(pipe_fds[1], words, sizeof(words)) == sizeof(words);
    ::_exit(ok ? 0 : 1);
  }
  const wire::Uuid parent = make_message_id();
  std::uint64_t words[2] = {0, 0};
  CHECK(::read(pipe_fds[0], words, sizeof(words)) == sizeof(words));
  int status = 0;
  ::waitpid(child, &status, 0);
  ::close(pipe_fds[0]);
  ::close(pipe_fds[1]);
  CHECK(WIFEXITED(status));
  CHECK(std::make_pair(words[0], words[1]) != key(parent));
}
