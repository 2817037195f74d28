#include <iostream>
#include <optional>

#include "agent/runtime/agent_config.h"
#include "agent/runtime/config_loader.h"
#include "agent/runtime/plugin_docs.h"
#include "agent/runtime/topology.h"
#include "cli/commands.h"
#include "cli/flow_guarantees.h"
#include "plugins/registry.h"

namespace flumen::cli {

std::map<std::string, std::string> parse_defines(const std::vector<std::string>& defines) {
  std::map<std::string, std::string> out;
  for (const auto& d : defines) {
    size_t eq = d.find('=');
    if (eq == std::string::npos)
      out[d] = "";
    else
      out[d.substr(0, eq)] = d.substr(eq + 1);
  }
  return out;
}

namespace {

// Checks one agent; its model when valid. With a graph requested the summary goes to stderr, so
// stdout is the graph alone.
std::optional<runtime::AgentConfig> check_one(const AgentArgs& args, const std::string& name,
                                              bool graph) {
  config::Diagnostics diags;
  diags.set_strict(args.strict);
  auto cfg = runtime::load_agent_config(args.conf_files, name, parse_defines(args.defines),
                                        plugins::builtin_registry(), diags);
  std::cerr << diags.format();
  if (!cfg) {
    std::cerr << diags.error_count() << " error(s); agent '" << name << "' would not start\n";
    return std::nullopt;
  }
  std::ostream& out = graph ? std::cerr : std::cout;
  const size_t warnings = diags.all().size() - diags.error_count();
  out << "agent '" << name << "' is valid: " << cfg->sources.size() << " sources, "
      << cfg->channels.size() << " channels, " << cfg->sinks.size() << " sinks, "
      << cfg->sink_groups.size() << " sink groups";
  if (warnings > 0) out << "; " << warnings << " warning(s)";
  out << "\n";
  // What the flows promise across a kill -9 of this agent (docs/guide.md, "Delivery
  // guarantees").
  out << "delivery across a kill -9 of the agent, per flow:\n";
  for (const FlowGuarantee& f : flow_guarantees(*cfg)) {
    out << "  " << f.source << " -> " << f.channel << " -> " << (f.sink.empty() ? "-" : f.sink)
        << ": " << guarantee_name(f.guarantee);
    if (!f.why.empty()) out << " (" << f.why << ")";
    out << "\n";
  }
  if (!cfg->dropped.empty()) {
    out << "dropped, as Flume drops them:";
    for (const auto& d : cfg->dropped)
      out << " " << d << (&d == &cfg->dropped.back() ? "" : ",");
    out << "\n";
  }
  return cfg;
}

}  // namespace

int run_check(const AgentArgs& args, const std::string& graph) {
  std::vector<std::string> names{args.name};
  if (args.name.empty()) {  // every agent of the files
    config::Diagnostics diags;
    names = runtime::agents_in(args.conf_files, diags);
    if (diags.has_errors()) {
      std::cerr << diags.format();
      return kExitBadConfig;
    }
    if (names.empty()) {
      std::cerr << "no agent is configured in these files (no <agent>.sources/channels/sinks "
                   "keys)\n";
      return kExitBadConfig;
    }
  }
  bool all_valid = true;
  std::vector<runtime::Topology> graphs;
  for (const auto& name : names) {
    auto cfg = check_one(args, name, !graph.empty());
    if (!cfg) {
      all_valid = false;
      continue;
    }
    graphs.push_back(runtime::topology_of(*cfg));
  }
  if (graph == "dot") std::cout << runtime::format_dot(graphs);
  if (graph == "mermaid") std::cout << runtime::format_mermaid(graphs);
  return all_valid ? kExitOk : kExitBadConfig;
}

int run_plugins(const PluginsArgs& args) {
  const auto& reg = plugins::builtin_registry();
  if (!args.name.empty() && (args.json || args.markdown)) {
    std::cerr << "flumen plugins: NAME prints one plugin as text; --json and --markdown print "
                 "every plugin\n";
    return kExitUsage;
  }
  if (!args.name.empty()) {
    auto text = runtime::plugin_text(reg, args.name);
    if (!text) {
      std::cerr << "flumen plugins: no plugin named '" << args.name << "'";
      std::string near = config::nearest(args.name, runtime::documented_names(reg));
      if (!near.empty()) std::cerr << "; did you mean '" << near << "'?";
      std::cerr << " (`flumen plugins` lists them all)\n";
      return kExitUsage;
    }
    std::cout << *text;
    return kExitOk;
  }
  if (args.json) {
    std::cout << runtime::plugins_json(reg);
  } else {
    std::cout << (args.markdown ? runtime::plugins_markdown(reg) : runtime::plugins_text(reg));
  }
  return kExitOk;
}

}  // namespace flumen::cli
