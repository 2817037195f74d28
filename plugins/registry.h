#pragma once
#include "agent/pipeline/registry.h"

namespace flumen::plugins {

// Every built-in plugin, listed once in registry.cc.
const pipeline::Registry& builtin_registry();

}  // namespace flumen::plugins
