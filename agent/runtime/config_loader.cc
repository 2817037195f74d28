#include "agent/runtime/config_loader.h"

#include <cstdlib>

namespace flumen::runtime {

std::optional<AgentConfig> load_agent_config(const std::vector<std::string>& files,
                                             const std::string& agent_name,
                                             const std::map<std::string, std::string>& sys_props,
                                             const pipeline::Registry& registry,
                                             config::Diagnostics& diags) {
  std::optional<config::PropertiesFile> merged;
  for (const auto& f : files) {
    auto one = config::PropertiesFile::load(f, diags);
    if (!one) continue;
    if (!merged)
      merged = std::move(one);
    else
      merged->merge(*one);
  }
  if (!merged || diags.has_errors()) return std::nullopt;
  merged->substitute(
      [](const std::string& name) -> std::optional<std::string> {
        const char* v = std::getenv(name.c_str());
        if (!v) return std::nullopt;
        return std::string(v);
      },
      sys_props, diags);
  if (diags.has_errors()) return std::nullopt;
  return build_agent_config(*merged, agent_name, registry, diags);
}

}  // namespace flumen::runtime
