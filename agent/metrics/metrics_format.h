#pragma once
// The two renderings of the agent's counters served at /metrics: Flume's flat JSON (so tools
// built for Flume keep working) and Prometheus text exposition format 0.0.4.

#include <string>
#include <string_view>
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

// What Flume's PrometheusHTTPMetricsServer serves (-Dflume.monitoring.type=prometheus; in
// Flume's tree after 1.11.0): one family per counter name, Flume_<Name>, typed from the counter
// class (gauges: ChannelSize, ChannelCapacity, OpenConnectionCount; the rest counters, which
// the Prometheus Java client writes as Flume_<Name>_total), one sample per component labelled
// {component="<name>",} with a Java-formatted double ("2.0"). StartTime, StopTime and
// ChannelFillPercentage have no setter in Flume's counters and are not exported.
std::string format_flume_prometheus(const std::vector<ComponentSnapshot>& snapshots);

// Content negotiation for a scrape of /metrics: true when an Accept header asks for Prometheus
// text (text/plain, application/openmetrics-text) before, or instead of, JSON.
bool accepts_prometheus(std::string_view accept);

}  // namespace flumen::metrics
