#include "agent/runtime/topology_json.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

namespace flumen::runtime {
namespace {

TEST_CASE("topology json: nodes in order with their metrics keys, edges with labels") {
  Topology t;
  t.agent = "a1";
  t.nodes = {{"a1_source_r1", "source", "r1", "netcat", "SOURCE.r1"},
             {"a1_selector_r1", "selector", "r1", "multiplexing state", ""},
             {"a1_channel_c\"1", "channel", "c\"1", "memory", "CHANNEL.c\"1"}};
  t.edges = {{"a1_source_r1", "a1_selector_r1", ""}, {"a1_selector_r1", "a1_channel_c\"1", "CA"}};
  auto j = nlohmann::json::parse(format_topology_json(t));
  CHECK(j["agent"] == "a1");
  REQUIRE(j["nodes"].size() == 3);
  CHECK(j["nodes"][0]["kind"] == "source");
  CHECK(j["nodes"][0]["metrics"] == "SOURCE.r1");
  CHECK(j["nodes"][1]["metrics"] == "");
  CHECK(j["nodes"][2]["name"] == "c\"1");  // quoted, not broken
  REQUIRE(j["edges"].size() == 2);
  CHECK(j["edges"][1]["label"] == "CA");
  CHECK(j["edges"][1]["to"] == "a1_channel_c\"1");
}

}  // namespace
}  // namespace flumen::runtime
