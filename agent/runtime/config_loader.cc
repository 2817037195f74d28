#include "agent/runtime/config_loader.h"

#include <cstdlib>
#include <set>

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

std::vector<std::string> agents_in(const std::vector<std::string>& files,
                                   config::Diagnostics& diags) {
  std::set<std::string> out;
  for (const auto& f : files) {
    auto one = config::PropertiesFile::load(f, diags);
    if (!one) continue;
    for (const auto& e : one->entries()) {
      const size_t dot = e.key.find('.');
      if (dot == std::string::npos || dot == 0) continue;
      const std::string rest = e.key.substr(dot + 1);
      for (const char* section : {"sources", "channels", "sinks", "sinkgroups"}) {
        const std::string s = section;
        if (rest == s || rest.rfind(s + ".", 0) == 0) out.insert(e.key.substr(0, dot));
      }
    }
  }
  return {out.begin(), out.end()};
}

}  // namespace flumen::runtime
