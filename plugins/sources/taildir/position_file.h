#pragma once
// The TAILDIR position file: Flume's JSON format, [{"inode":N,"pos":N,"file":"/path"}, ...],
// so a user who switches from Flume keeps their positions, plus fields Flume ignores:
// "dev" and "fingerprint"/"fingerprintLength" (FNV-1a of the file's first bytes), which let
// flumen recognise a renamed file and tell a reused inode from the file it remembers.
// Written atomically: a temp file, fsync, rename over the old one, fsync of the directory.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/util/result.h"

namespace flumen::plugins {

struct PositionEntry {
  uint64_t inode = 0;
  uint64_t pos = 0;
  std::string file;
  std::optional<uint64_t> dev;
  std::optional<uint64_t> fingerprint;
  uint64_t fingerprint_length = 0;
};

// A missing file is an empty list; a file that does not parse is an error (never a silent
// restart from zero).
Result<std::vector<PositionEntry>> load_positions(const std::string& path);
// With sync false the new file replaces the old one atomically but is not fsynced: enough for a
// process crash (kill -9), not for a power loss.
Status save_positions(const std::string& path, const std::vector<PositionEntry>& entries,
                      bool sync = true);

// FNV-1a 64 of bytes, the file fingerprint.
uint64_t fingerprint_of(const char* data, size_t n);

}  // namespace flumen::plugins
