// Entry point of flumen-kafka.so, called by the registry when a conf first names a kafka
// source or sink (see agent/runtime/module_loader.h).
#include "agent/runtime/module_loader.h"
#include "plugins/registry.h"

extern "C" long flumen_module_abi() {
  return flumen::runtime::kModuleAbi;
}

extern "C" void flumen_module_register(flumen::pipeline::Registry* registry) {
  flumen::plugins::add_kafka_plugins(*registry);
}
