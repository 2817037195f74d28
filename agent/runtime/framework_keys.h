#pragma once
// The keys the agent itself reads around each plugin's own property table: the agent's lists,
// each component's `type`, a source's channels, selector and interceptors, a sink's channel,
// workers and dead-letter channel, a group's sinks and processor. One table per section, so the
// section builders take exactly these keys out before the plugin's table sees the rest, and the
// reference documents them from the same rows.
//
// The tables describe the keys (type, default, range, doc); they do not parse them: what Flume
// does with a bad or dangling value differs per key (a warning and a dropped component, or an
// error), and that stays in the section builders (source_section.cc, sink_section.cc, ...).

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/config/properties.h"
#include "agent/config/property_table.h"

namespace flumen::runtime {

struct FrameworkScope {
  std::string section;  // "" for the agent's own keys; else "sources", "channels", ...
  std::string title;    // "source (`<agent>.sources.<source>.`)"
  const config::PropertyTableBase* table;
};
// In the order the reference lists them.
const std::vector<FrameworkScope>& framework_scopes();
// The table of a section ("sources", ...; "" for the agent's lists), null for any other name.
const config::PropertyTableBase* framework_table(const std::string& section);

// The framework keys of one component, taken out of its entries.
struct FrameworkEntries {
  std::map<std::string, config::PropertyEntry> keys;                   // by key
  std::map<std::string, std::vector<config::PropertyEntry>> prefixed;  // by prefix, key stripped

  std::optional<config::PropertyEntry> get(const std::string& key) const;
  std::vector<config::PropertyEntry> under(const std::string& prefix) const;
};

// Removes the section's framework keys from `entries` (what is left is the plugin's). Prefix
// rows (`selector.`) take everything under them, including keys the table also documents on
// their own (`selector.type`, which the selector's parser reads). `type` stays: resolving it is
// configure_component's, with the plugin.
FrameworkEntries take_framework_keys(std::vector<config::PropertyEntry>& entries,
                                     const std::string& section);

}  // namespace flumen::runtime
