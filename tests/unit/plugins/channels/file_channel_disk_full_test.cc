// The file channel on a disk that fills and frees again (ENOSPC injected under RocksDB).
#include <doctest/doctest.h>
#include <rocksdb/env.h>

#include <filesystem>
#include <random>

#include "agent/util/clock.h"
#include "plugins/channels/file/file_channel.h"
#include "tests/unit/plugins/channels/channel_conformance.h"
#include "tests/unit/plugins/channels/file_channel_fixture.h"

namespace flumen::plugins {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

using DiskFullFixture = testing::FileChannelFixture;

// A take whose commit is expected to fail: the events go back to the channel.
Status take_and_commit(pipeline::Channel& ch, size_t n) {
  pipeline::TransactionGuard t(ch.begin());
  EventBatch out;
  if (Status s = t->take(n, out); !s) return s;
  return t.commit();
}

TEST_CASE("file channel: a full disk fails commits, and the channel recovers by itself") {
  DiskFullFixture f;
  auto ch = f.make();
  REQUIRE(testing::put(*ch, testing::numbered(0, 50)).is_ok());

  f.disk->set_full(true);
  Status s = take_and_commit(*ch, 20);
  REQUIRE_FALSE(s.is_ok());
  CHECK(s.code() == ErrorCode::kIo);
  CHECK(testing::put(*ch, testing::numbered(50, 10)).code() == ErrorCode::kIo);
  CHECK(f.metrics->counter("Unhealthy").get() == 1);
  CHECK(ch->size() == 50);  // the failed take is back in the channel
  // Still full: every commit keeps failing (and nothing aborts).
  for (int i = 0; i < 5; ++i) {
    f.clock.advance(2s);
    CHECK_FALSE(take_and_commit(*ch, 20).is_ok());
  }

  // Space returns: with no restart, takes and puts commit again, in order, nothing lost.
  f.disk->set_full(false);
  f.clock.advance(2s);
  CHECK(testing::take_bodies(*ch, 20) == testing::range_strings(0, 20));
  REQUIRE(testing::put(*ch, testing::numbered(50, 10)).is_ok());
  CHECK(testing::take_bodies(*ch, 100) == testing::range_strings(20, 40));
  CHECK(f.metrics->counter("Unhealthy").get() == 0);
  CHECK(ch->size() == 0);

  // What was committed after the recovery is what a restart sees.
  REQUIRE(testing::put(*ch, testing::numbered(60, 5)).is_ok());
  ch.reset();
  auto again = f.make();
  CHECK(testing::take_bodies(*again, 100) == testing::range_strings(60, 5));
}

TEST_CASE("file channel: recovers when the failed log is still current (nothing to flush)") {
  DiskFullFixture f;
  { REQUIRE(testing::put(*f.make(), testing::numbered(0, 40)).is_ok()); }
  // Reopened: what the log held was flushed at open, the memtables are empty, so resuming
  // would not switch to a new log and the broken one would be written again.
  auto ch = f.make();
  f.disk->set_full(true);
  CHECK_FALSE(take_and_commit(*ch, 10).is_ok());
  f.disk->set_full(false);
  f.clock.advance(2s);
  CHECK(testing::take_bodies(*ch, 10) == testing::range_strings(0, 10));
  REQUIRE(testing::put(*ch, testing::numbered(40, 5)).is_ok());
  ch.reset();
  auto again = f.make();
  CHECK(testing::take_bodies(*again, 100) == testing::range_strings(10, 35));
}

TEST_CASE("file channel: stopping while the disk is full keeps what was committed") {
  DiskFullFixture f;
  {
    auto ch = f.make();
    REQUIRE(testing::put(*ch, testing::numbered(0, 30)).is_ok());
    f.disk->set_full(true);
    CHECK_FALSE(take_and_commit(*ch, 10).is_ok());
    CHECK_FALSE(testing::put(*ch, testing::numbered(30, 10)).is_ok());
    ch->stop();  // must not abort on the database's error state
  }
  f.disk->set_full(false);
  auto ch = f.make();
  CHECK(testing::take_bodies(*ch, 100) == testing::range_strings(0, 30));
  // RocksDB logs into flumen's log: no LOG file on the full disk (writing a second line to it
  // after a failed one aborts inside RocksDB).
  CHECK_FALSE(fs::exists(f.dir / "LOG"));
}

TEST_CASE("file channel: recovery is tried at most once a second while the disk stays full") {
  DiskFullFixture f;
  auto ch = f.make();
  REQUIRE(testing::put(*ch, testing::numbered(0, 10)).is_ok());
  f.disk->set_full(true);
  CHECK_FALSE(take_and_commit(*ch, 5).is_ok());
  const int after_first = f.disk->failed_writes();
  // Retries without time passing fail at once, without touching the disk.
  for (int i = 0; i < 100; ++i)
    CHECK_FALSE(take_and_commit(*ch, 5).is_ok());
  CHECK(f.disk->failed_writes() == after_first);
  f.clock.advance(1100ms);
  CHECK_FALSE(take_and_commit(*ch, 5).is_ok());
  CHECK(f.disk->failed_writes() > after_first);
}

}  // namespace
}  // namespace flumen::plugins
