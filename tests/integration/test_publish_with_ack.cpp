// Client::publish_with_ack over a real broker: many publishes wait for their answers at
// once, each handler runs once with its own answer (the Ack and its sequence, or the
// broker's refusal), and a handler never waits forever: no answer in time is a timeout, a
// client that closes answers the rest with closed, and past max_pending_acks the publish
// itself is refused.
#include <signal.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include "broker_process.hpp"
#include "raw_client.hpp"

using namespace enlace;
using namespace enlace::test;

namespace {

// fsync: the slowest journal, where group commit matters most.
constexpr const char* kDurable = R"(
[[durable]]
name = "log"
topics = ["text.*.log.>"]
durability = "fsync"
)";

auto text(const char* body) {
  return [body](flatbuffers::FlatBufferBuilder& fbb) { return wire::CreateTextDirect(fbb, body); };
}

/// The answers handlers received, in the order they ran (all on the client's I/O thread),
/// and how many publishes still wait for theirs.
struct Answers {
  std::mutex mutex;
  std::vector<Result<PublishAck>> got;
  std::atomic<int> in_flight{0};

  std::size_t size() {
    std::lock_guard lock(mutex);
    return got.size();
  }
};

/// Publishes with a handler that records into `answers`. The handler may run before
/// publish_with_ack returns, so the window is counted before the call.
Result<wire::Uuid> publish_recorded(Client& client, const std::string& topic, Answers& answers) {
  answers.in_flight.fetch_add(1);
  auto published =
      client.publish_with_ack(topic, text("report"), [&answers](const Result<PublishAck>& answer) {
        {
          std::lock_guard lock(answers.mutex);
          answers.got.push_back(answer);
        }
        answers.in_flight.fetch_sub(1);
      });
  if (!published) answers.in_flight.fetch_sub(1);
  return published;
}

}  // namespace

TEST_CASE("publish_with_ack: a window of durable publishes in flight, each answered in order",
          "[integration][client][durable]") {
  ScratchDir data;
  TestCoalition coalition;
  const auto& publisher = coalition.add("col-cp", "COL", "command_post");
  coalition.extra = kDurable;
  BrokerProcess broker(coalition, {"--data-dir", data.path.string()});
  Client client(broker.options_for(publisher));
  REQUIRE(client.wait_connected(10s).ok());

  // A window far larger than one journal batch's worth of passes: every publish is stored
  // and acknowledged, none refused because the journal thread had too many small batches.
  constexpr int kMessages = 5000, kWindow = 512;
  Answers answers;
  std::vector<wire::Uuid> ids;
  for (int i = 0; i < kMessages; ++i) {
    REQUIRE(eventually([&] { return answers.in_flight.load() < kWindow; }, 30s));
    auto published = publish_recorded(client, "text.COL.log.ops", answers);
    REQUIRE(published.ok());
    ids.push_back(*published);
  }
  REQUIRE(eventually([&] { return answers.size() == kMessages; }, 60s));

  std::lock_guard lock(answers.mutex);
  std::uint64_t previous = 0;
  for (std::size_t i = 0; i < answers.got.size(); ++i) {
    const auto& answer = answers.got[i];
    INFO("answer " << i);
    REQUIRE(answer.ok());
    // One topic, one connection: the broker answers in publish order.
    CHECK(same_id(answer->message_id, ids[i]));
    CHECK(answer->sequence > previous);
    previous = answer->sequence;
  }
  CHECK(client.stats().broker_errors == 0);
}

TEST_CASE("publish_with_ack: the broker's refusal goes to the handler, not to on_error",
          "[integration][client]") {
  TestCoalition coalition;
  const auto& publisher = coalition.add("col-cp", "COL", "command_post");
  BrokerProcess broker(coalition);
  auto options = broker.options_for(publisher);
  std::atomic<int> reported{0};
  options.on_error = [&](const ErrorInfo&) { reported.fetch_add(1); };
  Client client(options);
  REQUIRE(client.wait_connected(10s).ok());

  Answers answers;
  // Allowed: COL publishes text under its own nation. Denied: under another's.
  const auto allowed = publish_recorded(client, "text.COL.log.ops", answers);
  REQUIRE(allowed.ok());
  REQUIRE(publish_recorded(client, "text.ECU.log.ops", answers).ok());
  REQUIRE(eventually([&] { return answers.size() == 2; }, 10s));

  std::lock_guard lock(answers.mutex);
  REQUIRE(answers.got[0].ok());
  CHECK(same_id(answers.got[0]->message_id, *allowed));
  CHECK(answers.got[0]->sequence > 0);
  REQUIRE_FALSE(answers.got[1].ok());
  CHECK(answers.got[1].code() == Errc::publish_denied);
  CHECK(reported.load() == 0);
  CHECK(client.stats().broker_errors == 1);
}

TEST_CASE("publish_with_ack: no answer is a timeout, a full window queue_full, close answers",
          "[integration][client]") {
  TestCoalition coalition;
  const auto& publisher = coalition.add("col-cp", "COL", "command_post");
  BrokerProcess broker(coalition);
  auto quick = broker.options_for(publisher);
  quick.ack_timeout = 300ms;
  auto bounded = broker.options_for(publisher);
  bounded.ack_timeout = 60s;
  bounded.max_pending_acks = 2;
  Client times_out(quick);
  Client closes(bounded);
  REQUIRE(times_out.wait_connected(10s).ok());
  REQUIRE(closes.wait_connected(10s).ok());

  // A stopped broker reads nothing and answers nothing (and is resumed before the end).
  REQUIRE(::kill(broker.pid(), SIGSTOP) == 0);
  struct Resume {
    int pid;
    ~Resume() { ::kill(pid, SIGCONT); }
  } resume{broker.pid()};

  Answers late;
  REQUIRE(publish_recorded(times_out, "text.COL.log.ops", late).ok());
  REQUIRE(eventually([&] { return late.size() == 1; }, 10s));
  {
    std::lock_guard lock(late.mutex);
    CHECK(late.got.front().code() == Errc::timeout);
  }

  Answers pending;
  REQUIRE(publish_recorded(closes, "text.COL.log.ops", pending).ok());
  REQUIRE(publish_recorded(closes, "text.COL.log.ops", pending).ok());
  const auto refused = publish_recorded(closes, "text.COL.log.ops", pending);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.code() == Errc::queue_full);
  CHECK(pending.size() == 0);

  closes.close();
  REQUIRE(pending.size() == 2);
  std::lock_guard lock(pending.mutex);
  for (const auto& answer : pending.got) CHECK(answer.code() == Errc::closed);
}
