#pragma once
// The validated model of one agent, built from the merged properties of the conf files.
// Building it runs every check `flumen check` runs: per-plugin property tables, then the graph
// (lists vs configured components, dangling channels, sinks in two groups, batch sizes above a
// channel's transactionCapacity). Every problem is reported with file:line; the agent starts
// only from a model with no errors.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/config/diagnostics.h"
#include "agent/config/properties.h"
#include "agent/config/property_table.h"
#include "agent/pipeline/registry.h"

namespace flumen::pipeline {
class ChannelSelector;
class SinkProcessor;
struct SinkSlot;
}  // namespace flumen::pipeline

namespace flumen::runtime {

struct ComponentConfig {
  std::string name;
  std::string type;
  const pipeline::PluginDef* plugin = nullptr;
  pipeline::OpaqueOptions options;  // the plugin's parsed options struct
  config::Location where;           // the `type` line
  // Every key of the component as written (sorted); equal fingerprints mean an unchanged
  // component, which a reload keeps running.
  std::string fingerprint;
};

struct ReplicatingOptions {
  std::vector<std::string> optional;
};
struct MultiplexingOptions {
  std::string header;
  std::map<std::string, std::string> mapping;   // value -> channel list
  std::map<std::string, std::string> optional;  // value -> channel list
  std::vector<std::string> default_channels;
};
// Flume 1.10's load_balancing selector: each event goes to one of the source's channels.
struct LoadBalancingSelectorOptions {
  std::string policy = "round_robin";  // round_robin | random
};

const config::PropertyTable<ReplicatingOptions>& replicating_selector_table();
const config::PropertyTable<MultiplexingOptions>& multiplexing_selector_table();
const config::PropertyTable<LoadBalancingSelectorOptions>& load_balancing_selector_table();

struct SelectorConfig {
  std::string type = "replicating";  // replicating | multiplexing | load_balancing
  ReplicatingOptions replicating;
  MultiplexingOptions multiplexing;
  LoadBalancingSelectorOptions load_balancing;
};

// A channel selector type: its names, its property table, how its keys fill a SelectorConfig
// and how the running selector is built from it. The list (selector_defs()) drives parsing,
// `flumen check`, the reference and the agent.
struct SourceConfig;
using ChannelLookup = std::function<pipeline::Channel*(const std::string& name)>;
struct SelectorDef {
  std::string name;                  // lower case, as users write it
  std::vector<std::string> aliases;  // Flume's class names, lower case (matched ignoring case)
  std::string summary;
  const config::PropertyTableBase* table = nullptr;
  std::function<void(SelectorConfig&, const config::ComponentEntries&, config::Diagnostics&)> parse;
  // Whether a key's value is a list of channels (checked against the source's channels).
  std::function<bool(const std::string& key)> names_channels;
  // The running selector over the source's channels.
  std::function<std::unique_ptr<pipeline::ChannelSelector>(const SourceConfig&,
                                                           const ChannelLookup&)>
      make;
};
const std::vector<SelectorDef>& selector_defs();
const SelectorDef* find_selector(const std::string& type);  // by name or alias, any case
std::vector<std::string> selector_names();

struct SourceConfig : ComponentConfig {
  std::vector<std::string> channels;
  SelectorConfig selector;
  std::vector<ComponentConfig> interceptors;  // in chain order
};

struct SinkConfig : ComponentConfig {
  std::string channel;
  // Instances of the sink draining the channel side by side, each with its own transactions
  // (Fluent Bit's `workers`): one waits for its acknowledgements while another sends.
  int workers = 1;
  config::Location workers_where;
  // `deadLetterChannel`: where events the sink can never deliver go ("" = counted, dropped).
  std::string dead_letter_channel;
};
inline constexpr int kMaxSinkWorkers = 16;

struct FailoverOptions {
  std::map<std::string, std::string> priority;  // sink -> priority
  int64_t max_penalty_ms = 30000;
};
struct LoadBalanceOptions {
  std::string selector = "round_robin";
  bool backoff = false;
  int64_t max_timeout_ms = 30000;
};
const config::PropertyTable<FailoverOptions>& failover_processor_table();
const config::PropertyTable<LoadBalanceOptions>& load_balance_processor_table();

// A sink processor type, as SelectorDef is for selectors.
struct SinkGroupConfig;
// The slot (sink, channel, dead-letter channel) of one of the group's sinks.
using SlotMaker = std::function<std::unique_ptr<pipeline::SinkSlot>(const std::string& sink)>;
struct ProcessorDef {
  std::string name;
  std::vector<std::string> aliases;  // lower case
  std::string summary;
  const config::PropertyTableBase* table = nullptr;  // null: the processor has no keys
  std::function<void(SinkGroupConfig&, const config::ComponentEntries&, config::Diagnostics&)>
      parse;
  // The processor's own rules on the group once its sinks are known (how many it drives, their
  // priorities); `who` names the group in messages, `where` is its processor.type line.
  std::function<void(SinkGroupConfig&, const std::string& who, const config::Location& where,
                     config::Diagnostics&)>
      check;
  std::function<std::unique_ptr<pipeline::SinkProcessor>(const SinkGroupConfig&, const SlotMaker&)>
      make;
};
const std::vector<ProcessorDef>& processor_defs();
const ProcessorDef* find_processor(const std::string& type);
std::vector<std::string> processor_names();

struct SinkGroupConfig {
  std::string name;
  std::vector<std::string> sinks;
  std::string processor = "default";  // default | failover | load_balance
  FailoverOptions failover;
  std::map<std::string, int64_t> priorities;  // resolved, every sink of the group
  LoadBalanceOptions load_balance;
  config::Location where;
  std::string fingerprint;  // the group's keys plus its sinks' fingerprints
};

struct AgentConfig {
  std::string name;
  // Components Flume would drop from this file (each was reported as a warning), e.g.
  // "source 'r2'": they are not part of the agent.
  std::vector<std::string> dropped;
  std::vector<ComponentConfig> channels;
  std::vector<SourceConfig> sources;
  std::vector<SinkConfig> sinks;
  std::vector<SinkGroupConfig> sink_groups;
};

// Null when any error was reported (warnings alone do not fail).
std::optional<AgentConfig> build_agent_config(const config::PropertiesFile& props,
                                              const std::string& agent_name,
                                              const pipeline::Registry& registry,
                                              config::Diagnostics& diags);

}  // namespace flumen::runtime
