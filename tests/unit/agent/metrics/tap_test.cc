#include "agent/metrics/tap.h"

#include <doctest/doctest.h>

#include <string>

namespace flumen::metrics {
namespace {

EventBatch batch_of(int from, int count) {
  EventBatch b;
  for (int i = from; i < from + count; ++i)
    b.add(std::to_string(i), {{"n", std::to_string(i)}});
  return b;
}

TEST_CASE("tap: nothing is kept while no reader is attached") {
  Tap tap;
  CHECK_FALSE(tap.attached());
  tap.offer(batch_of(0, 5));
  Tap::Read first = tap.read(std::nullopt, 10, 10);  // attaches, from now on
  CHECK(first.events.empty());
  CHECK(tap.attached());
  Tap::Read again = tap.read(first.next, 10, 10);
  CHECK(again.events.empty());  // the 5 offered before attaching were never copied
}

TEST_CASE("tap: a reader gets copies of what passes after it attached, headers and body") {
  Tap tap;
  Tap::Read r = tap.read(std::nullopt, 3, 3);
  tap.offer(batch_of(10, 2));
  r = tap.read(r.next, 3, 3);
  REQUIRE(r.events.size() == 2);
  CHECK(r.events[0].body == "10");
  CHECK(r.events[1].body == "11");
  REQUIRE(r.events[0].headers.size() == 1);
  CHECK(r.events[0].headers[0] == std::pair<std::string, std::string>("n", "10"));
  CHECK(r.missed == 0);
  // The cursor moves on: the same events are not returned twice.
  Tap::Read next = tap.read(r.next, 3, 3);
  CHECK(next.events.empty());
}

TEST_CASE("tap: the ring is bounded; what left it unread is counted as missed") {
  Tap tap;
  Tap::Read r = tap.read(std::nullopt, 4, 4);
  for (int i = 0; i < 10; ++i)
    tap.offer(batch_of(i * 3, 3));  // 30 events through a ring of 4
  r = tap.read(r.next, 4, 4);
  REQUIRE(r.events.size() == 4);
  CHECK(r.events.front().body == "26");
  CHECK(r.events.back().body == "29");
  CHECK(r.missed == 26);
}

TEST_CASE("tap: a body is cut at kMaxBody, its size kept") {
  Tap tap;
  Tap::Read r = tap.read(std::nullopt, 1, 1);
  EventBatch b;
  b.add(std::string(Tap::kMaxBody + 100, 'x'));
  tap.offer(b);
  r = tap.read(r.next, 1, 1);
  REQUIRE(r.events.size() == 1);
  CHECK(r.events[0].body.size() == Tap::kMaxBody);
  CHECK(r.events[0].body_size == Tap::kMaxBody + 100);
}

TEST_CASE("tap: max limits one answer; the rest comes with the next read") {
  Tap tap;
  Tap::Read r = tap.read(std::nullopt, 2, 10);
  tap.offer(batch_of(0, 5));
  r = tap.read(r.next, 2, 10);
  REQUIRE(r.events.size() == 2);
  CHECK(r.events[1].body == "1");
  r = tap.read(r.next, 10, 10);
  REQUIRE(r.events.size() == 3);
  CHECK(r.events[0].body == "2");
}

}  // namespace
}  // namespace flumen::metrics
