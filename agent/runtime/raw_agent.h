#pragma once
// The first pass of building an agent's configuration: its keys grouped by section and
// component, before any interpretation, and the helpers the section builders share.
//
// How Flume 1.11 treats the structure (FlumeConfiguration and AbstractConfigurationProvider),
// and therefore what flumen runs from the same file, is decided section by section in
// agent_config.cc, source_section.cc, sink_section.cc and sink_group_section.cc; the rule
// table is in docs/guide.md ("Migrating from Flume"). In short: what Flume's FlumeConfiguration
// drops or ignores with a WARN (a component listed but not configured, a dangling reference, an
// unknown key) is a warning here and flumen drops or ignores the same thing; what makes Flume fail
// a component when it builds it (a value it cannot parse, a batch larger than the channel's
// transaction) is an error, and so is a type flumen cannot build.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/config/diagnostics.h"
#include "agent/config/properties.h"
#include "agent/runtime/agent_config.h"

namespace flumen::runtime::detail {

// Keys of one listed or configured component, before interpretation.
struct RawComponent {
  std::vector<config::PropertyEntry> entries;  // relative keys
  config::Location first;                      // first key seen
};

struct RawAgent {
  std::map<std::string, config::PropertyEntry> lists;  // "sources", "channels", ...
  std::map<std::string, std::map<std::string, RawComponent>> components;  // section -> name
  std::map<std::string, std::vector<std::string>> listed;  // section -> names, deduplicated

  config::Location list_where(const std::string& section) const;
  // The configured components of a section (empty when there are none).
  const std::map<std::string, RawComponent>& section(const std::string& name) const;
  bool is_listed(const std::string& section, const std::string& name) const;
};

// Groups the agent's keys; warns about keys Flume ignores (outside the five sections, malformed,
// empty values) and about names listed twice.
RawAgent collect(const config::PropertiesFile& props, const std::string& agent,
                 config::Diagnostics& diags);

// "source", "channel", "sink", "sink group".
std::string singular(const std::string& section);
std::string join(const std::vector<std::string>& v, const std::string& sep = ", ");

// Pulls out (and removes) the entry with exactly this key.
std::optional<config::PropertyEntry> take(std::vector<config::PropertyEntry>& entries,
                                          const std::string& key);
std::string fingerprint_of(std::vector<config::PropertyEntry> entries);

// What became of a component.
enum class Outcome {
  kBuilt,    // configured (possibly with errors reported: the agent then does not start)
  kDropped,  // Flume drops it (reported as a warning); it is not part of the agent
  kFailed,   // an error was reported (unknown type, ...)
};

// Resolves a `type` value to a plugin and parses the plugin's keys. A component without a type
// is dropped, as Flume's ComponentConfiguration drops it, unless `type_required` (interceptors:
// Flume's ChannelProcessor fails the whole source), which makes it an error.
Outcome configure_component(ComponentConfig& out, pipeline::PluginKind kind,
                            const std::string& name, const std::string& key_prefix,
                            std::vector<config::PropertyEntry> entries,
                            const config::Location& fallback, const pipeline::Registry& reg,
                            config::Diagnostics& diags, bool type_required = false);

// State shared by the section builders of one agent.
struct BuildState {
  const std::string& agent;
  const RawAgent& raw;
  const pipeline::Registry& reg;
  config::Diagnostics& diags;
  AgentConfig& out;
  std::set<std::string> active_channels;  // channels that were built
  std::set<std::string> used_channels;    // referenced by a built source or sink

  void drop(const config::Location& where, const std::string& what, const std::string& why);
  // batchSize above transactionCapacity: Flume's provider fails the component; so do we.
  void check_batch(const ComponentConfig& comp, const std::string& channel, const std::string& who);
};

void build_sources(BuildState& st);
void build_sinks(BuildState& st);
void build_sink_groups(BuildState& st);

}  // namespace flumen::runtime::detail
