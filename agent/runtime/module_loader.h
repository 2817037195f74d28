#pragma once
// Loadable modules: the parts of flumen with heavy dependencies live in shared objects beside the
// binary and are mapped only when a configuration uses them. An agent without Kafka never maps
// librdkafka and OpenSSL, one without a file channel never maps RocksDB, and neither runs their
// static initialisers; that is most of an idle agent's resident memory.
//
//   flumen-kafka.so         kafka source and sink (librdkafka)
//   flumen-file-channel.so  file channel and `flumen repair-channel` (RocksDB)
//   flumen-broker.so        `flumen broker` (RocksDB)
//
// A module resolves flumen's own symbols against the running binary (which exports them), so it
// holds only its own code. Search order: $FLUMEN_MODULE_DIR, the binary's directory, then
// <binary dir>/../lib/flumen (an installed layout).

#include <string>
#include <vector>

#include "agent/pipeline/registry.h"
#include "agent/util/result.h"

namespace flumen::runtime {

// Every module exports `extern "C" long flumen_module_abi()` returning this; a module whose value
// differs was built from other sources (a stale lib/flumen, say) and is refused before use,
// instead of being read with the wrong layout. Raise the revision when a shared interface
// changes in a way sizeof does not show.
inline constexpr long kModuleAbiRevision = 1;
inline constexpr long kModuleAbi =
    kModuleAbiRevision * 1'000'000 + static_cast<long>(sizeof(pipeline::PluginDef));

// Loads `file` (e.g. "flumen-kafka.so") once; later calls return the same handle. Thread-safe.
Result<void*> load_module(const std::string& file);

// The address of `symbol` in the module `file`, loading it first; an error names the module and
// the symbol.
Result<void*> module_symbol(const std::string& file, const std::string& symbol);

// Where load_module looks, in order (for error messages and `flumen --version`-style output).
std::vector<std::string> module_search_dirs();

}  // namespace flumen::runtime
