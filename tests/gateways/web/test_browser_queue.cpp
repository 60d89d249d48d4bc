// One browser's queue (gateways/web/src/browser_queue.hpp) and the picture: conflation
// per item, the per-item rate, the send window, and expiry at the stale time.
#include <catch2/catch.hpp>

#include "browser_queue.hpp"
#include "picture.hpp"

namespace web = enlace::web;

namespace {

web::Json json(std::string text) {
  return std::make_shared<const std::string>(std::move(text));
}

}  // namespace

TEST_CASE("a newer update replaces the waiting one of the same item", "[web][queue]") {
  web::BrowserQueue queue(2, 64 << 10, 256 << 10);
  queue.put("a", json("{\"v\":1}"));
  queue.put("a", json("{\"v\":2}"));
  CHECK(queue.waiting() == 1);
  CHECK(queue.stats().conflated == 1);
  CHECK(queue.take(1000) == R"({"type":"update","items":[{"v":2}],"removed":[]})");
  CHECK(queue.take(1000).empty());
}

TEST_CASE("one item goes at most per_second times a second", "[web][queue]") {
  web::BrowserQueue queue(2, 64 << 10, 256 << 10);
  queue.put("a", json("{\"v\":1}"));
  CHECK_FALSE(queue.take(1000).empty());
  queue.put("a", json("{\"v\":2}"));
  queue.put("b", json("{\"w\":1}"));
  // b may go at once; a waits out its 500 ms.
  CHECK(queue.take(1100) == R"({"type":"update","items":[{"w":1}],"removed":[]})");
  CHECK(queue.take(1400).empty());
  CHECK(queue.next_due_ms() == 1500);
  CHECK(queue.take(1500) == R"({"type":"update","items":[{"v":2}],"removed":[]})");
}

TEST_CASE("removals go as ids", "[web][queue]") {
  web::BrowserQueue queue(2, 64 << 10, 256 << 10);
  queue.put("track:COL:r:T1", nullptr);
  CHECK(queue.take(0) == R"({"type":"update","items":[],"removed":["track:COL:r:T1"]})");
}

TEST_CASE("nothing more is sent while the window is full, and it waits conflated", "[web][queue]") {
  web::BrowserQueue queue(50, 16, 32);
  for (int i = 0; i < 10; ++i) queue.put("item" + std::to_string(i), json(std::string(20, 'x')));
  std::size_t sent = 0;
  for (std::string frame = queue.take(0); !frame.empty(); frame = queue.take(0)) sent += frame.size();
  CHECK(sent >= 32);
  CHECK(queue.waiting() > 0);  // the rest waits here, not in the socket
  CHECK(queue.queued_bytes() == sent + queue.waiting() * 20);
  queue.written(sent);
  CHECK_FALSE(queue.take(0).empty());
}

TEST_CASE("the picture keeps the newest item per id and drops it at its stale time", "[web][picture]") {
  web::Picture picture(2);
  web::Json stored;
  CHECK(picture.put({"a", "track", 2000, "{1}"}, 1000, stored) == web::Picture::Put::added);
  CHECK(picture.put({"a", "track", 3000, "{2}"}, 1000, stored) == web::Picture::Put::updated);
  CHECK(*stored == "{2}");
  CHECK(picture.put({"b", "track", 2500, "{3}"}, 1000, stored) == web::Picture::Put::added);
  CHECK(picture.put({"c", "track", 2500, "{4}"}, 1000, stored) == web::Picture::Put::full);
  CHECK(picture.put({"b", "track", 900, "{5}"}, 1000, stored) == web::Picture::Put::already_stale);
  CHECK(picture.size() == 1);
  CHECK(picture.expire(2999).empty());
  CHECK(picture.expire(3000) == std::vector<std::string>{"a"});
  CHECK(picture.bytes() == 0);
}
