#pragma once
// The two renderings of the agent's counters served at /metrics: Flume's flat JSON (so tools
// built for Flume keep working) and Prometheus text exposition format 0.0.4.

#include <string>
#include <vector>

#include "agent/metrics/component_metrics.h"

namespace flumen::metrics {

// Flume's JSON body for these snapshots.
std::string format_flume_json(const std::vector<ComponentSnapshot>& snapshots);
// Prometheus text: metric names flumen_<snake_case of the Flume name>, e.g.
// flumen_event_received_count{agent="a1",type="source",component="r1"} 5, with # HELP/# TYPE
// lines once per metric name; counters typed counter, gauges gauge; string attributes become a
// flumen_component_info{...,<attr>="value"} 1 line. Label values are escaped (\\, \", \n).
std::string format_prometheus(const std::vector<ComponentSnapshot>& snapshots,
                              const std::string& agent_name);

}  // namespace flumen::metrics
