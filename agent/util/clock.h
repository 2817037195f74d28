#pragma once
// An injected clock: code that waits, backs off or penalises reads the time from a Clock it was
// given, so its unit tests move time by hand (ManualClock) instead of sleeping.
//
// Threads: now() may be called from any thread. ManualClock::advance() too (the time is atomic).

#include <atomic>
#include <chrono>

namespace flumen::util {

class Clock {
 public:
  using duration = std::chrono::steady_clock::duration;
  using time_point = std::chrono::steady_clock::time_point;
  virtual ~Clock() = default;
  virtual time_point now() const = 0;
  // The process's monotonic clock (std::chrono::steady_clock).
  static const Clock& steady();
};

class ManualClock : public Clock {
 public:
  explicit ManualClock(time_point start = time_point{} + std::chrono::hours(1))
      : now_(start.time_since_epoch().count()) {}
  time_point now() const override { return time_point(duration(now_.load())); }
  void advance(duration d) { now_.fetch_add(d.count()); }

 private:
  std::atomic<duration::rep> now_;
};

}  // namespace flumen::util
