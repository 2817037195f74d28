#include "agent/util/log_throttle.h"

namespace flumen::util {

bool LogThrottle::admit(std::uint64_t& held, std::chrono::milliseconds& span) {
  std::lock_guard lock(mu_);
  const auto now = clock_->now();
  ++seen_;
  if (!armed_ && now - last_written_ < interval_) {
    ++held_;
    return false;
  }
  held = held_;
  span = std::chrono::duration_cast<std::chrono::milliseconds>(now - last_written_);
  held_ = 0;
  armed_ = false;
  last_written_ = now;
  return true;
}

std::uint64_t LogThrottle::clear() {
  std::lock_guard lock(mu_);
  std::uint64_t n = seen_;
  seen_ = 0;
  held_ = 0;
  armed_ = true;
  return n;
}

std::uint64_t LogThrottle::seen() const {
  std::lock_guard lock(mu_);
  return seen_;
}

std::string LogThrottle::describe(std::chrono::milliseconds d) {
  using namespace std::chrono;
  if (d < seconds(1)) return std::to_string(d.count()) + " ms";
  if (d < minutes(2)) return std::to_string(duration_cast<seconds>(d).count()) + " s";
  if (d < hours(2)) return std::to_string(duration_cast<minutes>(d).count()) + " min";
  return std::to_string(duration_cast<hours>(d).count()) + " h";
}

}  // namespace flumen::util
