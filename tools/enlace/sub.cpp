// enlace sub: subscribes and prints one JSON object per delivery, one per line.
//
// Threads: deliveries arrive on the client's I/O thread, which formats and writes each
// line and flushes it, so a reader of the pipe sees every message as it comes. The main
// thread only waits: on a signalfd for SIGINT/SIGTERM and on an eventfd the I/O thread
// raises when the count is reached, output fails, or the subscription is lost. Signals are
// blocked before the client starts its threads, so they reach no thread but the signalfd.
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <optional>
#include <tuple>
#include <utility>

#include "commands.hpp"
#include "enlace/topic.hpp"
#include "json_codec.hpp"
#include "session.hpp"

namespace enlace::cli {
namespace {

constexpr std::array<OptionSpec, 12> kOptions = {{
    kBrokerOption,
    kBrokerKeyOption,
    kKeysOption,
    kContextOption,
    kConnectTimeoutOption,
    {"pattern", true, 'p'},
    {"snapshot", false},
    {"replay-from", true},
    {"conflate", false},
    {"count", true, 'n'},
    {"timeout", true},
    {"quiet", false, 'q'},
}};

const std::string& usage() {
  static const std::string text =
      std::string(
          R"usage(usage: enlace sub [--broker ENDPOINT --broker-key FILE --keys BASE] --pattern PATTERN
                  [--snapshot | --replay-from START] [--conflate] [--count N] [--timeout S]
                  [--quiet]
       enlace sub [options] PATTERN

Subscribes to PATTERN (tokens separated by dots; * stands for one token, a final > for
the rest) and prints each delivery as one line of JSON: the broker's sequence and receive
time, the topic, the authenticated origin, the label and the payload decoded through the
schema. Each line is flushed as it is written.

)usage") +
      std::string(kBrokerOptionsUsage) +
      R"usage(  -p, --pattern PATTERN    e.g. track.> or alert.*.drone (or the one positional argument)
  --snapshot               first the cached messages this system may see, then live
  --replay-from START      first the journaled messages of durable topics this system may
                           see, from START: seq:N (sequence N on), earliest (all kept) or
                           time:2026-12-01T10:00:00Z (received then or later, UTC); each
                           such line has "replayed":true; then live
  --conflate               on a slow link, only the newest pending message per topic
  -n, --count N            exit after N deliveries
  --timeout S              exit after S seconds without reaching --count (counted from
                           the moment the subscription is in place)
  -q, --quiet              no status lines on stderr

Stops at --count, at --timeout, or on Ctrl-C / SIGTERM. The broker refusing the pattern
prints "error: subscribe_denied (203): <reason>" (or wildcard_forbidden, invalid_pattern)
on stderr.

Exit status: 0 done (count reached, interrupted, or timed out without --count),
1 refused (the pattern, the handshake or a key), or the subscription was lost, 2 usage
error, 3 --timeout passed before --count deliveries, 4 the broker could not be reached
(connection refused, unreachable, no session within --connect-timeout).
)usage";
  return text;
}

// Closes a file descriptor at scope exit.
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

void raise_event(int fd) {
  const std::uint64_t one = 1;
  // An eventfd write of 1 cannot block or fail short of overflow; nothing to handle.
  [[maybe_unused]] const auto n = ::write(fd, &one, sizeof(one));
}

// Errors after the subscription was granted that end it: the session is over or the
// resubscription after a policy change was refused.
bool ends_subscription(Errc code) noexcept {
  return code == Errc::revoked || code == Errc::subscribe_denied ||
         code == Errc::wildcard_forbidden || code == Errc::authentication_failed;
}

// --replay-from: seq:N, earliest, or time: an RFC 3339 UTC time with optional fractions of
// a second (2026-12-01T10:00:00Z, 2026-12-01T10:00:00.250Z).
std::pair<wire::ReplayFrom, std::uint64_t> parse_replay_start(std::string_view text) {
  if (text == "earliest") return {wire::ReplayFrom::Earliest, 0};
  if (text.starts_with("seq:")) {
    return {wire::ReplayFrom::Sequence,
            parse_count(std::string(text.substr(4)), "replay-from seq")};
  }
  if (text.starts_with("time:")) {
    const std::string time(text.substr(5));
    std::tm tm{};
    int consumed = 0;
    if (std::sscanf(time.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                    &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) == 6) {
      std::int64_t nanos = 0;
      std::size_t at = static_cast<std::size_t>(consumed);
      if (at < time.size() && time[at] == '.') {
        std::int64_t scale = 100'000'000;
        for (++at; at < time.size() && std::isdigit(static_cast<unsigned char>(time[at])); ++at) {
          nanos += (time[at] - '0') * scale;
          scale /= 10;
        }
      }
      tm.tm_year -= 1900;
      tm.tm_mon -= 1;
      const std::time_t seconds = ::timegm(&tm);
      if (at + 1 == time.size() && time[at] == 'Z' && seconds >= 0 && tm.tm_mon >= 0) {
        return {wire::ReplayFrom::Time, static_cast<std::uint64_t>(seconds) * 1'000'000'000ULL +
                                            static_cast<std::uint64_t>(nanos)};
      }
    }
  }
  throw UsageError("--replay-from '" + std::string(text) +
                   "': want seq:N, earliest or time:YYYY-MM-DDTHH:MM:SSZ (UTC)");
}

int run(const Args& args) {
  // The pattern is the one thing sub always needs: `enlace sub 'track.>'` names it alone.
  const auto& positional = args.positional();
  if (positional.size() > 1 || (positional.size() == 1 && args.has("pattern")))
    throw UsageError("unexpected argument '" + positional.back() + "'");
  const std::string pattern = positional.empty() ? args.required("pattern") : positional[0];
  if (!topic::is_valid_pattern(pattern)) {
    throw UsageError("'" + pattern +
                     "' is not a valid pattern: dot-separated tokens, '*' for one token, "
                     "a final '>' for the rest");
  }
  const std::optional<std::uint64_t> limit =
      args.has("count") ? std::optional(parse_count(*args.value("count"), "count")) : std::nullopt;
  if (limit && *limit == 0) throw UsageError("--count wants at least 1");
  const bool has_timeout = args.has("timeout");
  const std::chrono::milliseconds timeout =
      has_timeout ? parse_seconds(*args.value("timeout"), "timeout") : std::chrono::milliseconds(0);
  const bool quiet = args.has("quiet");

  auto options = client_options(args, "sub");
  if (!options) {
    print_error(options.error());
    return kExitFailure;
  }

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);  // a closed pipe shows up as a write error instead
  const Fd signal_fd(::signalfd(-1, &signals, SFD_CLOEXEC));
  const Fd done_fd(::eventfd(0, EFD_CLOEXEC));
  if (signal_fd.fd < 0 || done_fd.fd < 0) {
    std::fprintf(stderr, "enlace sub: cannot set up signal handling: %s\n", std::strerror(errno));
    return kExitFailure;
  }

  // State shared with the I/O thread's callbacks; declared before the client, which stops
  // calling them when it closes.
  const JsonCodec codec;
  std::atomic<std::uint64_t> received{0};
  std::atomic<int> write_errno{0};
  std::atomic<bool> lost{false};
  std::atomic<bool> subscribed{false};

  options->on_error = [&](const ErrorInfo& error) {
    print_error(error);
    if (ends_subscription(error.code)) {
      lost = true;
      raise_event(done_fd.fd);
    }
  };
  options->on_state = [&](ConnectionState state, const ErrorInfo& error) {
    if (quiet || !subscribed) return;
    if (state == ConnectionState::reconnecting) {
      std::fprintf(stderr, "enlace sub: connection lost (%s); reconnecting\n",
                   error.reason.empty() ? "no reason given" : error.reason.c_str());
    } else if (state == ConnectionState::connected) {
      std::fputs("enlace sub: reconnected\n", stderr);
    }
  };

  // Connecting waits on the I/O thread's state changes and on the signals together, so
  // Ctrl-C ends a connection attempt at once.
  ConnectionWatch watch;
  watch.attach(*options);
  const std::string endpoint = options->endpoint;
  const auto client = make_client(std::move(*options));
  bool interrupted = false;
  if (const auto failed = await_session(*client, watch, endpoint, connect_timeout(args),
                                        signal_fd.fd, interrupted)) {
    if (interrupted) return kExitOk;  // interrupted before anything happened
    print_error(*failed);
    return exit_status_for(*failed);
  }

  const auto handler = [&](const Delivery& delivery) {
    if ((limit && received >= *limit) || write_errno != 0) return;
    std::string line = codec.delivery_to_json(delivery);
    line += '\n';
    errno = 0;
    if (std::fwrite(line.data(), 1, line.size(), stdout) != line.size() ||
        std::fflush(stdout) != 0) {
      write_errno = errno != 0 ? errno : EIO;
      raise_event(done_fd.fd);
      return;
    }
    if (++received == limit.value_or(0)) raise_event(done_fd.fd);
  };
  SubscribeOptions subscribe_options;
  subscribe_options.snapshot = args.has("snapshot");
  if (const auto start = args.value("replay-from")) {
    if (subscribe_options.snapshot)
      throw UsageError("--snapshot and --replay-from exclude each other");
    std::tie(subscribe_options.replay_from, subscribe_options.replay_value) =
        parse_replay_start(*start);
  }
  if (args.has("conflate")) subscribe_options.conflation = wire::Conflation::LatestPerTopic;
  if (!quiet) {
    subscribe_options.on_snapshot_end = [](std::uint32_t cached) {
      std::fprintf(stderr, "enlace sub: end of snapshot (%u cached messages)\n", cached);
    };
    subscribe_options.on_replay_end = [](const ReplayEnd& end) {
      std::fprintf(stderr, "enlace sub: end of replay (%llu journaled messages)\n",
                   static_cast<unsigned long long>(end.replayed));
      if (end.damaged > 0) {
        std::fprintf(stderr,
                     "enlace sub: the replay skipped %llu damaged journal record(s): messages "
                     "may be missing (the broker's log names them)\n",
                     static_cast<unsigned long long>(end.damaged));
      }
    };
  }
  const auto subscription = client->subscribe(pattern, handler, std::move(subscribe_options));
  if (!subscription) {
    print_error(subscription.error());
    return kExitFailure;
  }
  subscribed = true;
  if (!quiet) {
    const SessionInfo session = client->session();
    std::fprintf(stderr, "enlace sub: subscribed to '%s' as %s (%s, role %s)\n", pattern.c_str(),
                 session.system.c_str(), session.nation.c_str(), session.role.c_str());
  }

  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool timed_out = false;
  for (;;) {
    int wait_ms = -1;
    if (has_timeout) {
      const auto left =
          std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      wait_ms = static_cast<int>(std::max<std::int64_t>(0, left.count()));
    }
    std::array<pollfd, 2> fds{{{signal_fd.fd, POLLIN, 0}, {done_fd.fd, POLLIN, 0}}};
    const int ready = ::poll(fds.data(), fds.size(), wait_ms);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) {
      std::fprintf(stderr, "enlace sub: poll failed: %s\n", std::strerror(errno));
      client->close();
      return kExitFailure;
    }
    if (ready == 0) {
      timed_out = true;
      break;
    }
    // Either a signal (Ctrl-C, SIGTERM: a normal end) or the I/O thread's event.
    if ((fds[0].revents | fds[1].revents) & POLLIN) break;
  }
  client->close();  // no callback runs after this

  if (lost) return kExitFailure;
  if (const int error = write_errno; error != 0) {
    if (error == EPIPE) return kExitOk;  // the reader went away, e.g. `| head -n 1`
    std::fprintf(stderr, "enlace sub: cannot write output: %s\n", std::strerror(error));
    return kExitFailure;
  }
  if (timed_out && limit && received < *limit) {
    if (!quiet) {
      std::fprintf(stderr, "enlace sub: timed out with %llu of %llu deliveries\n",
                   static_cast<unsigned long long>(received.load()),
                   static_cast<unsigned long long>(*limit));
    }
    return kExitTimeout;
  }
  return kExitOk;
}

}  // namespace

const Command& sub_command() {
  static const Command command{"sub", "subscribe and print each delivery as a line of JSON",
                               usage(), kOptions, run};
  return command;
}

}  // namespace enlace::cli
