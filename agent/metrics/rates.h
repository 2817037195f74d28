#pragma once
// One-minute and five-minute rates of every counter, as Dropwizard's Meter computes them (the
// numbers Flume users know from JMX): an exponentially weighted moving average of the counter's
// increase per second, updated every 5 s tick. Only counters get rates (a gauge's increase means
// nothing); a counter that went down (component rebuilt by a reload) restarts its rate from zero.
//
// The rates are computed when the endpoint is scraped, not by a timer: the ticks that elapsed
// since the previous scrape share the counter's increase evenly. Between two scrapes a constant
// rate is therefore exact, and a burst is spread over the interval. The first scrape of a counter
// only records its value (rates 0).
//
// Threads: not thread-safe; the metrics endpoint calls it from its loop thread only.

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "agent/metrics/component_metrics.h"
#include "agent/util/clock.h"

namespace flumen::metrics {

class RateTracker {
 public:
  static constexpr std::chrono::seconds kTick{5};

  explicit RateTracker(const util::Clock& clock = util::Clock::steady()) : clock_(&clock) {}

  // Appends <Name>OneMinuteRate and <Name>FiveMinuteRate (events per second) after the counters
  // of each snapshot, where <Name> is the counter's name without a trailing "Count"
  // (EventReceivedCount -> EventReceivedOneMinuteRate). Forgets counters no longer present.
  void annotate(std::vector<ComponentSnapshot>& snapshots);

 private:
  struct Meter {
    double last_value = 0;
    double m1 = 0, m5 = 0;     // events per second
    bool initialised = false;  // last_value holds a reading
    bool ticked = false;       // m1/m5 hold an average
    util::Clock::time_point last_tick;
  };
  void update(Meter& meter, double value, util::Clock::time_point now);

  const util::Clock* clock_;
  std::map<std::string, Meter> meters_;  // "TYPE.name/Counter"
};

// "EventReceivedCount" -> "EventReceived"; names without the suffix stay as they are.
std::string rate_base_name(const std::string& counter);

}  // namespace flumen::metrics
