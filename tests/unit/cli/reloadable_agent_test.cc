#include "cli/reloadable_agent.h"

#include <doctest/doctest.h>

#include "agent/config/properties.h"
#include "tests/unit/plugins/channels/channel_conformance.h"
#include "tests/unit/support/linked_registry.h"

namespace flumen::cli {
namespace {

using namespace std::chrono_literals;

// A netcat source nobody writes to and a channel with no sink: the events the test puts stay in
// the channel, so whether a reload touched it shows.
std::string conf(const std::string& capacity, const std::string& more = "") {
  return "a1.sources = r1\n"
         "a1.channels = c1\n"
         "a1.sources.r1.type = netcat\n"
         "a1.sources.r1.bind = 127.0.0.1\n"
         "a1.sources.r1.port = 0\n"
         "a1.sources.r1.channels = c1\n"
         "a1.channels.c1.type = memory\n"
         "a1.channels.c1.capacity = " +
         capacity + "\n" + more;
}

// What the agent command's loader does with files, from a string the test rewrites.
ReloadableAgent::Loader loader_of(const std::string& text) {
  return [&text](config::Diagnostics& diags) -> std::optional<runtime::AgentConfig> {
    auto props = config::PropertiesFile::parse(text, "a1.conf", diags);
    props.substitute([](const std::string&) { return std::nullopt; }, {}, diags);
    return runtime::build_agent_config(props, "a1", plugins::linked_registry(), diags);
  };
}

TEST_CASE("reloadable agent: a conf that does not validate leaves the running pipeline as it is") {
  std::string text = conf("100");
  auto load = loader_of(text);
  config::Diagnostics diags;
  auto first = load(diags);
  INFO(diags.format());
  REQUIRE(first.has_value());
  runtime::Agent agent(std::make_shared<metrics::MetricsRegistry>());
  runtime::Fingerprints running = runtime::fingerprints_of(*first);
  REQUIRE(agent.apply(std::move(*first)).is_ok());
  pipeline::Channel* c1 = agent.channel("c1");
  REQUIRE(testing::put(*c1, testing::numbered(0, 10)).is_ok());
  ReloadableAgent reloadable(agent, std::move(running), load);

  SUBCASE("refused: an unknown sink type next to a new capacity") {
    text = conf("200",
                "a1.sinks = k1\n"
                "a1.sinks.k1.type = no_such_sink\n"
                "a1.sinks.k1.channel = c1\n");
    CHECK_FALSE(reloadable.reload());
    CHECK(agent.channel("c1") == c1);
    CHECK(c1->capacity() == 100);  // not even the valid part applied
    CHECK(c1->size() == 10);
    // The same conf fixed: applied.
    text = conf("200");
    CHECK(reloadable.reload());
    CHECK(agent.last_apply().reconfigured == 1);
    CHECK(agent.channel("c1") == c1);
    CHECK(c1->capacity() == 200);
    CHECK(c1->size() == 10);
  }
  SUBCASE("refused: a file that no longer parses as a conf of a1") {
    text = "a1.sources = r1\n";  // r1 has no type, no channel
    CHECK_FALSE(reloadable.reload());
    CHECK(agent.channel("c1") == c1);
    CHECK(c1->size() == 10);
  }
  // A stop with events left in the memory channel: they are undelivered, the exit code's 4.
  CHECK_FALSE(reloadable.stop(50ms));
}

}  // namespace
}  // namespace flumen::cli
