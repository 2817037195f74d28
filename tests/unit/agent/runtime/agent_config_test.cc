#include "agent/runtime/agent_config.h"

#include <doctest/doctest.h>

#include "tests/unit/support/linked_registry.h"

namespace flumen::runtime {
namespace {

struct Checked {
  std::optional<AgentConfig> config;
  config::Diagnostics diags;
  std::string text() const { return diags.format(); }
  bool has(const std::string& s) const { return text().find(s) != std::string::npos; }
};

Checked check(const std::string& conf, const std::string& agent = "a1") {
  Checked c;
  auto props = config::PropertiesFile::parse(conf, "t.conf", c.diags);
  props.substitute([](const std::string&) { return std::nullopt; }, {}, c.diags);
  c.config = build_agent_config(props, agent, plugins::linked_registry(), c.diags);
  return c;
}

const char* kValid = R"(a1.sources = r1
a1.channels = c1 c2
a1.sinks = k1 k2 k3
a1.sources.r1.type = netcat
a1.sources.r1.bind = 127.0.0.1
a1.sources.r1.port = 0
a1.sources.r1.channels = c1 c2
a1.sources.r1.selector.type = multiplexing
a1.sources.r1.selector.header = kind
a1.sources.r1.selector.mapping.status = c1
a1.sources.r1.selector.default = c2
a1.channels.c1.type = memory
a1.channels.c2.type = org.apache.flume.channel.MemoryChannel
a1.sinks.k1.type = null
a1.sinks.k1.channel = c1
a1.sinks.k2.type = logger
a1.sinks.k2.channel = c2
a1.sinks.k3.type = NULL
a1.sinks.k3.channel = c2
a1.sinkgroups = g1
a1.sinkgroups.g1.sinks = k2 k3
a1.sinkgroups.g1.processor.type = failover
a1.sinkgroups.g1.processor.priority.k2 = 10
a1.sinkgroups.g1.processor.priority.k3 = 5
b1.sources = whatever
b1.sources.whatever.type = nonsense
)";

TEST_CASE("a valid configuration builds; other agents' keys are ignored") {
  auto c = check(kValid);
  INFO(c.text());
  REQUIRE(c.config.has_value());
  CHECK(c.config->sources.size() == 1);
  CHECK(c.config->sources[0].selector.type == "multiplexing");
  CHECK(c.config->sources[0].selector.multiplexing.mapping.at("status") == "c1");
  CHECK(c.config->channels.size() == 2);
  CHECK(c.config->channels[1].plugin->name == "memory");  // Flume class name as an alias
  CHECK(c.config->sinks[2].plugin->name == "null");       // types are case-insensitive
  REQUIRE(c.config->sink_groups.size() == 1);
  CHECK(c.config->sink_groups[0].processor == "failover");
  CHECK(c.config->sink_groups[0].priorities.at("k2") == 10);
}

TEST_CASE("every graph problem is reported at once with file:line") {
  auto c = check(R"(a1.sources = r1 r2
a1.channels = c1
a1.sinks = k1 k2
a1.sources.r1.type = seq
a1.sources.r1.channels = c9
a1.sources.r1.batchsize = 10
a1.sources.r2.type = seq
a1.sources.r2.channels = c1
a1.sources.r2.batchSize = 500
a1.channels.c1.type = memory
a1.channels.c1.transactionCapacity = 100
a1.sinks.k1.type = null
a1.sinks.k2.type = com.example.MySink
a1.sinks.k2.channel = c1
a1.sinkgroups = g1 g2
a1.sinkgroups.g1.sinks = k1 k2
a1.sinkgroups.g1.processor.type = load_balance
a1.sinkgroups.g2.sinks = k2
a1.sinks.k3.type = null
a1.sourcez = x
)");
  INFO(c.text());
  CHECK_FALSE(c.config.has_value());
  CHECK(
      c.has("t.conf:5: error: source 'r1' refers to channel 'c9', which is not in a1.channels; "
            "did you mean 'c1'?"));
  CHECK(
      c.has("t.conf:6: error: unknown property 'a1.sources.r1.batchsize' for source 'r1' "
            "(type seq); did you mean 'batchSize'?"));
  CHECK(
      c.has("t.conf:7: error: source 'r2': batchSize 500 exceeds transactionCapacity 100 of "
            "channel 'c1'"));
  CHECK(c.has("t.conf:12: error: sink 'k1' has no channel (set a1.sinks.k1.channel)"));
  CHECK(
      c.has("t.conf:13: error: unknown sink class 'com.example.MySink': flumen runs no Java "
            "classes"));
  CHECK(c.has("t.conf:18: error: sink 'k2' is in two sink groups: 'g1' and 'g2'"));
  CHECK(c.has("t.conf:19: error: sink 'k3' is configured but not listed in a1.sinks"));
  CHECK(c.has("t.conf:20: error: unknown agent property 'a1.sourcez'"));
}

TEST_CASE("the agent named by -n must exist") {
  auto c = check(kValid, "zz");
  CHECK_FALSE(c.config.has_value());
  CHECK(c.has("no configuration for agent 'zz' (agents in this configuration: a1, b1)"));
}

TEST_CASE("failover priorities must differ; load_balance needs two sinks") {
  auto c = check(R"(a1.channels = c1
a1.sinks = k1 k2
a1.channels.c1.type = memory
a1.sinks.k1.type = null
a1.sinks.k1.channel = c1
a1.sinks.k2.type = null
a1.sinks.k2.channel = c1
a1.sinkgroups = g1 g2
a1.sinkgroups.g1.sinks = k1 k2
a1.sinkgroups.g1.processor.type = failover
a1.sinkgroups.g1.processor.priority.k1 = 5
a1.sinkgroups.g1.processor.priority.k2 = 5
a1.sinkgroups.g1.processor.maxpenalty = lots
)");
  INFO(c.text());
  CHECK_FALSE(c.config.has_value());
  CHECK(c.has("sinks 'k1' and 'k2' have the same priority 5"));
  CHECK(c.has("t.conf:13: error: a1.sinkgroups.g1.processor.maxpenalty: expected an integer"));
  CHECK(c.has("sink group 'g2' is listed but not configured"));
}

TEST_CASE("selector channels must belong to the source; unknown selector types are errors") {
  auto c = check(R"(a1.sources = r1
a1.channels = c1 c2
a1.sinks = k1
a1.sources.r1.type = seq
a1.sources.r1.channels = c1
a1.sources.r1.selector.type = replicating
a1.sources.r1.selector.optional = c2
a1.channels.c1.type = memory
a1.channels.c2.type = memory
a1.sinks.k1.type = null
a1.sinks.k1.channel = c1
)");
  INFO(c.text());
  CHECK_FALSE(c.config.has_value());
  CHECK(
      c.has("t.conf:7: error: source 'r1': selector names channel 'c2', which is not one of the "
            "source's channels"));
  CHECK(c.has("t.conf:9: warning: channel 'c2' is used by no source and no sink"));
}

}  // namespace
}  // namespace flumen::runtime

namespace flumen::runtime {
namespace {

const char* kWorkers = R"(a1.sources = r1
a1.channels = c1
a1.sinks = k1 k2 k3
a1.sources.r1.type = seq
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.sinks.k1.type = null
a1.sinks.k1.channel = c1
a1.sinks.k1.workers = 3
a1.sinks.k2.type = null
a1.sinks.k2.channel = c1
a1.sinks.k3.type = null
a1.sinks.k3.channel = c1
)";

TEST_CASE("sink workers: a count for a network sink outside groups") {
  auto ok = check(kWorkers);
  REQUIRE(ok.config.has_value());
  CHECK(ok.config->sinks[0].workers == 3);
  CHECK(ok.config->sinks[1].workers == 1);

  auto bad =
      check(std::string(kWorkers) + "a1.sinks.k2.workers = 0\n" + "a1.sinks.k3.workers = lots\n");
  CHECK(!bad.config);
  CHECK(
      bad.has("t.conf:14: error: a1.sinks.k2.workers must be a whole number from 1 to 16, "
              "not '0'"));
  CHECK(bad.has("t.conf:15: error: a1.sinks.k3.workers must be a whole number"));

  auto grouped = check(std::string(kWorkers) +
                       "a1.sinkgroups = g\na1.sinkgroups.g.sinks = k1 k2\n"
                       "a1.sinkgroups.g.processor.type = failover\n"
                       "a1.sinkgroups.g.processor.priority.k1 = 2\n"
                       "a1.sinkgroups.g.processor.priority.k2 = 1\n");
  CHECK(!grouped.config);
  CHECK(
      grouped.has("t.conf:9: error: sink 'k1' is in sink group 'g': workers is for sinks "
                  "outside groups"));

  std::string files = kWorkers;
  files.replace(files.find("a1.sinks.k1.type = null"), 23,
                "a1.sinks.k1.type = file_roll\na1.sinks.k1.sink.directory = /tmp");
  auto one_writer = check(files);
  CHECK(!one_writer.config);
  CHECK(one_writer.has("a file_roll sink runs one worker"));
}

}  // namespace
}  // namespace flumen::runtime
