// The sink processor types: one property table each, listed once in processor_defs().
#include <algorithm>

#include "agent/pipeline/sink_processor.h"
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

void check_default(SinkGroupConfig& g, const std::string& who, const config::Location& where,
                   config::Diagnostics& diags) {
  if (g.sinks.size() > 1)
    diags.error(where, who +
                           ": the default processor drives one sink; use failover or "
                           "load_balance for " +
                           std::to_string(g.sinks.size()));
}

// Flume gives unset priorities -1, -2, ... in list order and silently drops a sink whose
// priority duplicates another's; we reject duplicates instead.
void check_failover(SinkGroupConfig& g, const std::string& who, const config::Location& where,
                    config::Diagnostics& diags) {
  std::map<int64_t, std::string> by_priority;
  int64_t next_default = -1;
  for (const auto& s : g.sinks) {
    int64_t p;
    auto pit = g.failover.priority.find(s);
    if (pit == g.failover.priority.end()) {
      p = next_default--;
    } else if (auto v = config::parse_int(pit->second)) {
      p = *v;
    } else {
      diags.error(where, who + ": priority of sink '" + s + "' must be an integer, got '" +
                             pit->second + "'");
      continue;
    }
    auto [bp, fresh] = by_priority.emplace(p, s);
    if (!fresh)
      diags.error(where, who + ": sinks '" + bp->second + "' and '" + s +
                             "' have the same priority " + std::to_string(p) +
                             " (Flume would silently drop one)");
    g.priorities[s] = p;
  }
  for (const auto& [s, v] : g.failover.priority)
    if (std::find(g.sinks.begin(), g.sinks.end(), s) == g.sinks.end())
      diags.warning(where, who + ": priority set for sink '" + s +
                               "', which is not in the group (ignored, as Flume "
                               "ignores it)");
}

// LoadBalancingSinkProcessor.configure checks for more than one sink; with one (often what is
// left after the group's other sinks were dropped) Flume removes the group and that sink.
void check_load_balance(SinkGroupConfig& g, const std::string& who, const config::Location& where,
                        config::Diagnostics& diags) {
  if (g.sinks.size() < 2)
    diags.error(where, who + ": the load_balance processor needs two or more sinks, it has '" +
                           g.sinks[0] +
                           "' only (Flume 1.11 fails it and removes the group with its "
                           "sink; use failover or no group)");
}

std::unique_ptr<pipeline::SinkProcessor> make_default(const SinkGroupConfig& g,
                                                      const SlotMaker& slot_for) {
  return std::make_unique<pipeline::DefaultSinkProcessor>(slot_for(g.sinks.at(0)));
}

std::unique_ptr<pipeline::SinkProcessor> make_failover(const SinkGroupConfig& g,
                                                       const SlotMaker& slot_for) {
  std::vector<pipeline::FailoverSinkProcessor::Member> members;
  for (const auto& s : g.sinks)
    members.push_back({slot_for(s), g.priorities.at(s)});
  return std::make_unique<pipeline::FailoverSinkProcessor>(
      std::move(members), std::chrono::milliseconds(g.failover.max_penalty_ms));
}

std::unique_ptr<pipeline::SinkProcessor> make_load_balance(const SinkGroupConfig& g,
                                                           const SlotMaker& slot_for) {
  using Policy = pipeline::LoadBalancingSinkProcessor::Policy;
  std::vector<std::unique_ptr<pipeline::SinkSlot>> slots;
  for (const auto& s : g.sinks)
    slots.push_back(slot_for(s));
  return std::make_unique<pipeline::LoadBalancingSinkProcessor>(
      std::move(slots), g.load_balance.selector == "random" ? Policy::kRandom : Policy::kRoundRobin,
      g.load_balance.backoff, std::chrono::milliseconds(g.load_balance.max_timeout_ms));
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
       },
       check_default,
       make_default},
      {"failover",
       {"org.apache.flume.sink.failoversinkprocessor"},
       "The live sink with the highest priority gets every batch; a failed one is penalised.",
       &failover_processor_table(),
       [](SinkGroupConfig& g, const config::ComponentEntries& e, config::Diagnostics& d) {
         failover_processor_table().parse(g.failover, e, d);
       },
       check_failover,
       make_failover},
      {"load_balance",
       {"org.apache.flume.sink.loadbalancingsinkprocessor"},
       "Batches spread over the group's sinks, round robin or at random.",
       &load_balance_processor_table(),
       [](SinkGroupConfig& g, const config::ComponentEntries& e, config::Diagnostics& d) {
         load_balance_processor_table().parse(g.load_balance, e, d);
       },
       check_load_balance,
       make_load_balance},
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
