#include "agent/runtime/agent.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>

#include "tests/unit/plugins/channels/channel_conformance.h"
#include "tests/unit/support/linked_registry.h"

namespace flumen::runtime {
namespace {

AgentConfig build(const std::string& conf) {
  config::Diagnostics diags;
  auto props = config::PropertiesFile::parse(conf, "t.conf", diags);
  props.substitute([](const std::string&) { return std::nullopt; }, {}, diags);
  auto cfg = build_agent_config(props, "a1", plugins::linked_registry(), diags);
  INFO(diags.format());
  REQUIRE(cfg.has_value());
  return std::move(*cfg);
}

// A netcat source that nobody writes to and a channel with no sink: the events a test puts
// stay in the channel, so what a reload does to them shows.
std::string conf_with_channel(const std::string& channel_keys) {
  return "a1.sources = r1\n"
         "a1.channels = c1\n"
         "a1.sources.r1.type = netcat\n"
         "a1.sources.r1.bind = 127.0.0.1\n"
         "a1.sources.r1.port = 0\n"
         "a1.sources.r1.channels = c1\n" +
         channel_keys;
}

TEST_CASE("a reload that changes a memory channel's keys keeps its events") {
  Agent agent(std::make_shared<metrics::MetricsRegistry>());
  REQUIRE(agent
              .apply(build(conf_with_channel("a1.channels.c1.type = memory\n"
                                             "a1.channels.c1.capacity = 20000\n"
                                             "a1.channels.c1.transactionCapacity = 1000\n")))
              .is_ok());
  pipeline::Channel* before = agent.channel("c1");
  for (int i = 0; i < 4050; i += 50)
    REQUIRE(testing::put(*before, testing::numbered(i, 50)).is_ok());
  REQUIRE(before->size() == 4050);

  SUBCASE("resized in place") {
    REQUIRE(agent
                .apply(build(conf_with_channel("a1.channels.c1.type = memory\n"
                                               "a1.channels.c1.capacity = 30000\n"
                                               "a1.channels.c1.transactionCapacity = 1000\n")))
                .is_ok());
    CHECK(agent.last_apply().reconfigured == 1);
    CHECK(agent.channel("c1") == before);
    CHECK(agent.channel("c1")->size() == 4050);
    CHECK(agent.channel("c1")->capacity() == 30000);
    // Shrunk below what it holds: it keeps every event and refuses puts until drained.
    REQUIRE(agent
                .apply(build(conf_with_channel("a1.channels.c1.type = memory\n"
                                               "a1.channels.c1.capacity = 1000\n"
                                               "a1.channels.c1.transactionCapacity = 100\n"
                                               "a1.channels.c1.keep-alive = 0\n")))
                .is_ok());
    CHECK(agent.channel("c1")->size() == 4050);
    CHECK_FALSE(testing::put(*agent.channel("c1"), testing::numbered(0, 1)).is_ok());
    auto bodies = testing::take_bodies(*agent.channel("c1"), 100);
    CHECK(bodies.front() == "0");  // order kept
  }
  SUBCASE("replaced by a file channel: the events move over") {
    namespace fs = std::filesystem;
    const fs::path dir =
        fs::temp_directory_path() / ("flumen-agent-reload-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    REQUIRE(agent
                .apply(build(conf_with_channel("a1.channels.c1.type = file\n"
                                               "a1.channels.c1.dataDirs = " +
                                               dir.string() + "\n")))
                .is_ok());
    CHECK(agent.channel("c1") != before);
    CHECK(agent.channel("c1")->durable());
    CHECK(agent.channel("c1")->size() == 4050);
    auto bodies = testing::take_bodies(*agent.channel("c1"), 3);
    CHECK(bodies == std::vector<std::string>{"0", "1", "2"});
    agent.stop(std::chrono::milliseconds(0));
    fs::remove_all(dir);
  }
}

TEST_CASE("a stop with events left in a memory channel reports them undelivered") {
  Agent agent(std::make_shared<metrics::MetricsRegistry>());
  REQUIRE(agent.apply(build(conf_with_channel("a1.channels.c1.type = memory\n"))).is_ok());
  REQUIRE(testing::put(*agent.channel("c1"), testing::numbered(0, 10)).is_ok());
  CHECK_FALSE(agent.stop(std::chrono::milliseconds(50)));
}

}  // namespace
}  // namespace flumen::runtime
