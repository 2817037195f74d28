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

  r.first_seq = 39;
  r.counts = {1000, 1000, 500};
  r.events = 2500;
  r.events_hash = 0x0123456789abcdefULL;
  CHECK(r.encode() == "1 fedcba9876543210 42 1764633600123 39 2500 123456789abcdef 1000,1000,500");
  back = SenderRecord::decode(r.encode());
  REQUIRE(back);
  CHECK(back->first_seq == 39);
  CHECK(back->counts == std::vector<uint32_t>{1000, 1000, 500});
  CHECK(back->events == 2500);
  CHECK(back->events_hash == r.events_hash);
}

TEST_CASE("forward sender record: a value that does not describe a plan exactly is refused") {
  CHECK_FALSE(SenderRecord::decode(""));
  CHECK_FALSE(SenderRecord::decode("2 ab 3 0"));                   // unknown version
  CHECK_FALSE(SenderRecord::decode("1 zz 3 0"));                   // stream not hex
  CHECK_FALSE(SenderRecord::decode("1 ab 0 0"));                   // next_seq 0
  CHECK_FALSE(SenderRecord::decode("1 ab 5 0 3 10 ff 4,5"));       // counts do not add up
  CHECK_FALSE(SenderRecord::decode("1 ab 5 0 3 10 ff 5,5,0"));     // an empty batch
  CHECK_FALSE(SenderRecord::decode("1 ab 5 0 3 15 ff 5,5,5"));     // batches 3..5 not below 5
  CHECK_FALSE(SenderRecord::decode("1 ab 5 0 3 10 ff 5,5 more"));  // trailing field
  CHECK(SenderRecord::decode("1 ab 6 0 3 15 ff 5,5,5"));
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
