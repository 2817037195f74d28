#include "agent/runtime/plugin_docs.h"

#include <limits>
#include <nlohmann/json.hpp>

#include "agent/config/properties.h"
#include "agent/runtime/agent_config.h"
#include "agent/runtime/framework_keys.h"

namespace flumen::runtime {

namespace {

std::string escape_cell(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|')
      out += "\\|";
    else
      out += c;
  }
  return out;
}

void table_markdown(std::string& out, const config::PropertyTableBase& table) {
  if (table.rows().empty()) {
    out += "No properties.\n\n";
    return;
  }
  out += "| key | type | default | required | allowed | description |\n";
  out += "|---|---|---|---|---|---|\n";
  for (const auto& r : table.rows()) {
    std::string key = r.type == config::PropType::kMap ? r.key + "<name>" : r.key;
    for (const auto& a : r.aliases)
      key += " (alias: " + a + ")";
    out += "| `" + escape_cell(key) + "` | " + config::prop_type_name(r.type) + " | " +
           (r.default_value.empty() ? "" : "`" + escape_cell(r.default_value) + "`") + " | " +
           (r.required ? "yes" : "") + " | " + escape_cell(r.constraint_text()) + " | " +
           escape_cell(r.doc) + " |\n";
  }
  out += "\n";
}

void table_text(std::string& out, const config::PropertyTableBase& table) {
  for (const auto& r : table.rows()) {
    std::string key = r.type == config::PropType::kMap ? r.key + "<name>" : r.key;
    out += "    " + key + " (" + config::prop_type_name(r.type);
    if (!r.constraint_text().empty()) out += " " + r.constraint_text();
    if (r.required) out += ", required";
    if (!r.default_value.empty()) out += ", default " + r.default_value;
    out += ")\n        " + r.doc + "\n";
  }
}

struct CoreTable {
  std::string name;  // what `flumen plugins NAME` matches
  std::string heading;
  std::string prefix;
  std::string summary;
  const config::PropertyTableBase* table;
};

// The selectors and sink processors, from their definition lists.
std::vector<CoreTable> core_tables() {
  std::vector<CoreTable> out;
  for (const auto& d : selector_defs())
    out.push_back(
        {d.name, "selector: " + d.name, "<agent>.sources.<source>.selector.", d.summary, d.table});
  for (const auto& d : processor_defs())
    out.push_back({d.name, "sink processor: " + d.name, "<agent>.sinkgroups.<group>.processor.",
                   d.summary, d.table});
  return out;
}

const pipeline::PluginKind kKinds[] = {pipeline::PluginKind::kSource,
                                       pipeline::PluginKind::kChannel, pipeline::PluginKind::kSink,
                                       pipeline::PluginKind::kInterceptor};

}  // namespace

std::string plugins_markdown(const pipeline::Registry& registry) {
  std::string out =
      "# flumen configuration reference\n\n"
      "Generated from the plugins' property tables by `flumen plugins --markdown`; do not edit.\n"
      "Keys are relative to the component, e.g. `a1.sources.r1.batchSize`. Types are matched\n"
      "case-insensitively; Flume's class names are accepted as aliases. The selectors, sink\n"
      "processors and framework keys follow the plugins; the broker's keys are in broker.md.\n\n";
  for (auto kind : kKinds) {
    for (const pipeline::PluginDef* d : registry.all(kind)) {
      out += "## " + std::string(pipeline::plugin_kind_name(kind)) + ": " + d->name + "\n\n";
      out += d->summary + "\n\n";
      if (!d->aliases.empty()) {
        out += "Aliases:";
        for (const auto& a : d->aliases)
          out += " `" + a + "`";
        out += "\n\n";
      }
      table_markdown(out, *d->table);
    }
  }
  out += "## Framework keys\n\nRead by the agent around each plugin's own keys.\n\n";
  for (const auto& scope : framework_scopes()) {
    out += "### " + scope.title + "\n\n";
    table_markdown(out, *scope.table);
  }
  for (const auto& t : core_tables()) {
    out += "## " + t.heading + "\n\n" + t.summary + " Keys under `" + t.prefix + "`.\n\n";
    table_markdown(out, *t.table);
  }
  return out;
}

std::string properties_markdown(const config::PropertyTableBase& table) {
  std::string out;
  table_markdown(out, table);
  return out;
}

std::string broker_markdown(const config::PropertyTableBase& broker_table) {
  return "# flumen broker configuration reference\n\n"
         "Generated from the broker's property table by the unit tests "
         "(`FLUMEN_WRITE_REFERENCE=1 build/tests/unit_tests`); do not edit.\n"
         "These are the keys of the properties file given to `flumen broker --conf FILE`, with\n"
         "Kafka's names and units; an unknown key is an error with file:line. Where Kafka has\n"
         "several keys for one setting, the finer one wins (`log.retention.ms` over\n"
         "`log.retention.minutes` over `log.retention.hours`, `log.roll.ms` over\n"
         "`log.roll.hours`, `node.id` over `broker.id`). The listen and advertised addresses,\n"
         "the data directory and the metrics port are command-line flags (`flumen broker "
         "--help`).\n\n"
         "## broker (`flumen broker --conf`)\n\n" +
         properties_markdown(broker_table);
}

std::string plugins_text(const pipeline::Registry& registry) {
  std::string out;
  for (auto kind : kKinds) {
    auto defs = registry.all(kind);
    if (defs.empty()) continue;
    out += std::string(pipeline::plugin_kind_name(kind)) + "s:\n";
    for (const pipeline::PluginDef* d : defs) {
      out += "  " + d->name + " - " + d->summary + "\n";
      table_text(out, *d->table);
    }
    out += "\n";
  }
  for (const auto& t : core_tables()) {
    out += t.heading + " (" + t.prefix + "*) - " + t.summary + "\n";
    table_text(out, *t.table);
  }
  return out;
}

namespace {

bool names_match(std::string_view a, std::string_view b) {
  return config::to_lower(a) == config::to_lower(b);
}

bool plugin_named(const pipeline::PluginDef& d, std::string_view name) {
  if (names_match(d.name, name)) return true;
  for (const auto& a : d.aliases)
    if (names_match(a, name)) return true;
  return false;
}

nlohmann::ordered_json properties_json(const config::PropertyTableBase& table) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& r : table.rows()) {
    nlohmann::ordered_json p;
    p["key"] = r.key;
    p["type"] = config::prop_type_name(r.type);
    if (r.type == config::PropType::kMap) p["map_prefix"] = true;
    if (!r.default_value.empty()) p["default"] = r.default_value;
    p["required"] = r.required;
    if (r.min != std::numeric_limits<int64_t>::min()) p["min"] = r.min;
    if (r.max != std::numeric_limits<int64_t>::max()) p["max"] = r.max;
    if (!r.choices.empty()) p["choices"] = r.choices;
    if (!r.aliases.empty()) p["aliases"] = r.aliases;
    p["description"] = r.doc;
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace

std::optional<std::string> plugin_text(const pipeline::Registry& registry, std::string_view name) {
  std::string out;
  for (auto kind : kKinds) {
    for (const pipeline::PluginDef* d : registry.all(kind)) {
      if (!plugin_named(*d, name)) continue;
      out +=
          std::string(pipeline::plugin_kind_name(kind)) + " " + d->name + " - " + d->summary + "\n";
      if (!d->aliases.empty()) {
        out += "  aliases:";
        for (const auto& a : d->aliases)
          out += " " + a;
        out += "\n";
      }
      out +=
          "  keys under <agent>." + std::string(pipeline::plugin_kind_name(kind)) + "s.<name>.:\n";
      if (d->table->rows().empty()) out += "    (no properties)\n";
      table_text(out, *d->table);
      out += "\n";
    }
  }
  for (const auto& t : core_tables()) {
    if (!names_match(t.name, name)) continue;
    out += std::string(t.heading) + "\n  keys under " + t.prefix + ":\n";
    table_text(out, *t.table);
    out += "\n";
  }
  if (out.empty()) return std::nullopt;
  return out;
}

std::vector<std::string> documented_names(const pipeline::Registry& registry) {
  std::vector<std::string> out;
  for (auto kind : kKinds)
    for (const pipeline::PluginDef* d : registry.all(kind))
      out.push_back(d->name);
  for (const auto& t : core_tables())
    out.push_back(t.name);
  return out;
}

std::string plugins_json(const pipeline::Registry& registry) {
  nlohmann::ordered_json root;
  root["version"] = 1;
  nlohmann::ordered_json plugins = nlohmann::ordered_json::array();
  for (auto kind : kKinds) {
    for (const pipeline::PluginDef* d : registry.all(kind)) {
      nlohmann::ordered_json p;
      p["kind"] = pipeline::plugin_kind_name(kind);
      p["name"] = d->name;
      p["aliases"] = d->aliases;
      p["summary"] = d->summary;
      p["properties"] = properties_json(*d->table);
      plugins.push_back(std::move(p));
    }
  }
  root["plugins"] = std::move(plugins);
  nlohmann::ordered_json core = nlohmann::ordered_json::array();
  for (const auto& t : core_tables()) {
    nlohmann::ordered_json c;
    c["name"] = t.name;
    c["kind"] = std::string(t.heading).substr(0, std::string(t.heading).find(':'));
    c["prefix"] = t.prefix;
    c["properties"] = properties_json(*t.table);
    core.push_back(std::move(c));
  }
  root["core"] = std::move(core);
  nlohmann::ordered_json framework = nlohmann::ordered_json::array();
  for (const auto& scope : framework_scopes()) {
    nlohmann::ordered_json f;
    f["section"] = scope.section;
    f["properties"] = properties_json(*scope.table);
    framework.push_back(std::move(f));
  }
  root["framework"] = std::move(framework);
  return root.dump(2) + "\n";
}

}  // namespace flumen::runtime
