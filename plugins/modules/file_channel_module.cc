// Entry points of flumen-file-channel.so: the plugin registration, called when a conf first
// names a file channel, and `flumen repair-channel`.
#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include <iostream>

#include "agent/runtime/module_loader.h"
#include "plugins/registry.h"

extern "C" long flumen_module_abi() {
  return flumen::runtime::kModuleAbi;
}

extern "C" void flumen_module_register(flumen::pipeline::Registry* registry) {
  flumen::plugins::add_file_channel_plugins(*registry);
}

// Salvages a damaged file-channel database with RocksDB's repairer: it rebuilds the manifest
// from the table and log files it can read and drops what it cannot. Run it with the agent
// stopped; events in unreadable files are lost, everything readable is kept in order.
// Returns true when the repair succeeded; messages go to stdout/stderr.
extern "C" bool flumen_repair_channel(const char* dir) {
  rocksdb::Options options;
  rocksdb::Status s = rocksdb::RepairDB(dir, options);
  if (!s.ok()) {
    std::cerr << "repair of " << dir << " failed: " << s.ToString() << "\n";
    return false;
  }
  std::cout << "repaired " << dir << "; start the agent to use it again\n";
  return true;
}
