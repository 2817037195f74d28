#pragma once
// RetryBackoff: how long a sink waits after failed deliveries before it tries again.
// Exponential: the n-th consecutive failure waits initial * 2^(n-1), capped at `max` (Flume's
// SinkRunner caps its back-off at 5 s by default; so do we). Each wait is drawn from
// [d/2, d] (jitter), so that the edges of an aggregator that died do not all come back in the
// same millisecond. A success forgets the failures.
//
// Not thread-safe: owned by one runner thread; state() is read under the runner's lock.

#include <chrono>
#include <cstdint>
#include <random>

#include "agent/util/clock.h"

namespace flumen::pipeline {

class RetryBackoff {
 public:
  using time_point = util::Clock::time_point;
  RetryBackoff(std::chrono::milliseconds initial, std::chrono::milliseconds max,
               uint32_t seed = std::random_device{}());

  // Records a failure at `now` and returns when the next try is due.
  time_point failed(time_point now);
  // Records a success (or an empty channel): the next failure waits `initial` again.
  void reset();

  int failures() const { return failures_; }
  time_point next_try() const { return next_try_; }
  bool waiting(time_point now) const { return failures_ > 0 && now < next_try_; }
  // The wait after the n-th consecutive failure before jitter (for docs and tests).
  std::chrono::milliseconds ceiling(int failures) const;

 private:
  std::chrono::milliseconds initial_;
  std::chrono::milliseconds max_;
  std::minstd_rand rng_;
  int failures_ = 0;
  time_point next_try_{};
};

}  // namespace flumen::pipeline
