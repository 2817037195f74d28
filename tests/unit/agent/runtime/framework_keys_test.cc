#include "agent/runtime/framework_keys.h"

#include <doctest/doctest.h>

#include "tests/unit/support/linked_registry.h"

namespace flumen::runtime {
namespace {

config::PropertyEntry entry(const std::string& key, const std::string& value, int line) {
  config::PropertyEntry e;
  e.key = key;
  e.value = value;
  e.where = {"a.conf", line};
  return e;
}

TEST_CASE("take_framework_keys: a source's framework keys come out, type and the plugin's stay") {
  std::vector<config::PropertyEntry> entries = {
      entry("type", "netcat", 1),
      entry("bind", "127.0.0.1", 2),
      entry("channels", "c1 c2", 3),
      entry("selector.type", "multiplexing", 4),
      entry("selector.header", "h", 5),
      entry("interceptors", "i1", 6),
      entry("interceptors.i1.type", "timestamp", 7),
  };
  FrameworkEntries fw = take_framework_keys(entries, "sources");
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].key == "type");
  CHECK(entries[1].key == "bind");
  REQUIRE(fw.get("channels"));
  CHECK(fw.get("channels")->value == "c1 c2");
  CHECK(fw.get("channels")->where.line == 3);
  CHECK(fw.get("interceptors")->value == "i1");
  // selector.type stays with the selector's keys: its parser reads it there.
  CHECK_FALSE(fw.get("selector.type"));
  auto sel = fw.under("selector.");
  REQUIRE(sel.size() == 2);
  CHECK(sel[0].key == "type");
  CHECK(sel[1].key == "header");
  auto ic = fw.under("interceptors.");
  REQUIRE(ic.size() == 1);
  CHECK(ic[0].key == "i1.type");
  CHECK(fw.under("nothing.").empty());
}

TEST_CASE("take_framework_keys: a sink's channel, workers and deadLetterChannel") {
  std::vector<config::PropertyEntry> entries = {
      entry("type", "logger", 1), entry("channel", "c1", 2), entry("workers", "2", 3),
      entry("deadLetterChannel", "dlq", 4), entry("channels", "c1", 5)};
  FrameworkEntries fw = take_framework_keys(entries, "sinks");
  CHECK(fw.get("channel")->value == "c1");
  CHECK(fw.get("workers")->value == "2");
  CHECK(fw.get("deadLetterChannel")->value == "dlq");
  // `channels` is no sink key of Flume's: it stays for the plugin's table to report.
  REQUIRE(entries.size() == 2);
  CHECK(entries[1].key == "channels");
}

TEST_CASE("framework tables: one per section, every row documented with a valid default") {
  for (const std::string section : {"", "sources", "channels", "sinks", "sinkgroups"})
    CHECK_MESSAGE(framework_table(section) != nullptr, section);
  CHECK(framework_table("configfilters") == nullptr);
  for (const auto& scope : framework_scopes()) {
    CHECK_FALSE(scope.title.empty());
    for (const auto& row : scope.table->rows()) {
      CHECK_MESSAGE(!row.doc.empty(), std::string(scope.section + "." + row.key));
      if (!row.default_value.empty())
        CHECK_MESSAGE(!config::PropertyTableBase::check_value(row, row.default_value).has_value(),
                      std::string(scope.section + "." + row.key));
    }
  }
}

// A plugin key equal to a framework key (or under one of its prefixes) would never reach the
// plugin: the section builder takes it first.
TEST_CASE("no plugin key is shadowed by a framework key of its section") {
  const std::pair<pipeline::PluginKind, std::string> kinds[] = {
      {pipeline::PluginKind::kSource, "sources"},
      {pipeline::PluginKind::kChannel, "channels"},
      {pipeline::PluginKind::kSink, "sinks"}};
  for (const auto& [kind, section] : kinds) {
    const config::PropertyTableBase* fw = framework_table(section);
    REQUIRE(fw);
    for (const pipeline::PluginDef* def : plugins::linked_registry().all(kind)) {
      for (const auto& row : def->table->rows()) {
        for (const auto& f : fw->rows()) {
          const std::string what = def->name + "." + row.key + " vs " + section + "." + f.key;
          if (f.type == config::PropType::kMap)
            CHECK_MESSAGE(row.key.compare(0, f.key.size(), f.key) != 0, what);
          else
            CHECK_MESSAGE(row.key != f.key, what);
        }
      }
    }
  }
}

}  // namespace
}  // namespace flumen::runtime
