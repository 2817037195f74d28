#include "agent/runtime/topology.h"

#include <doctest/doctest.h>

#include "tests/unit/support/linked_registry.h"

namespace flumen::runtime {
namespace {

Topology topology_from(const std::string& conf) {
  config::Diagnostics diags;
  auto props = config::PropertiesFile::parse(conf, "t.conf", diags);
  auto cfg = build_agent_config(props, "a1", plugins::linked_registry(), diags);
  REQUIRE_MESSAGE(cfg.has_value(), diags.format());
  return topology_of(*cfg);
}

const char* kConf = R"(
a1.sources = r1
a1.channels = ca other
a1.sinks = k1 k2 k3
a1.sources.r1.type = netcat
a1.sources.r1.port = 4444
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.channels = ca other
a1.sources.r1.interceptors = ts
a1.sources.r1.interceptors.ts.type = timestamp
a1.sources.r1.selector.type = multiplexing
a1.sources.r1.selector.header = state
a1.sources.r1.selector.mapping.CA = ca
a1.sources.r1.selector.default = other
a1.channels.ca.type = memory
a1.channels.other.type = memory
a1.sinks.k1.type = null
a1.sinks.k1.channel = ca
a1.sinks.k2.type = null
a1.sinks.k2.channel = ca
a1.sinks.k3.type = logger
a1.sinks.k3.channel = other
a1.sinkgroups = g1
a1.sinkgroups.g1.sinks = k1 k2
a1.sinkgroups.g1.processor.type = failover
a1.sinkgroups.g1.processor.priority.k1 = 10
a1.sinkgroups.g1.processor.priority.k2 = 5
)";

std::string edges_of(const Topology& t) {
  std::string out;
  for (const auto& e : t.edges)
    out += e.from + ">" + e.to + (e.label.empty() ? "" : "[" + e.label + "]") + "\n";
  return out;
}

TEST_CASE("topology: source -> interceptors -> selector -> channels -> group -> sinks") {
  Topology t = topology_from(kConf);
  CHECK(t.agent == "a1");
  std::vector<std::string> kinds;
  for (const auto& n : t.nodes)
    kinds.push_back(n.kind + ":" + n.name);
  CHECK(kinds == std::vector<std::string>{"source:r1", "interceptor:r1.ts", "selector:r1",
                                          "channel:ca", "channel:other", "sinkgroup:g1", "sink:k1",
                                          "sink:k2", "sink:k3"});
  CHECK(edges_of(t) ==
        "a1_source_r1>a1_interceptor_r1_ts\n"
        "a1_interceptor_r1_ts>a1_selector_r1\n"
        "a1_selector_r1>a1_channel_ca[CA]\n"
        "a1_selector_r1>a1_channel_other[default]\n"
        "a1_channel_ca>a1_sinkgroup_g1\n"
        "a1_sinkgroup_g1>a1_sink_k1[priority 10]\n"
        "a1_sinkgroup_g1>a1_sink_k2[priority 5]\n"
        "a1_channel_other>a1_sink_k3\n");
  CHECK(t.nodes[0].metrics_key == "SOURCE.r1");
  CHECK(t.nodes[1].metrics_key.empty());
}

TEST_CASE("topology: dot and mermaid name every node and edge") {
  Topology t = topology_from(kConf);
  std::string dot = format_dot({t});
  CHECK(dot.rfind("digraph flumen {", 0) == 0);
  CHECK(dot.find("subgraph \"cluster_a1\"") != std::string::npos);
  CHECK(dot.find("a1_selector_r1 -> a1_channel_ca [label=\"CA\"];") != std::string::npos);
  CHECK(dot.find("a1_sink_k3 [label=\"k3\\nlogger\"") != std::string::npos);
  std::string mermaid = format_mermaid({t});
  CHECK(mermaid.rfind("flowchart LR\n", 0) == 0);
  CHECK(mermaid.find("a1_channel_ca[(\"ca<br/><small>memory</small>\")]") != std::string::npos);
  CHECK(mermaid.find("a1_sinkgroup_g1 -->|\"priority 10\"| a1_sink_k1") != std::string::npos);
  for (const auto& n : t.nodes) {
    CHECK_MESSAGE(dot.find(n.id + " [label=") != std::string::npos, n.id);
    CHECK_MESSAGE(mermaid.find("    " + n.id) != std::string::npos, n.id);
  }
}

TEST_CASE("topology: a plain replicating source links straight to its channels") {
  Topology t = topology_from(R"(
a1.sources = r1
a1.channels = c1 c2
a1.sinks = k1
a1.sources.r1.type = netcat
a1.sources.r1.port = 4444
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.channels = c1 c2
a1.channels.c1.type = memory
a1.channels.c2.type = memory
a1.sinks.k1.type = null
a1.sinks.k1.channel = c1
)");
  CHECK(edges_of(t) ==
        "a1_source_r1>a1_channel_c1\na1_source_r1>a1_channel_c2\na1_channel_c1>a1_sink_k1\n");
}

}  // namespace
}  // namespace flumen::runtime
