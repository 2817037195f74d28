// Entry points of flumen-file-channel.so: the plugin registration, called when a conf first
// names a file channel, and `flumen repair-channel`.
#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include <filesystem>
#include <iostream>
#include <string>

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
namespace {

// What RocksDB keeps in a database directory; anything else means the directory is not (only)
// a file channel, and a repair would write a database into someone else's files.
bool is_rocksdb_file(const std::string& n) {
  auto starts = [&](const char* p) { return n.rfind(p, 0) == 0; };
  auto ends = [&](const char* e) {
    const size_t len = std::char_traits<char>::length(e);
    return n.size() >= len && n.compare(n.size() - len, len, e) == 0;
  };
  return n == "CURRENT" || n == "IDENTITY" || n == "LOCK" || starts("LOG") || starts("MANIFEST-") ||
         starts("OPTIONS-") || ends(".sst") || ends(".log") || ends(".blob") || ends(".dbtmp") ||
         n == "lost";
}

// Refuses (with the reason) a directory that holds no channel database, or other files too.
bool looks_like_channel(const std::filesystem::path& dir, std::string& why) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    why = dir.string() + " is not a directory";
    return false;
  }
  bool database = false;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string n = entry.path().filename().string();
    if (!is_rocksdb_file(n)) {
      why = dir.string() + " is not a file channel's directory: it holds " + n +
            ", which a channel never writes (name the channel's dataDirs directory)";
      return false;
    }
    database = database || n == "CURRENT" || n.rfind("MANIFEST-", 0) == 0 ||
               (n.size() > 4 && (n.compare(n.size() - 4, 4, ".sst") == 0 ||
                                 n.compare(n.size() - 4, 4, ".log") == 0));
  }
  if (ec) {
    why = "cannot read " + dir.string() + ": " + ec.message();
    return false;
  }
  if (!database) {
    why = dir.string() + " holds no file channel database (name the channel's dataDirs directory)";
    return false;
  }
  return true;
}

}  // namespace

extern "C" bool flumen_repair_channel(const char* dir) {
  if (std::string why; !looks_like_channel(dir, why)) {
    std::cerr << "repair-channel: " << why << "; nothing was changed\n";
    return false;
  }
  rocksdb::Options options;
  rocksdb::Status s = rocksdb::RepairDB(dir, options);
  if (!s.ok()) {
    std::cerr << "repair of " << dir << " failed: " << s.ToString() << "\n";
    return false;
  }
  std::cout << "repaired " << dir << "; start the agent to use it again\n";
  return true;
}
