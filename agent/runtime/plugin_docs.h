#pragma once
// Generates the configuration reference from the property tables, so the docs cannot drift from
// what the parser accepts. docs/reference/plugins.md is this output; a unit test fails when the
// committed copy is stale (regenerate with `flumen plugins --markdown >
// docs/reference/plugins.md`).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/pipeline/registry.h"

namespace flumen::runtime {

std::string plugins_markdown(const pipeline::Registry& registry);
// One property table as a markdown table (key, type, default, required, allowed, description).
std::string properties_markdown(const config::PropertyTableBase& table);
// docs/reference/broker.md, from the broker's table (broker::broker_property_table()). The broker
// lives in its own module, which `flumen plugins` does not load: the unit tests, which link it,
// check the committed file and rewrite it when FLUMEN_WRITE_REFERENCE=1 is set.
std::string broker_markdown(const config::PropertyTableBase& broker_table);
std::string plugins_text(const pipeline::Registry& registry);

// The text of every plugin (of any kind) or core table (failover, multiplexing, ...) whose name
// or alias is `name`, case-insensitively; nullopt when none is.
std::optional<std::string> plugin_text(const pipeline::Registry& registry, std::string_view name);
// Every name plugin_text() answers, for "did you mean".
std::vector<std::string> documented_names(const pipeline::Registry& registry);

// A JSON schema of every plugin and key: {"version":1,"plugins":[{"kind":"source","name":..,
// "aliases":[..],"summary":..,"properties":[{"key":..,"type":..,"default":..,"required":..,
// "min":..,"max":..,"choices":[..],"aliases":[..],"description":..}]}, ...],"core":[{"name":
// "failover","kind":"sink processor","prefix":..,"properties":[..]}],"framework":[{"section":
// "sources","properties":[..]}, ...]}
std::string plugins_json(const pipeline::Registry& registry);

}  // namespace flumen::runtime
