// The sink processor types: one property table each, listed once in processor_defs().
#include "agent/runtime/agent_config.h"

namespace flumen::runtime {

const config::PropertyTable<FailoverOptions>& failover_processor_table() {
  using T = FailoverOptions;
  static const auto table =
      config::PropertyTable<T>()
          .map("priority.", &T::priority,
               "priority.<sink> = integer; the live sink with the highest priority is used.")
          .integer("maxpenalty", &T::max_penalty_ms, "30000", 0, 86'400'000,
                   "Longest back-off (ms) of a failed sink; doubles from 1 s per failure.");
  return table;
}

const config::PropertyTable<LoadBalanceOptions>& load_balance_processor_table() {
  using T = LoadBalanceOptions;
  static const auto table =
      config::PropertyTable<T>()
          .one_of("selector", &T::selector, "round_robin", {"round_robin", "random"},
                  "Order in which sinks are tried for each batch.")
          .boolean("backoff", &T::backoff, "false",
                   "Skip a failed sink for an exponentially growing time.")
          .integer("selector.maxTimeOut", &T::max_timeout_ms, "30000", 0, 86'400'000,
                   "Longest back-off (ms) of a failed sink when backoff is on.");
  return table;
}

namespace {
struct NoOptions {};
const config::PropertyTable<NoOptions>& default_processor_table() {
  static const config::PropertyTable<NoOptions> table;
  return table;
}
}  // namespace

const std::vector<ProcessorDef>& processor_defs() {
  static const std::vector<ProcessorDef> defs = {
      {"default",
       {"org.apache.flume.sink.defaultsinkprocessor"},
       "Drives one sink.",
       &default_processor_table(),
       [](SinkGroupConfig&, const config::ComponentEntries& e, config::Diagnostics& d) {
         NoOptions none;
         default_processor_table().parse(none, e, d);
       }},
      {"failover",
       {"org.apache.flume.sink.failoversinkprocessor"},
       "The live sink with the highest priority gets every batch; a failed one is penalised.",
       &failover_processor_table(),
       [](SinkGroupConfig& g, const config::ComponentEntries& e, config::Diagnostics& d) {
         failover_processor_table().parse(g.failover, e, d);
       }},
      {"load_balance",
       {"org.apache.flume.sink.loadbalancingsinkprocessor"},
       "Batches spread over the group's sinks, round robin or at random.",
       &load_balance_processor_table(),
       [](SinkGroupConfig& g, const config::ComponentEntries& e, config::Diagnostics& d) {
         load_balance_processor_table().parse(g.load_balance, e, d);
       }},
  };
  return defs;
}

const ProcessorDef* find_processor(const std::string& type) {
  const std::string t = config::to_lower(type);
  for (const auto& d : processor_defs()) {
    if (d.name == t) return &d;
    for (const auto& a : d.aliases)
      if (a == t) return &d;
  }
  return nullptr;
}

std::vector<std::string> processor_names() {
  std::vector<std::string> out;
  for (const auto& d : processor_defs())
    out.push_back(d.name);
  return out;
}

}  // namespace flumen::runtime
