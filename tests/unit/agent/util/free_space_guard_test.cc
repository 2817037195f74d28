#include "agent/util/free_space_guard.h"

#include <doctest/doctest.h>

namespace flumen::util {
namespace {

using namespace std::chrono_literals;

// A disk whose free space the test sets, counting how often it is read.
struct FakeDisk {
  int64_t free = 0;
  int readings = 0;
  FreeSpaceGuard::FreeBytesFn fn() {
    return [this](const std::string&) {
      ++readings;
      return free;
    };
  }
};

TEST_CASE("free space guard: a burst inside one reading interval cannot run past the reserve") {
  ManualClock clock;
  FakeDisk disk;
  disk.free = 100 << 20;
  FreeSpaceGuard guard("/x", 10 << 20, clock, disk.fn());
  // 1 MB writes in a burst (no time passes): a reading of the free space is not taken again
  // for each write, but the writes are taken off it, so the guard stops at the reserve (a
  // guard that trusted its last reading for the interval would let all of them through).
  int allowed = 0;
  while (guard.allows(1 << 20) && allowed < 1000) {
    guard.wrote(1 << 20);
    disk.free -= 1 << 20;
    ++allowed;
  }
  CHECK(allowed == 90);
  CHECK(guard.estimated_free() == 10 << 20);
  // Far from the threshold it did not read the disk per write.
  CHECK(disk.readings < 20);
}

TEST_CASE("free space guard: far from the threshold it reads the disk once per interval") {
  ManualClock clock;
  FakeDisk disk;
  disk.free = 1LL << 40;
  FreeSpaceGuard guard("/x", 1 << 20, clock, disk.fn());
  for (int i = 0; i < 100; ++i)
    CHECK(guard.allows(4096));
  CHECK(disk.readings == 1);
  clock.advance(150ms);
  CHECK(guard.allows(4096));
  CHECK(disk.readings == 2);
}

TEST_CASE("free space guard: near the threshold every check reads, so returning space is seen") {
  ManualClock clock;
  FakeDisk disk;
  disk.free = 1 << 20;
  FreeSpaceGuard guard("/x", 1 << 20, clock, disk.fn());
  CHECK_FALSE(guard.allows(100));
  disk.free = 64 << 20;  // an operator deleted a file: no time passes
  CHECK(guard.allows(100));
}

TEST_CASE("free space guard: after a failed write the next check reads the disk again") {
  ManualClock clock;
  FakeDisk disk;
  disk.free = 1LL << 40;
  FreeSpaceGuard guard("/x", 1 << 20, clock, disk.fn());
  CHECK(guard.allows(100));
  disk.free = 0;  // another writer filled the disk
  guard.write_failed();
  CHECK_FALSE(guard.allows(100));
  CHECK(disk.readings == 2);
}

TEST_CASE("free space guard: an unreadable disk does not block writes") {
  ManualClock clock;
  FreeSpaceGuard guard("/x", 1 << 20, clock, [](const std::string&) { return int64_t{-1}; });
  CHECK(guard.allows(1 << 30));
  CHECK(FreeSpaceGuard::statvfs_free_bytes("/") > 0);
}

}  // namespace
}  // namespace flumen::util
