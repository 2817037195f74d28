#include "broker/storage/producer_state.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>

#include "broker/storage/topic_store.h"
#include "tests/unit/broker/batch_builder.h"

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

TEST_CASE("producer sequences are rebuilt from the log when the broker restarts") {
  namespace fs = std::filesystem;
  const fs::path dir =
      fs::temp_directory_path() / ("flumen-producers-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  LogConfig log;
  int64_t second_base = -1;
  {
    auto store = TopicStore::open(dir.string(), log);
    REQUIRE(store.is_ok());
    std::string why;
    REQUIRE(store.value()->create("t", 1, why) == 0);
    PartitionLog& p = *store.value()->find("t")->partitions[0];
    REQUIRE(p.append(testing::make_batch({"a", "b"}, 1000, {42, 3, 0})).is_ok());
    second_base = p.append(testing::make_batch({"c", "d", "e"}, 1000, {42, 3, 2})).value();
    REQUIRE(p.append(testing::make_batch({"plain"})).is_ok());  // not idempotent: ignored
    REQUIRE(p.flush().is_ok());
  }
  auto reopened = TopicStore::open(dir.string(), log);
  REQUIRE(reopened.is_ok());
  const ProducerSequences& seqs = reopened.value()->find("t")->sequences[0];
  // The last batch sent again after the restart is answered with its original offset...
  auto resent = seqs.check(42, 3, 2, 2);
  CHECK(resent.error == 0);
  CHECK(resent.duplicate_of == second_base);
  // ... the next one is accepted, a gap and an old epoch are refused.
  CHECK(seqs.check(42, 3, 5, 0).error == 0);
  CHECK(seqs.check(42, 3, 5, 0).duplicate_of == -1);
  CHECK(seqs.check(42, 3, 9, 0).error == 45);
  CHECK(seqs.check(42, 2, 5, 0).error == 47);
  fs::remove_all(dir);
}
