#pragma once
// The unit tests link every module's code statically; this registry holds all of it, in the
// order the built-in registry reaches when it loads every module.
#include "agent/pipeline/registry.h"

namespace flumen::plugins {

const pipeline::Registry& linked_registry();

}  // namespace flumen::plugins
