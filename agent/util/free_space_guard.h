#pragma once
// FreeSpaceGuard: tells a writer whether the filesystem under a path still has room for a write
// while keeping a reserve free, without a statvfs per write and without being fooled by a burst.
//
// The free space is read with statvfs at most once per interval while it is far above what is
// asked; between two reads every byte the writer reports (wrote()) is taken off the last reading,
// so a burst of writes inside one interval cannot run past the reserve on a stale number. Near
// the threshold (estimate below twice what a write needs) every check reads the disk again, so
// space that returns (a file deleted by an operator) is seen at the next check.
//
// Threads: allows() and wrote() by one writer at a time (callers hold their own lock);
// write_failed() from any thread.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "agent/util/clock.h"

namespace flumen::util {

class FreeSpaceGuard {
 public:
  // Bytes free for an unprivileged writer on the filesystem holding `path`, or -1 if unknown.
  using FreeBytesFn = std::function<int64_t(const std::string& path)>;
  static int64_t statvfs_free_bytes(const std::string& path);

  FreeSpaceGuard(std::string path, int64_t reserve_bytes, const Clock& clock = Clock::steady(),
                 FreeBytesFn free_bytes = statvfs_free_bytes);

  // True when writing `incoming` bytes leaves at least the reserve free (or when the free space
  // cannot be read: the write itself will then report ENOSPC).
  bool allows(int64_t incoming);
  // The writer wrote `bytes` (they are taken off the estimate until the next reading).
  void wrote(int64_t bytes) { written_since_reading_ += bytes; }
  // The writer met ENOSPC: the next check reads the disk again whatever the estimate says.
  void write_failed() { fresh_ = false; }

  // The last estimate of free bytes (the reading minus what was written since).
  int64_t estimated_free() const { return last_free_ - written_since_reading_; }
  int64_t reserve() const { return reserve_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int64_t reserve_;
  const Clock* clock_;
  FreeBytesFn free_bytes_;
  std::atomic<bool> fresh_{false};  // a reading exists and no write failed since
  Clock::time_point last_reading_{};
  int64_t last_free_ = 0;
  int64_t written_since_reading_ = 0;
};

}  // namespace flumen::util
