#pragma once
// The topology (topology.h) as JSON, for the metrics endpoint's /topology and its live page:
//   {"agent":"a1",
//    "nodes":[{"id":"a1_source_r1","kind":"source","name":"r1","type":"netcat",
//              "metrics":"SOURCE.r1"}, ...],          // "metrics" is "" for nodes without counters
//    "edges":[{"from":"a1_source_r1","to":"a1_channel_c1","label":""}, ...]}
// Nodes come in the order data flows (sources first), as topology_of() sorts them.

#include <string>

#include "agent/runtime/topology.h"

namespace flumen::runtime {

std::string format_topology_json(const Topology& topology);

}  // namespace flumen::runtime
