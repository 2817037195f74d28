#include "broker/storage/producer_state.h"

#include <doctest/doctest.h>

using namespace flumen::broker;

TEST_CASE("idempotent producer sequences: next, duplicate, gap, fenced epoch") {
  ProducerSequences s;
  CHECK(s.check(7, 0, 0, 9).error == 0);  // unknown producer: accepted
  s.record(7, 0, 0, 9, 100);
  CHECK(s.check(7, 0, 10, 4).error == 0);  // the next batch
  s.record(7, 0, 10, 4, 110);
  auto dup = s.check(7, 0, 0, 9);  // the first batch again (its answer was lost)
  CHECK(dup.error == 0);
  CHECK(dup.duplicate_of == 100);
  CHECK(s.check(7, 0, 20, 0).error == 45);   // a gap: 15..19 missing
  CHECK(s.check(7, 0, 12, 0).error == 46);   // inside what was written, not a whole batch
  CHECK(s.check(7, -1, 15, 0).error == 47);  // an older epoch is fenced
  CHECK(s.check(7, 1, 0, 0).error == 0);     // a newer epoch starts over
}
