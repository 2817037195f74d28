#pragma once
// The last few seconds of every counter, read from the registry once a second by the metrics
// endpoint's loop, so that /live answers each counter's rate at once: the live page shows true
// rates on its first paint, and whatever clock the browser keeps (a background tab's throttled
// timers, a headless browser's virtual time) cannot skew them.
//
// Rate = (now - oldest reading within the window) / time between them. A counter that went down
// (rebuilt by a reload) or that has no reading a quarter second old yet has no rate.
//
// Threads: not thread-safe; the endpoint's loop thread only.

#include <chrono>
#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agent/metrics/component_metrics.h"

namespace flumen::metrics {

class LiveHistory {
 public:
  using Clock = std::chrono::steady_clock;
  explicit LiveHistory(std::chrono::milliseconds window = std::chrono::seconds(3))
      : window_(window) {}

  void sample(const std::vector<ComponentSnapshot>& snapshots, Clock::time_point at);
  // {"SOURCE.r1": {"EventAcceptedCount": 80.2, ...}, ...}: events per second of each counter.
  nlohmann::ordered_json rates(const std::vector<ComponentSnapshot>& now,
                               Clock::time_point at) const;

 private:
  struct Reading {
    Clock::time_point at;
    std::map<std::string, double> counters;  // "SOURCE.r1/EventAcceptedCount"
  };
  std::chrono::milliseconds window_;
  std::deque<Reading> readings_;  // oldest first
};

}  // namespace flumen::metrics
