#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include <iostream>

#include "agent/cli/commands.h"

namespace flumen::cli {

// Salvages a damaged file-channel database with RocksDB's repairer: it rebuilds the manifest
// from the table and log files it can read and drops what it cannot. Run it with the agent
// stopped; events in unreadable files are lost, everything readable is kept in order.
int run_repair_channel(const std::string& dir) {
  rocksdb::Options options;
  rocksdb::Status s = rocksdb::RepairDB(dir, options);
  if (!s.ok()) {
    std::cerr << "repair of " << dir << " failed: " << s.ToString() << "\n";
    return kExitStartFailed;
  }
  std::cout << "repaired " << dir << "; start the agent to use it again\n";
  return kExitOk;
}

}  // namespace flumen::cli
