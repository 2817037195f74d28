#include <iostream>

#include "agent/cli/commands.h"
#include "agent/runtime/agent_config.h"
#include "agent/runtime/config_loader.h"
#include "agent/runtime/plugin_docs.h"
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

int run_check(const AgentArgs& args) {
  config::Diagnostics diags;
  diags.set_strict(args.strict);
  auto cfg = runtime::load_agent_config(args.conf_files, args.name, parse_defines(args.defines),
                                        plugins::builtin_registry(), diags);
  std::cerr << diags.format();
  if (!cfg) {
    std::cerr << diags.error_count() << " error(s); agent '" << args.name << "' would not start\n";
    return kExitBadConfig;
  }
  const size_t warnings = diags.all().size() - diags.error_count();
  std::cout << "agent '" << args.name << "' is valid: " << cfg->sources.size() << " sources, "
            << cfg->channels.size() << " channels, " << cfg->sinks.size() << " sinks, "
            << cfg->sink_groups.size() << " sink groups";
  if (warnings > 0) std::cout << "; " << warnings << " warning(s)";
  std::cout << "\n";
  if (!cfg->dropped.empty()) {
    std::cout << "dropped, as Flume drops them:";
    for (const auto& d : cfg->dropped)
      std::cout << " " << d << (&d == &cfg->dropped.back() ? "" : ",");
    std::cout << "\n";
  }
  return kExitOk;
}

int run_plugins(bool markdown) {
  const auto& reg = plugins::builtin_registry();
  std::cout << (markdown ? runtime::plugins_markdown(reg) : runtime::plugins_text(reg));
  return kExitOk;
}

}  // namespace flumen::cli
