#pragma once
// From conf files on disk to a validated AgentConfig: read and merge the files in order (later
// keys override earlier ones, as Flume merges several --conf-file), substitute ${...}, then build
// and check the agent's model. Shared by `flumen agent` and `flumen check`, so both report the
// same problems.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/config/diagnostics.h"
#include "agent/pipeline/registry.h"
#include "agent/runtime/agent_config.h"

namespace flumen::runtime {

std::optional<AgentConfig> load_agent_config(const std::vector<std::string>& files,
                                             const std::string& agent_name,
                                             const std::map<std::string, std::string>& sys_props,
                                             const pipeline::Registry& registry,
                                             config::Diagnostics& diags);

// The agents a set of conf files configures (every first key segment followed by sources,
// channels, sinks or sinkgroups), sorted; file errors go to diags.
std::vector<std::string> agents_in(const std::vector<std::string>& files,
                                   config::Diagnostics& diags);

}  // namespace flumen::runtime
