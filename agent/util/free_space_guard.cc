#include "agent/util/free_space_guard.h"

#include <sys/statvfs.h>

namespace flumen::util {

namespace {
// statvfs is cheap, but once per 100 ms is plenty while far from the threshold.
constexpr auto kReadingInterval = std::chrono::milliseconds(100);
}  // namespace

int64_t FreeSpaceGuard::statvfs_free_bytes(const std::string& path) {
  struct statvfs st {};
  if (::statvfs(path.c_str(), &st) != 0) return -1;
  return static_cast<int64_t>(st.f_bavail) * static_cast<int64_t>(st.f_frsize);
}

FreeSpaceGuard::FreeSpaceGuard(std::string path, int64_t reserve_bytes, const Clock& clock,
                               FreeBytesFn free_bytes)
    : path_(std::move(path)),
      reserve_(reserve_bytes),
      clock_(&clock),
      free_bytes_(std::move(free_bytes)) {}

bool FreeSpaceGuard::allows(int64_t incoming) {
  const int64_t needed = reserve_ + incoming;
  const auto now = clock_->now();
  const bool recent = fresh_ && now - last_reading_ < kReadingInterval;
  if (!recent || estimated_free() < 2 * needed) {
    int64_t free = free_bytes_(path_);
    if (free < 0) return true;
    last_free_ = free;
    written_since_reading_ = 0;
    last_reading_ = now;
    fresh_ = true;
  }
  return estimated_free() >= needed;
}

}  // namespace flumen::util
