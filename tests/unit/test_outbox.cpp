// The client's outbox without a broker: its byte bound, the send-now invariant, and
// what the I/O thread takes.
#include <catch2/catch.hpp>

#include <thread>
#include <vector>

#include "outbox.hpp"

using namespace enlace;
using detail::Outbox;

namespace {

const std::vector<std::uint8_t> kEnvelope(100, 7);

void no_unlock(void*) {}

Result<Outbox::Route> admit(Outbox& outbox, bool may_send_now, bool& wake) {
  return outbox.admit(kEnvelope, 0, may_send_now, true, wake, no_unlock, nullptr);
}

}  // namespace

TEST_CASE("the outbox refuses what exceeds its byte bound, counting what is in flight",
          "[outbox]") {
  Outbox outbox(250, std::chrono::milliseconds(0));
  bool wake = false;
  REQUIRE(admit(outbox, false, wake).ok());
  CHECK(wake);  // it was empty: the I/O thread must look
  REQUIRE(admit(outbox, false, wake).ok());
  CHECK_FALSE(wake);
  CHECK(admit(outbox, false, wake).code() == Errc::queue_full);

  protocol::RecordBuffer buffer;
  std::vector<protocol::RecordRef> records;
  REQUIRE(outbox.take(buffer, records));
  CHECK(records.size() == 2);
  CHECK(admit(outbox, false, wake).code() == Errc::queue_full);  // still in flight
  outbox.sent();
  CHECK(admit(outbox, false, wake).ok());
}

TEST_CASE("a message goes out from its publishing thread only when nothing is ahead of it",
          "[outbox]") {
  Outbox outbox(1 << 20, std::chrono::milliseconds(0));
  bool wake = false;
  CHECK(*admit(outbox, true, wake) == Outbox::Route::send_now);
  CHECK(*admit(outbox, false, wake) == Outbox::Route::queued);
  // Something is queued now: even a caller holding the socket must queue behind it.
  CHECK(*admit(outbox, true, wake) == Outbox::Route::queued);
  protocol::RecordBuffer buffer;
  std::vector<protocol::RecordRef> records;
  REQUIRE(outbox.take(buffer, records));
  CHECK(*admit(outbox, true, wake) == Outbox::Route::queued);  // behind what is in flight
  outbox.sent();
  CHECK(*admit(outbox, true, wake) == Outbox::Route::queued);  // behind the one just queued
  buffer.clear();
  records.clear();
  REQUIRE(outbox.take(buffer, records));
  CHECK(records.size() == 2);
  outbox.sent();
  CHECK(*admit(outbox, true, wake) == Outbox::Route::send_now);
}

TEST_CASE("a publisher waits for room, and is released when the I/O thread has sent", "[outbox]") {
  Outbox outbox(150, std::chrono::seconds(30));
  bool wake = false;
  REQUIRE(admit(outbox, false, wake).ok());
  protocol::RecordBuffer buffer;
  std::vector<protocol::RecordRef> records;
  REQUIRE(outbox.take(buffer, records));
  std::thread io([&] { outbox.sent(); });
  CHECK(admit(outbox, false, wake).ok());  // waited for sent()
  io.join();
  CHECK(outbox.wait_drained(std::chrono::milliseconds(0)) == false);
  outbox.close();
  CHECK(admit(outbox, false, wake).code() == Errc::closed);
  CHECK(outbox.wait_drained(std::chrono::milliseconds(0)));
}
