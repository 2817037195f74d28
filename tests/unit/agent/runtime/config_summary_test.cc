#include "agent/runtime/config_summary.h"

#include <doctest/doctest.h>

using flumen::runtime::AgentConfig;
using flumen::runtime::describe_changes;
using flumen::runtime::describe_pipeline;
using flumen::runtime::fingerprints_of;

namespace {

AgentConfig sample() {
  AgentConfig c;
  c.name = "a1";
  flumen::runtime::SourceConfig r1;
  r1.name = "r1";
  r1.type = "netcat";
  r1.channels = {"c1", "c2"};
  r1.fingerprint = "type=netcat";
  flumen::runtime::ComponentConfig ts;
  ts.name = "ts";
  r1.interceptors.push_back(ts);
  r1.selector.type = "multiplexing";
  c.sources.push_back(r1);
  for (const char* n : {"c1", "c2"}) {
    flumen::runtime::ComponentConfig ch;
    ch.name = n;
    ch.type = "memory";
    ch.fingerprint = "type=memory";
    c.channels.push_back(ch);
  }
  flumen::runtime::SinkConfig k1;
  k1.name = "k1";
  k1.type = "forward";
  k1.channel = "c1";
  k1.workers = 2;
  k1.fingerprint = "type=forward";
  c.sinks.push_back(k1);
  flumen::runtime::SinkGroupConfig g1;
  g1.name = "g1";
  g1.processor = "failover";
  g1.sinks = {"k1"};
  g1.fingerprint = "failover";
  c.sink_groups.push_back(g1);
  return c;
}

}  // namespace

TEST_SUITE("runtime config summary") {
  TEST_CASE("the start-up line names every component and where it connects") {
    CHECK(describe_pipeline(sample()) ==
          "source r1 (netcat, interceptors ts, multiplexing) -> c1 c2; channel c1 (memory); "
          "channel c2 (memory); sink k1 (forward, 2 workers) <- c1; sink group g1 (failover: k1)");
  }

  TEST_CASE("a reload names what changed, what was added and removed") {
    AgentConfig before = sample();
    AgentConfig after = sample();
    CHECK(describe_changes(fingerprints_of(before), fingerprints_of(after)) == "nothing changed");
    after.channels[1].fingerprint = "type=memory capacity=5";
    after.sinks[0].channel = "c2";
    after.sources.clear();
    flumen::runtime::ComponentConfig c3;
    c3.name = "c3";
    after.channels.push_back(c3);
    CHECK(describe_changes(fingerprints_of(before), fingerprints_of(after)) ==
          "changed: channel c2, sink k1; added: channel c3; removed: source r1; unchanged: 2");
  }
}
