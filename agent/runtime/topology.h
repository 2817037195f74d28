#pragma once
// An agent's pipeline as a graph: sources -> interceptors -> selector -> channels -> sink groups
// -> sinks, from its validated AgentConfig. `flumen check --graph dot|mermaid` prints it and the
// metrics endpoint's live page draws it, so the picture is the configuration itself.
//
// A selector node appears where the choice matters (multiplexing, or optional channels); a
// plain replicating source links straight to its channels. Multiplexing edges carry the header
// value they route ("CA", "default"; optional ones "CA?"), failover edges the sink's priority.

#include <string>
#include <vector>

#include "agent/runtime/agent_config.h"

namespace flumen::runtime {

struct TopologyNode {
  std::string id;           // unique within the graph, [A-Za-z0-9_] only
  std::string kind;         // source | interceptor | selector | channel | sinkgroup | sink
  std::string name;         // the component's name in the conf
  std::string type;         // its plugin type or processor ("netcat", "failover")
  std::string metrics_key;  // "SOURCE.r1" in /metrics, "" when it has no counters
};

struct TopologyEdge {
  std::string from, to;
  std::string label;
};

struct Topology {
  std::string agent;
  std::vector<TopologyNode> nodes;
  std::vector<TopologyEdge> edges;
};

Topology topology_of(const AgentConfig& config);

// Graphviz: one digraph, each agent a cluster.
std::string format_dot(const std::vector<Topology>& agents);
// Mermaid: a "flowchart LR", each agent a subgraph (renders in GitHub's Markdown).
std::string format_mermaid(const std::vector<Topology>& agents);

}  // namespace flumen::runtime
