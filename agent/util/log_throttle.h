#pragma once
// LogThrottle: a loop that can fail logs its first failure at once, then at most one line per
// interval; that line says how many were held back ("... (and 41 more like it in the last 30 s)").
// When the condition is over, clear() says so once and rearms the throttle, so the next failure
// is logged at once again. Every loop that can log on failure (sink deliveries, source reads,
// accept errors, refused requests) keeps one LogThrottle per kind of message.
//
// Threads: log() and clear() may be called from any thread (a mutex guards the counters).

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

#include "agent/util/clock.h"

namespace flumen::util {

class LogThrottle {
 public:
  explicit LogThrottle(std::chrono::milliseconds interval = std::chrono::seconds(30),
                       const Clock& clock = Clock::steady())
      : interval_(interval), clock_(&clock) {}

  // Logs the message now, or counts it if a line of this throttle was written less than an
  // interval ago. Returns true if it was written.
  template <typename... Args>
  bool log(spdlog::level::level_enum level, fmt::format_string<Args...> format, Args&&... args) {
    std::uint64_t held;
    std::chrono::milliseconds span;
    if (!admit(held, span)) return false;
    std::string line = fmt::format(format, std::forward<Args>(args)...);
    if (held > 0)
      line += fmt::format(" (and {} more like it in the last {})", held, describe(span));
    spdlog::log(level, line);
    return true;
  }
  template <typename... Args>
  bool warn(fmt::format_string<Args...> format, Args&&... args) {
    return log(spdlog::level::warn, format, std::forward<Args>(args)...);
  }
  template <typename... Args>
  bool error(fmt::format_string<Args...> format, Args&&... args) {
    return log(spdlog::level::err, format, std::forward<Args>(args)...);
  }

  // The condition is over. Returns how many messages were seen since the last clear() (written
  // or held back), 0 if none, and rearms the throttle.
  std::uint64_t clear();
  // Messages seen since the last clear() (written or held back).
  std::uint64_t seen() const;

  // "30 s", "2 min", "250 ms": for summaries.
  static std::string describe(std::chrono::milliseconds d);

 private:
  bool admit(std::uint64_t& held, std::chrono::milliseconds& span);

  const std::chrono::milliseconds interval_;
  const Clock* clock_;
  mutable std::mutex mu_;
  bool armed_ = true;  // the next message is written at once
  Clock::time_point last_written_{};
  std::uint64_t held_ = 0;
  std::uint64_t seen_ = 0;
};

}  // namespace flumen::util
