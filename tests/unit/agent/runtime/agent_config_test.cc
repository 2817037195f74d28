#include "agent/runtime/agent_config.h"

#include <doctest/doctest.h>

#include <algorithm>

#include "plugins/sources/kafka/config.h"
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

TEST_CASE("every problem is reported at once with file:line; what Flume drops is a warning") {
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
      c.has("t.conf:5: warning: source 'r1' refers to channel 'c9', which is not a configured "
            "channel of a1.channels; did you mean 'c1'? (left out, as Flume leaves it out)"));
  CHECK(c.has("t.conf:5: warning: source 'r1' has no channel left; dropped, as Flume drops it"));
  CHECK(
      c.has("t.conf:6: warning: unknown property 'a1.sources.r1.batchsize' for source 'r1' "
            "(type seq); did you mean 'batchSize'? (ignored, as Flume ignores it)"));
  CHECK(
      c.has("t.conf:7: error: source 'r2': batchSize 500 exceeds transactionCapacity 100 of "
            "channel 'c1'"));
  CHECK(c.has("t.conf:12: warning: sink 'k1' has no channel (set a1.sinks.k1.channel); dropped"));
  CHECK(
      c.has("t.conf:13: error: unknown sink class 'com.example.MySink': flumen runs no Java "
            "classes"));
  CHECK(
      c.has("t.conf:19: warning: sink 'k3' is configured but not listed in a1.sinks; did you "
            "mean 'k1'? (ignored, as Flume ignores it)"));
  CHECK(c.has("t.conf:20: warning: unknown agent property 'a1.sourcez'"));
  CHECK(c.diags.error_count() == 2);
}

// The rules of FlumeConfiguration and AbstractConfigurationProvider (Flume 1.11): a component
// listed but not configured, or pointing at a channel that does not exist, is dropped and the
// rest runs.
TEST_CASE("Flume's tolerated structure runs what Flume runs, with a warning per deviation") {
  auto c = check(R"(a1.sources = r1 r2 r3
a1.channels = c1 c2 c3
a1.sinks = k1 k2 k3 k4 g1
a1.sinkgroups = g1 g2 g3
a1.sources.r1.type = seq
a1.sources.r1.channels = c1 c9
a1.sources.r2.type = seq
a1.sources.r3.type = seq
a1.sources.r3.channels = c3
a1.channels.c1.type = memory
a1.channels.c2.type = memory
a1.sinks.k1.type = null
a1.sinks.k1.channel = c1
a1.sinks.k2.type = null
a1.sinks.k2.channel = c1
a1.sinks.k3.type = null
a1.sinks.k3.channels = c1
a1.sinks.k4.channel = c1
a1.sinkgroups.g1.sinks = k1 k2 k3
a1.sinkgroups.g1.processor.type = failover
a1.sinkgroups.g2.sinks = k2
a1.sinkgroups.g3.sinks = k9
a1.sinks.k5.type = null
a1.sinks.k1.hdfs.batchSize = 3
)");
  INFO(c.text());
  REQUIRE(c.config.has_value());
  CHECK(c.diags.error_count() == 0);
  // What runs: r1 on c1 only; k1 and k2 in g1; c1.
  REQUIRE(c.config->sources.size() == 1);
  CHECK(c.config->sources[0].channels == std::vector<std::string>{"c1"});
  REQUIRE(c.config->sinks.size() == 2);
  REQUIRE(c.config->sink_groups.size() == 1);
  CHECK(c.config->sink_groups[0].sinks == std::vector<std::string>{"k1", "k2"});
  REQUIRE(c.config->channels.size() == 1);
  CHECK(c.config->channels[0].name == "c1");
  std::vector<std::string> dropped = c.config->dropped;
  std::sort(dropped.begin(), dropped.end());
  CHECK(dropped == std::vector<std::string>{"channel 'c2'", "channel 'c3'", "sink 'g1'",
                                            "sink 'k3'", "sink 'k4'", "sink group 'g2'",
                                            "sink group 'g3'", "source 'r2'", "source 'r3'"});
  CHECK(c.has("t.conf:2: warning: channel 'c3' is listed in a1.channels but not configured"));
  CHECK(
      c.has("t.conf:3: warning: sink 'g1' is listed in a1.sinks but not configured (it is a "
            "sink group"));
  CHECK(c.has("t.conf:7: warning: source 'r2' has no channels (set a1.sources.r2.channels)"));
  CHECK(c.has("t.conf:9: warning: source 'r3' refers to channel 'c3'"));
  CHECK(c.has("t.conf:11: warning: channel 'c2' is used by no source and no sink; dropped"));
  CHECK(
      c.has("t.conf:17: warning: sink 'k3' has no channel: Flume reads "
            "a1.sinks.k3.channel (singular)"));
  CHECK(c.has("t.conf:18: warning: sink 'k4' has no type (set a1.sinks.k4.type); dropped"));
  CHECK(c.has("t.conf:19: warning: sink group 'g1' refers to sink 'k3'"));
  CHECK(c.has("t.conf:21: warning: sink 'k2' is in two sink groups: 'g1' and 'g2'"));
  CHECK(c.has("t.conf:21: warning: sink group 'g2' has no sinks; dropped"));
  CHECK(c.has("t.conf:22: warning: sink group 'g3' has no sinks; dropped"));
  CHECK(c.has("t.conf:23: warning: sink 'k5' is configured but not listed"));
  CHECK(c.has("t.conf:24: warning: unknown property 'a1.sinks.k1.hdfs.batchSize' for sink 'k1'"));
}

TEST_CASE("--strict makes every warning an error") {
  Checked c;
  c.diags.set_strict(true);
  auto props = config::PropertiesFile::parse(R"(a1.sources = r1
a1.channels = c1
a1.sources.r1.type = seq
a1.sources.r1.channels = c1
a1.sources.r1.batchsize = 5
a1.channels.c1.type = memory
)",
                                             "t.conf", c.diags);
  c.config = build_agent_config(props, "a1", plugins::linked_registry(), c.diags);
  INFO(c.text());
  CHECK_FALSE(c.config.has_value());
  CHECK(c.has("t.conf:5: error: unknown property 'a1.sources.r1.batchsize'"));
  CHECK(c.has("[--strict]"));
}

TEST_CASE("an agent left without channels, or without sources and sinks, is an error") {
  auto none = check(
      "a1.channels = c1\na1.sources = r1\na1.sources.r1.type = seq\n"
      "a1.sources.r1.channels = c1\n");
  CHECK_FALSE(none.config.has_value());
  CHECK(none.has("agent 'a1' has no configured channel: Flume would run nothing"));
  auto idle = check("a1.channels = c1\na1.channels.c1.type = memory\na1.sinks = k1\n");
  CHECK_FALSE(idle.config.has_value());
  CHECK(idle.has("agent 'a1' has no sources and no sinks"));
}

TEST_CASE("empty values are ignored, as Flume ignores them") {
  auto c = check(R"(a1.sources = r1
a1.channels = c1
a1.sources.r1.type = seq
a1.sources.r1.channels = c1
a1.sources.r1.batchSize =
a1.channels.c1.type = memory
)");
  INFO(c.text());
  REQUIRE(c.config.has_value());
  CHECK(c.has("t.conf:5: warning: 'a1.sources.r1.batchSize' has an empty value (ignored"));
}

TEST_CASE("a value that does not parse is an error, and does not hide the graph checks") {
  auto c = check(R"(a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = seq
a1.sources.r1.channels = c1
a1.sources.r1.batchSize = 500
a1.channels.c1.type = memory
a1.channels.c1.transactionCapacity = 100
a1.channels.c1.capacity = lots
a1.sinks.k1.type = null
a1.sinks.k1.channel = c1
a1.sinks.k1.batchSize = many
)");
  INFO(c.text());
  CHECK_FALSE(c.config.has_value());
  CHECK(c.has("t.conf:9: error: a1.channels.c1.capacity: expected an integer"));
  CHECK(c.has("t.conf:12: error: a1.sinks.k1.batchSize: expected an integer"));
  CHECK(c.has("t.conf:4: error: source 'r1': batchSize 500 exceeds transactionCapacity 100"));
}

TEST_CASE("the load_balancing selector and Flume's file_roll batchSize") {
  auto c = check(R"(a1.sources = r1
a1.channels = c1 c2
a1.sinks = k1 k2
a1.sources.r1.type = seq
a1.sources.r1.channels = c1 c2
a1.sources.r1.selector.type = load_balancing
a1.sources.r1.selector.policy = random
a1.channels.c1.type = memory
a1.channels.c2.type = memory
a1.sinks.k1.type = file_roll
a1.sinks.k1.sink.directory = /tmp
a1.sinks.k1.batchSize = 10
a1.sinks.k1.channel = c1
a1.sinks.k2.type = null
a1.sinks.k2.channel = c2
)");
  INFO(c.text());
  REQUIRE(c.config.has_value());
  CHECK(c.config->sources[0].selector.type == "load_balancing");
  CHECK(c.config->sources[0].selector.load_balancing.policy == "random");
  CHECK(
      c.has("t.conf:12: warning: unknown property 'a1.sinks.k1.batchSize' for sink 'k1' (type "
            "file_roll); did you mean 'sink.batchSize'? (ignored, as Flume ignores it)"));
}

TEST_CASE("the agent named by -n must exist") {
  auto c = check(kValid, "zz");
  CHECK_FALSE(c.config.has_value());
  CHECK(c.has("no configuration for agent 'zz' (agents in this configuration: a1, b1)"));
}

TEST_CASE("failover priorities must differ; a group listed but not configured is dropped") {
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
  CHECK(c.has("warning: sink group 'g2' is listed in a1.sinkgroups but not configured"));
}

// Found by running Flume 1.11 on its own test conf with real types
// (tests/integration/test_flume_oracle.py): SinkGroupConfiguration reads processor.type with no
// default, SinkProcessorFactory fails on the null type, and the provider removes the group and
// its sinks ("SinkGroup sg1 has been removed due to an error during configuration"). The default
// processor with two sinks fails the same way (AbstractSingleSinkProcessor takes exactly one).
// Like every component Flume fails while building it, flumen refuses these.
// And a group without a `sinks` key: SinkGroupConfiguration splits a null, FlumeConfiguration
// does not catch the NullPointerException, and Flume exits. And load_balance with one sink:
// LoadBalancingSinkProcessor.configure requires more than one, the group is removed.
TEST_CASE("sink groups Flume 1.11 cannot build are refused") {
  auto c = check(R"(a1.sources = r1
a1.channels = c1
a1.sinks = k1 k2 k3 k4 k5
a1.sources.r1.type = seq
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.sinks.k1.type = null
a1.sinks.k1.channel = c1
a1.sinks.k2.type = null
a1.sinks.k2.channel = c1
a1.sinks.k3.type = null
a1.sinks.k3.channel = c1
a1.sinks.k4.type = null
a1.sinks.k4.channel = c1
a1.sinkgroups = untyped pair single nosinks lonely
a1.sinkgroups.untyped.sinks = k1
a1.sinkgroups.untyped.policy.type = failover
a1.sinkgroups.pair.sinks = k2 k3
a1.sinkgroups.pair.processor.type = default
a1.sinkgroups.single.sinks = k4
a1.sinkgroups.single.processor.type = DEFAULT
a1.sinkgroups.nosinks.processor.type = failover
a1.sinkgroups.lonely.sinks = k5
a1.sinkgroups.lonely.processor.type = load_balance
a1.sinks.k5.type = null
a1.sinks.k5.channel = c1
)");
  INFO(c.text());
  CHECK_FALSE(c.config.has_value());
  CHECK(c.diags.error_count() == 4);
  CHECK(
      c.has("t.conf:24: error: sink group 'lonely': the load_balance processor needs two or "
            "more sinks, it has 'k5' only"));
  CHECK(
      c.has("t.conf:22: error: sink group 'nosinks' has no sinks (set "
            "a1.sinkgroups.nosinks.sinks): Flume 1.11 exits on a sink group without them"));
  CHECK(
      c.has("t.conf:16: error: sink group 'untyped' has no processor.type: Flume 1.11 fails to "
            "build its processor and removes the group and its sinks"));
  CHECK(c.has("t.conf:19: error: sink group 'pair': the default processor drives one sink"));
  // Flume reads policy.* nowhere (its guide's key is processor.*).
  CHECK(c.has("t.conf:17: warning: unknown property 'a1.sinkgroups.untyped.policy.type'"));
}

// Flume validates every agent of the file before it runs one: agent b's group without sinks
// stops Flume when it is asked to run agent a too (seen with Flume 1.11, test_flume_oracle.py).
// flumen runs a, and says so; b's group in an agent without a typed channel is never validated.
TEST_CASE("another agent's sink group without sinks is a warning: Flume exits on the file") {
  auto c = check(R"(a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = seq
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.sinks.k1.type = null
a1.sinks.k1.channel = c1
b1.channels = c1
b1.channels.c1.type = memory
b1.sinkgroups = g1
b1.sinkgroups.g1.processor.type = failover
c1.channels = c1
c1.channels.c1.capacity = 10
c1.sinkgroups = g1
c1.sinkgroups.g1.processor.type = failover
)");
  INFO(c.text());
  REQUIRE(c.config.has_value());
  CHECK(c.diags.error_count() == 0);
  CHECK(
      c.has("t.conf:12: warning: agent 'b1' has sink group 'g1' without sinks: Flume 1.11 "
            "exits on this file whichever agent it runs (flumen runs 'a1')"));
  CHECK_FALSE(c.has("agent 'c1'"));
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
  CHECK(c.has("t.conf:9: warning: channel 'c2' is used by no source and no sink; dropped"));
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

namespace flumen::runtime {
namespace {

const char* kKafka = R"(a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.channels.c1.type = memory
a1.sources.r1.batchSize = 100
a1.sinks.k1.type = org.apache.flume.sink.kafka.KafkaSink
a1.sinks.k1.channel = c1
a1.sinks.k1.kafka.bootstrap.servers = 127.0.0.1:9092
a1.sources.r1.type = org.apache.flume.source.kafka.KafkaSource
a1.sources.r1.channels = c1
)";

TEST_CASE("kafka keys: Flume's guide keys, Java client keys and the source's older keys") {
  auto c = check(std::string(kKafka) +
                 "a1.sinks.k1.kafka.flumeBatchSize = 20\n"                           // 11
                 "a1.sinks.k1.kafka.producer.max.request.size = 2097152\n"           // 12
                 "a1.sinks.k1.kafka.producer.buffer.memory = 33554432\n"             // 13
                 "a1.sinks.k1.kafka.producer.ssl.truststore.location = /t.jks\n"     // 14
                 "a1.sinks.k1.kafka.producer.key.serializer = x.StringSerializer\n"  // 15
                 "a1.sinks.k1.kafka.acks = 1\n"                                      // 16
                 "a1.sources.r1.zookeeperConnect = zk:2181\n"                        // 17
                 "a1.sources.r1.topic = cars\n"                                      // 18
                 "a1.sources.r1.groupId = old-group\n"                               // 19
                 "a1.sources.r1.kafka.consumer.linger.bogus = 1\n");                 // 20
  INFO(c.text());
  CHECK_FALSE(c.config.has_value());
  CHECK(
      c.has("t.conf:11: warning: unknown property 'a1.sinks.k1.kafka.flumeBatchSize' for sink "
            "'k1' (type kafka); did you mean 'flumeBatchSize'?"));
  CHECK(
      c.has("t.conf:14: error: a1.sinks.k1.kafka.producer.ssl.truststore.location: a Java "
            "truststore"));
  CHECK(c.has("t.conf:15: warning: a1.sinks.k1.kafka.producer.key.serializer: Java serializer"));
  CHECK(
      c.has("t.conf:16: warning: unknown property 'a1.sinks.k1.kafka.acks' for sink 'k1' "
            "(type kafka); did you mean 'kafka.producer.acks'?"));
  CHECK(
      c.has("t.conf:9: error: source 'r1' (type kafka): a1.sources.r1.zookeeperConnect: flumen "
            "finds brokers without ZooKeeper; set a1.sources.r1.kafka.bootstrap.servers"));
  CHECK(
      c.has("t.conf:20: error: a1.sources.r1.kafka.consumer.linger.bogus: No such "
            "configuration property"));
  CHECK_FALSE(c.has("max.request.size"));
  CHECK_FALSE(c.has("buffer.memory"));
  CHECK(c.diags.error_count() == 3);
}

TEST_CASE("the kafka source reads Flume's topic and groupId when the new keys are absent") {
  auto c = check(std::string(kKafka) +
                 "a1.sources.r1.kafka.bootstrap.servers = 127.0.0.1:9092\n"
                 "a1.sources.r1.topic = cars\n"
                 "a1.sources.r1.groupId = old-group\n");
  INFO(c.text());
  REQUIRE(c.config.has_value());
  const auto* opts =
      static_cast<const plugins::KafkaSourceOptions*>(c.config->sources[0].options.get());
  CHECK(opts->effective_topics() == "cars");
  CHECK(opts->effective_group_id() == "old-group");
  auto none = check(std::string(kKafka) + "a1.sources.r1.kafka.bootstrap.servers = b:9092\n");
  CHECK(
      none.has("t.conf:9: error: source 'r1' (type kafka): set a1.sources.r1.kafka.topics or "
               "a1.sources.r1.kafka.topics.regex"));
}

TEST_CASE("a kafka topic's escapes are checked at check time, not first at start") {
  auto c = check(std::string(kKafka) +
                 "a1.sources.r1.kafka.bootstrap.servers = b:9092\n"
                 "a1.sources.r1.kafka.topics = t\n"
                 "a1.sinks.k1.kafka.topic = cars-%{car\n");
  INFO(c.text());
  CHECK_FALSE(c.config.has_value());
  CHECK(c.has("t.conf:13: error: a1.sinks.k1.kafka.topic: "));
}

}  // namespace
}  // namespace flumen::runtime

namespace flumen::runtime {
namespace {

TEST_CASE("deadLetterChannel: flumen's own key, so its problems are errors") {
  const std::string base = R"(a1.sources = r1
a1.channels = c1 dlq
a1.sinks = k1
a1.sources.r1.type = seq
a1.sources.r1.channels = c1
a1.channels.c1.type = memory
a1.channels.dlq.type = memory
a1.sinks.k1.type = null
a1.sinks.k1.channel = c1
)";
  auto ok = check(base + "a1.sinks.k1.deadLetterChannel = dlq\n");
  INFO(ok.text());
  REQUIRE(ok.config.has_value());
  CHECK(ok.config->sinks[0].dead_letter_channel == "dlq");
  CHECK(ok.config->channels.size() == 2);  // the dead-letter channel counts as used
  auto bad = check(base + "a1.sinks.k1.deadLetterChannel = dlx\n");
  CHECK_FALSE(bad.config.has_value());
  CHECK(bad.has("t.conf:10: error: sink 'k1' refers to channel 'dlx' (deadLetterChannel)"));
  auto own = check(base + "a1.sinks.k1.deadLetterChannel = c1\n");
  CHECK(own.has("deadLetterChannel must not be the sink's own channel 'c1'"));
}

}  // namespace
}  // namespace flumen::runtime
