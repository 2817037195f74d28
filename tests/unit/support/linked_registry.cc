#include "tests/unit/support/linked_registry.h"

#include "plugins/registry.h"

namespace flumen::plugins {

const pipeline::Registry& linked_registry() {
  static const pipeline::Registry& registry = []() -> const pipeline::Registry& {
    static pipeline::Registry r;
    add_core_plugins(r);
    add_kafka_plugins(r);
    add_file_channel_plugins(r);
    return r;
  }();
  return registry;
}

}  // namespace flumen::plugins
