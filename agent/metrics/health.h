#pragma once
// What /health answers, read from the same snapshots as /metrics so the two never disagree.
//
// A component is failing when it is stopped (StopTime set after StartTime), when a sink's runner
// is backing off after failed deliveries (State "backoff ..." or ConsecutiveFailures > 0), or
// when a sink group's runner is (RunnerState "backoff ..."). A failover or load-balancing group
// that still delivers through another member while one is penalised is "degraded": listed, but
// the agent stays healthy, since restarting it would not bring the peer back.

#include <string>
#include <vector>

#include "agent/metrics/component_metrics.h"

namespace flumen::metrics {

struct HealthProblem {
  std::string component;  // "SINK.k1"
  std::string reason;     // "backoff (3 failures, next try in 800 ms)"
};

struct HealthReport {
  size_t components = 0;
  std::vector<HealthProblem> failing;
  std::vector<HealthProblem> degraded;
  bool healthy() const { return failing.empty(); }
};

HealthReport assess_health(const std::vector<ComponentSnapshot>& snapshots);

// {"status":"ok"|"failing","components":N,"failing":[{"component":..,"reason":..}],
//  "degraded":[...]}
std::string format_health_json(const HealthReport& report);

}  // namespace flumen::metrics
