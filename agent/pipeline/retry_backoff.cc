#include "agent/pipeline/retry_backoff.h"

#include <algorithm>

namespace flumen::pipeline {

RetryBackoff::RetryBackoff(std::chrono::milliseconds initial, std::chrono::milliseconds max,
                           uint32_t seed)
    : initial_(std::max(initial, std::chrono::milliseconds(1))),
      max_(std::max(max, initial_)),
      rng_(seed) {}

std::chrono::milliseconds RetryBackoff::ceiling(int failures) const {
  if (failures <= 0) return std::chrono::milliseconds(0);
  const int shift = std::min(failures - 1, 30);
  // Doubling stops at the cap before it can overflow.
  auto d = initial_;
  for (int i = 0; i < shift && d < max_; ++i)
    d *= 2;
  return std::min(d, max_);
}

RetryBackoff::time_point RetryBackoff::failed(time_point now) {
  ++failures_;
  const auto top = ceiling(failures_);
  std::uniform_int_distribution<int64_t> jitter(top.count() / 2, top.count());
  next_try_ = now + std::chrono::milliseconds(jitter(rng_));
  return next_try_;
}

void RetryBackoff::reset() {
  failures_ = 0;
  next_try_ = {};
}

}  // namespace flumen::pipeline
