#include "agent/util/background_sync.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "agent/util/thread_name.h"

namespace flumen::util {

BackgroundSync::BackgroundSync(std::string thread_name) : thread_name_(std::move(thread_name)) {}

BackgroundSync::~BackgroundSync() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

uint64_t BackgroundSync::request(int fd) {
  std::unique_lock lock(mu_);
  if (fd != fd_) {
    done_cv_.wait(lock, [&] { return done_ == requested_; });
    fd_ = fd;
  }
  if (!thread_.joinable())
    thread_ = std::thread([this] {
      set_thread_name(thread_name_);
      run();
    });
  const uint64_t ticket = ++requested_;
  lock.unlock();
  work_cv_.notify_one();
  return ticket;
}

Status BackgroundSync::wait(uint64_t ticket) {
  std::unique_lock lock(mu_);
  done_cv_.wait(lock, [&] { return done_ >= ticket; });
  if (ticket > failed_after_ && ticket <= failed_upto_) return make_error(ErrorCode::kIo, failure_);
  return Status::ok();
}

void BackgroundSync::quiesce() {
  std::unique_lock lock(mu_);
  done_cv_.wait(lock, [&] { return done_ == requested_; });
}

uint64_t BackgroundSync::take_sync_count() {
  std::lock_guard lock(mu_);
  const uint64_t n = syncs_;
  syncs_ = 0;
  return n;
}

void BackgroundSync::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    work_cv_.wait(lock, [&] { return stopping_ || done_ < requested_; });
    if (done_ == requested_) return;  // stopping, nothing pending
    // Every request so far was made after its writes: this one fdatasync answers them all.
    const uint64_t upto = requested_;
    const int fd = fd_;
    lock.unlock();
    const int rc = ::fdatasync(fd);
    const int err = rc == 0 ? 0 : errno;
    lock.lock();
    if (err != 0) {
      // Merged with an earlier failure: a later one must not hide it from a late wait(). The
      // successful syncs in between count as failed too (after a failed fdatasync Linux may
      // have dropped dirty pages; the caller gives those windows back, which repeats, never
      // loses).
      if (failed_upto_ == 0) failed_after_ = done_;
      failed_upto_ = upto;
      failure_ = std::string("fdatasync failed: ") + std::strerror(err);
    }
    done_ = upto;
    ++syncs_;
    done_cv_.notify_all();
  }
}

}  // namespace flumen::util
