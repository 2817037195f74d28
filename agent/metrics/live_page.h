#pragma once
// The live page at the metrics port's "/": the agent's pipeline drawn as a graph (sources ->
// interceptors -> selector -> channels -> sink groups -> sinks, the columns of /topology) with
// each edge's live rate, each channel's fill, and the failing parts in red (stopped, not
// running, a sink backing off, an unhealthy channel). One self-contained HTML document with
// inline SVG and a little plain JavaScript: nothing from the network, no framework, no build
// step. Without JavaScript it says where the same numbers are (/metrics, /topology, /health).
//
// The script polls GET /live once a second: {"time": <server steady clock, ms>, "metrics":
// <what /metrics answers in Flume JSON>, "rates": <each counter's rate over the last 3 s,
// measured by the agent (live_history.h)>}, so the first paint has rates, and neither network
// delay nor a browser's own clock (a background tab, a headless browser's virtual time) skews
// them.
//
// The page marks what it shows for machines too, so a test can read a --dump-dom: each node is
// a <g class="node KIND [failing]" data-key="SINK.k1" data-in=".." data-out=".." data-total="..">.

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agent/metrics/component_metrics.h"

namespace flumen::metrics {

const std::string& live_page_html();

// The body of GET /live: the snapshots as /metrics has them, the rates (LiveHistory::rates) and
// the time they were taken.
std::string live_json(const std::vector<ComponentSnapshot>& snapshots,
                      const nlohmann::ordered_json& rates,
                      std::chrono::steady_clock::time_point at);

}  // namespace flumen::metrics
