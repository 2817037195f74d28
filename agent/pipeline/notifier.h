#pragma once
// A wake-up signal between threads: a channel pokes the sink runners that read from it when a put
// commits, so runners sleep on a condition instead of polling with sleeps.
//
// A waiter first spins briefly (util::spin_until) before it sleeps: at Flume's batch of 100 a
// runner waits for the next put about once per 100 events, and the next put is usually a few
// microseconds away; sleeping and being woken costs a context switch on each side. notify()
// takes the lock and signals the condition only while a waiter sleeps.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

#include "agent/util/spin_wait.h"

namespace flumen::pipeline {

class Notifier {
 public:
  void notify() {
    signaled_.store(true);
    // Sequentially consistent with the waiter's sleepers_ increment and its re-check of
    // signaled_: either it sees the signal, or this sees it sleeping and wakes it.
    if (sleepers_.load() == 0) return;
    { std::lock_guard lock(mu_); }
    cv_.notify_all();
  }
  // Waits until notified or the timeout passes; consumes the signal. Returns true if notified.
  bool wait_for(std::chrono::milliseconds timeout) {
    if (util::spin_until([this] { return signaled_.load(std::memory_order_relaxed); }))
      return signaled_.exchange(false);
    std::unique_lock lock(mu_);
    sleepers_.fetch_add(1);
    bool got = cv_.wait_for(lock, timeout, [this] { return signaled_.load(); });
    sleepers_.fetch_sub(1);
    signaled_.store(false);
    return got;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<bool> signaled_{false};
  std::atomic<int> sleepers_{0};
};

}  // namespace flumen::pipeline
