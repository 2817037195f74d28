#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "agent/runtime/plugin_docs.h"
#include "tests/unit/support/linked_registry.h"

namespace flumen::runtime {
namespace {

TEST_CASE("plugin_text: one plugin by name or alias, every kind of that name") {
  const auto& reg = plugins::linked_registry();
  auto tail = plugin_text(reg, "TAILDIR");
  REQUIRE(tail.has_value());
  CHECK(tail->rfind("source taildir - ", 0) == 0);
  CHECK(tail->find("positionFile (string") != std::string::npos);
  CHECK(tail->find("sink ") == std::string::npos);

  auto by_class = plugin_text(reg, "org.apache.flume.source.taildir.TaildirSource");
  REQUIRE(by_class.has_value());
  CHECK(*by_class == *tail);

  auto forward = plugin_text(reg, "forward");
  REQUIRE(forward.has_value());
  CHECK(forward->find("source forward - ") != std::string::npos);
  CHECK(forward->find("sink forward - ") != std::string::npos);

  auto failover = plugin_text(reg, "failover");
  REQUIRE(failover.has_value());
  CHECK(failover->find("maxpenalty") != std::string::npos);

  CHECK_FALSE(plugin_text(reg, "tail").has_value());
}

TEST_CASE("plugins_json: every plugin and every key of its table, with types and limits") {
  const auto& reg = plugins::linked_registry();
  auto j = nlohmann::json::parse(plugins_json(reg));
  CHECK(j["version"] == 1);
  size_t defs = 0;
  for (const auto& d : reg.defs()) {
    (void)d;
    ++defs;
  }
  REQUIRE(j["plugins"].size() == defs);
  bool saw_taildir = false;
  for (const auto& p : j["plugins"]) {
    const pipeline::PluginDef* def = nullptr;
    for (const auto& d : reg.defs())
      if (d.name == p["name"] && pipeline::plugin_kind_name(d.kind) == p["kind"]) def = &d;
    REQUIRE_MESSAGE(def != nullptr, p["name"].get<std::string>());
    REQUIRE(p["properties"].size() == def->table->rows().size());
    for (size_t i = 0; i < def->table->rows().size(); ++i) {
      const auto& row = def->table->rows()[i];
      const auto& prop = p["properties"][i];
      CHECK(prop["key"] == row.key);
      CHECK(prop["required"] == row.required);
      CHECK(prop["description"] == row.doc);
      if (!row.default_value.empty()) CHECK(prop["default"] == row.default_value);
    }
    if (p["name"] == "taildir") {
      saw_taildir = true;
      CHECK(p["aliases"][0] == "org.apache.flume.source.taildir.TaildirSource");
    }
  }
  CHECK(saw_taildir);
  std::set<std::string> core;
  for (const auto& c : j["core"])
    core.insert(c["name"].get<std::string>());
  CHECK(core == std::set<std::string>{"default", "failover", "load_balance", "load_balancing",
                                      "multiplexing", "replicating"});
}

}  // namespace
}  // namespace flumen::runtime
