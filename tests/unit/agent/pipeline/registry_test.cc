#include "agent/pipeline/registry.h"

#include <doctest/doctest.h>

#include "plugins/registry.h"
#include "plugins/sinks/null/null_sink.h"
#include "tests/unit/support/linked_registry.h"

namespace flumen::pipeline {
namespace {

PluginDef null_sink_named(std::string name, std::vector<std::string> aliases) {
  return sink_plugin<plugins::NullSink>(std::move(name), std::move(aliases), "test sink",
                                        plugins::null_sink_table());
}

TEST_CASE("a deferred plugin's module is loaded on first lookup, once") {
  Registry r;
  r.add(null_sink_named("null", {}));
  r.add_deferred({PluginKind::kSink, "heavy", {"org.example.HeavySink"}, "heavy.so"});
  int loads = 0;
  r.set_module_loader([&loads](const std::string& module, Registry& into) -> std::string {
    CHECK(module == "heavy.so");
    ++loads;
    into.add(null_sink_named("heavy", {"org.example.HeavySink"}));
    return "";
  });
  const PluginDef* null_before = r.find(PluginKind::kSink, "null");
  CHECK(loads == 0);
  CHECK(r.names(PluginKind::kSink) == std::vector<std::string>{"null", "heavy"});
  CHECK(loads == 0);  // naming the types loads nothing

  const PluginDef* heavy = r.find(PluginKind::kSink, "org.example.HeavySink");
  REQUIRE(heavy != nullptr);
  CHECK(heavy->name == "heavy");
  CHECK(r.find(PluginKind::kSink, "HEAVY") == heavy);
  CHECK(loads == 1);
  CHECK(r.find(PluginKind::kSink, "null") == null_before);  // earlier pointers stay valid
  CHECK(r.module_error(PluginKind::kSink, "heavy").empty());
  CHECK(r.find(PluginKind::kSource, "heavy") == nullptr);  // kinds are separate
}

TEST_CASE("a module that cannot be loaded is reported, and tried again at the next lookup") {
  Registry r;
  r.add_deferred({PluginKind::kChannel, "disk", {}, "disk.so"});
  r.add_deferred({PluginKind::kChannel, "other", {}, "disk.so"});
  int loads = 0;
  r.set_module_loader([&loads](const std::string&, Registry&) -> std::string {
    ++loads;
    return "module disk.so not found";
  });
  CHECK(r.find(PluginKind::kChannel, "disk") == nullptr);
  CHECK(loads == 1);
  CHECK(r.find(PluginKind::kChannel, "other") == nullptr);
  CHECK(loads == 2);  // installed since? a reload finds it
  CHECK(r.module_error(PluginKind::kChannel, "disk") == "module disk.so not found");
  CHECK(r.module_error(PluginKind::kChannel, "nonsense").empty());
  CHECK(r.all(PluginKind::kChannel).empty());
}

TEST_CASE("a module that lacks a plugin it is listed for is reported") {
  Registry r;
  r.add_deferred({PluginKind::kSink, "promised", {}, "m.so"});
  r.set_module_loader([](const std::string&, Registry&) -> std::string { return ""; });
  CHECK(r.find(PluginKind::kSink, "promised") == nullptr);
  CHECK(r.module_error(PluginKind::kSink, "promised") ==
        "module m.so does not provide the sink 'promised'");
}

TEST_CASE("the built-in registry's deferred entries match what the modules register") {
  const Registry& builtin = plugins::builtin_registry();
  const Registry& linked = plugins::linked_registry();
  REQUIRE(!builtin.deferred().empty());
  for (const DeferredPlugin& d : builtin.deferred()) {
    CAPTURE(d.name);
    const PluginDef* def = linked.find(d.kind, d.name);
    REQUIRE(def != nullptr);
    CHECK(def->aliases == d.aliases);
  }
  // And every linked plugin is reachable from the built-in registry by name, without loading.
  for (const PluginDef& def : linked.defs()) {
    auto names = builtin.names(def.kind);
    CHECK_MESSAGE(std::find(names.begin(), names.end(), def.name) != names.end(), def.name);
  }
}

}  // namespace
}  // namespace flumen::pipeline
