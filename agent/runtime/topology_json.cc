#include "agent/runtime/topology_json.h"

#include <nlohmann/json.hpp>

namespace flumen::runtime {

std::string format_topology_json(const Topology& t) {
  nlohmann::ordered_json root;
  root["agent"] = t.agent;
  root["nodes"] = nlohmann::ordered_json::array();
  for (const auto& n : t.nodes)
    root["nodes"].push_back({{"id", n.id},
                             {"kind", n.kind},
                             {"name", n.name},
                             {"type", n.type},
                             {"metrics", n.metrics_key}});
  root["edges"] = nlohmann::ordered_json::array();
  for (const auto& e : t.edges)
    root["edges"].push_back({{"from", e.from}, {"to", e.to}, {"label", e.label}});
  // Names come from the conf: a stray byte must not turn into an exception.
  return root.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace flumen::runtime
