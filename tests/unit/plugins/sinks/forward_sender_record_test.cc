#include "plugins/sinks/forward/sender_record.h"

#include <doctest/doctest.h>

namespace flumen::plugins {
namespace {

TEST_CASE("forward sender record: round trip with and without a take in flight") {
  SenderRecord r;
  r.stream = 0xfedcba9876543210ULL;
  r.next_seq = 42;
  r.recorded_at_ms = 1764633600123;
  auto back = SenderRecord::decode(r.encode());
  REQUIRE(back);
  CHECK(back->stream == r.stream);
  CHECK(back->next_seq == 42);
  CHECK(back->recorded_at_ms == r.recorded_at_ms);
  CHECK_FALSE(back->has_plan());

  r.takes.push_back({39, 2500, 0x0123456789abcdefULL, {1000, 1000, 500}});
  CHECK(r.encode() == "1 fedcba9876543210 42 1764633600123 39 2500 123456789abcdef 1000,1000,500");
  back = SenderRecord::decode(r.encode());
  REQUIRE(back);
  REQUIRE(back->takes.size() == 1);
  CHECK(back->takes[0].first_seq == 39);
  CHECK(back->takes[0].counts == std::vector<uint32_t>{1000, 1000, 500});
  CHECK(back->takes[0].events == 2500);
  CHECK(back->takes[0].events_hash == 0x0123456789abcdefULL);
}

TEST_CASE("forward sender record: the takes of a sync window, in order") {
  SenderRecord r;
  r.stream = 0xab;
  r.next_seq = 50;
  r.takes.push_back({40, 100, 0x11, {100}});
  r.takes.push_back({41, 100, 0x22, {60, 40}});
  r.takes.push_back({43, 7, 0x33, {7}});
  CHECK(r.encode() == "1 ab 50 0 40 100 11 100 41 100 22 60,40 43 7 33 7");
  auto back = SenderRecord::decode(r.encode());
  REQUIRE(back);
  REQUIRE(back->takes.size() == 3);
  CHECK(back->takes[1].first_seq == 41);
  CHECK(back->takes[1].counts == std::vector<uint32_t>{60, 40});
  CHECK(back->takes[2].events == 7);
  CHECK(back->takes[2].events_hash == 0x33);
}

TEST_CASE("forward sender record: a value that does not describe a plan exactly is refused") {
  CHECK_FALSE(SenderRecord::decode(""));
  CHECK_FALSE(SenderRecord::decode("2 ab 3 0"));                       // unknown version
  CHECK_FALSE(SenderRecord::decode("1 zz 3 0"));                       // stream not hex
  CHECK_FALSE(SenderRecord::decode("1 ab 0 0"));                       // next_seq 0
  CHECK_FALSE(SenderRecord::decode("1 ab 5 0 3 10 ff 4,5"));           // counts do not add up
  CHECK_FALSE(SenderRecord::decode("1 ab 5 0 3 10 ff 5,5,0"));         // an empty batch
  CHECK_FALSE(SenderRecord::decode("1 ab 5 0 3 15 ff 5,5,5"));         // batches 3..5 not below 5
  CHECK_FALSE(SenderRecord::decode("1 ab 5 0 3 10 ff 5,5 more"));      // a second plan cut short
  CHECK_FALSE(SenderRecord::decode("1 ab 9 0 3 10 ff 5,5 4 1 ee 1"));  // overlaps the first
  CHECK_FALSE(SenderRecord::decode("1 ab 9 0 5 1 ee 1 3 10 ff 5,5"));  // out of order
  CHECK(SenderRecord::decode("1 ab 6 0 3 15 ff 5,5,5"));
  CHECK(SenderRecord::decode("1 ab 9 0 3 10 ff 5,5 5 1 ee 1"));
}

TEST_CASE("forward sender record: the events' identity is stable and sees every byte") {
  EventBatch a;
  a.add("hello", {{"host", "car-1"}});
  a.add("a body longer than eight bytes, with a tail");
  // Pinned: the value is stored on disk and compared by the next run, so it must never change
  // between builds.
  CHECK(events_identity(a) == events_identity(a));
  const uint64_t pinned = events_identity(a);
  CHECK(pinned == 0x41eac35ffa5d4dedULL);
  EventBatch b;
  b.add("hello", {{"host", "car-2"}});
  b.add("a body longer than eight bytes, with a tail");
  CHECK(events_identity(b) != pinned);
  EventBatch c;  // the same bytes cut differently
  c.add("hell", {{"host", "car-1"}});
  c.add("oa body longer than eight bytes, with a tail");
  CHECK(events_identity(c) != pinned);
  EventBatch d;
  d.add("hello", {{"host", "car-1"}});
  CHECK(events_identity(d) != pinned);
}

}  // namespace
}  // namespace flumen::plugins
