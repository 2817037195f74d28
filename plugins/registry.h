#pragma once
#include "agent/pipeline/registry.h"

namespace flumen::plugins {

// The loadable modules (agent/runtime/module_loader.h) and the plugins each one holds.
inline constexpr const char* kKafkaModule = "flumen-kafka.so";
inline constexpr const char* kFileChannelModule = "flumen-file-channel.so";

// The plugins linked into the flumen binary, listed once in registry.cc.
void add_core_plugins(pipeline::Registry& r);
// Deferred entries (names and aliases only) for the plugins of the modules.
void add_module_plugin_names(pipeline::Registry& r);
// The full definitions of each module's plugins; each is linked into its own module.
void add_kafka_plugins(pipeline::Registry& r);         // flumen-kafka.so
void add_file_channel_plugins(pipeline::Registry& r);  // flumen-file-channel.so

// Core plugins plus the modules' deferred entries: the first use of a module's plugin loads it.
const pipeline::Registry& builtin_registry();

}  // namespace flumen::plugins
