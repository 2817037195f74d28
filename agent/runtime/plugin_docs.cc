#include "agent/runtime/plugin_docs.h"

#include "agent/runtime/agent_config.h"

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
  const char* heading;
  const char* prefix;
  const config::PropertyTableBase* table;
};

std::vector<CoreTable> core_tables() {
  return {
      {"selector: replicating", "<agent>.sources.<source>.selector.",
       &replicating_selector_table()},
      {"selector: multiplexing", "<agent>.sources.<source>.selector.",
       &multiplexing_selector_table()},
      {"sink processor: failover", "<agent>.sinkgroups.<group>.processor.",
       &failover_processor_table()},
      {"sink processor: load_balance", "<agent>.sinkgroups.<group>.processor.",
       &load_balance_processor_table()},
  };
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
      "case-insensitively; Flume's class names are accepted as aliases.\n\n";
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
  for (const auto& t : core_tables()) {
    out += "## " + std::string(t.heading) + "\n\nKeys under `" + t.prefix + "`.\n\n";
    table_markdown(out, *t.table);
  }
  return out;
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
    out += std::string(t.heading) + " (" + t.prefix + "*):\n";
    table_text(out, *t.table);
  }
  return out;
}

}  // namespace flumen::runtime
