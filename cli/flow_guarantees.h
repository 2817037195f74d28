#pragma once
// What a conf promises for each flow (source -> channel -> sink) when the agent is killed
// (kill -9) or restarted: the guarantees table of docs/guide.md ("Delivery guarantees"), worked
// out from the component types and the few keys that change it. `flumen check` prints it.
#include <string>
#include <vector>

#include "agent/runtime/agent_config.h"

namespace flumen::cli {

enum class Guarantee { kExactlyOnce, kAtLeastOnce, kMayLose };

struct FlowGuarantee {
  std::string source, channel, sink;  // sink "" when the channel has no sink
  Guarantee guarantee;
  std::string why;  // what decides it (empty for exactly once)
};

const char* guarantee_name(Guarantee g);
std::vector<FlowGuarantee> flow_guarantees(const runtime::AgentConfig& cfg);

}  // namespace flumen::cli
