#include <iostream>

#include "agent/runtime/module_loader.h"
#include "cli/commands.h"
#include "plugins/registry.h"

namespace flumen::cli {

// The repair itself lives with the file channel, in its module (RocksDB).
int run_repair_channel(const std::string& dir) {
  auto entry = runtime::module_symbol(plugins::kFileChannelModule, "flumen_repair_channel");
  if (!entry) {
    std::cerr << entry.error().message << "\n";
    return kExitStartFailed;
  }
  auto repair = reinterpret_cast<bool (*)(const char*)>(entry.value());
  return repair(dir.c_str()) ? kExitOk : kExitStartFailed;
}

}  // namespace flumen::cli
