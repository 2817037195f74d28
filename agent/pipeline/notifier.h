#pragma once
// A wake-up signal between threads: a channel pokes the sink runners that read from it when a put
// commits, so runners sleep on a condition instead of polling with sleeps.

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace flumen::pipeline {

class Notifier {
 public:
  void notify() {
    {
      std::lock_guard lock(mu_);
      signaled_ = true;
    }
    cv_.notify_all();
  }
  // Waits until notified or the timeout passes; consumes the signal. Returns true if notified.
  bool wait_for(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    bool got = cv_.wait_for(lock, timeout, [this] { return signaled_; });
    signaled_ = false;
    return got;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool signaled_ = false;
};

}  // namespace flumen::pipeline
