#pragma once
// One-line descriptions of an agent's configuration for the log: what start-up built, and what a
// reload changed (by the same fingerprints Agent::apply compares, so the line names exactly the
// components that restart).

#include <map>
#include <string>

#include "agent/runtime/agent_config.h"

namespace flumen::runtime {

// "source r1 (netcat) -> c1; channel c1 (memory); sink k1 (forward) <- c1; sink group g1
// (failover: k1 k2)"
std::string describe_pipeline(const AgentConfig& config);

// "source r1" -> fingerprint, for every component (interceptors and selectors are part of their
// source's, sinks of a group part of the group's).
using Fingerprints = std::map<std::string, std::string>;
Fingerprints fingerprints_of(const AgentConfig& config);

// "changed: source r1, channel c1; added: sink k3; removed: sink k2; unchanged: 4", or
// "nothing changed".
std::string describe_changes(const Fingerprints& before, const Fingerprints& after);

}  // namespace flumen::runtime
