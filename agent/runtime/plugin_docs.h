#pragma once
// Generates the configuration reference from the property tables, so the docs cannot drift from
// what the parser accepts. docs/reference/plugins.md is this output; a unit test fails when the
// committed copy is stale (regenerate with `flumen plugins --markdown >
// docs/reference/plugins.md`).

#include <string>

#include "agent/pipeline/registry.h"

namespace flumen::runtime {

std::string plugins_markdown(const pipeline::Registry& registry);
std::string plugins_text(const pipeline::Registry& registry);

}  // namespace flumen::runtime
