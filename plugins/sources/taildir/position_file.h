#pragma once
// The TAILDIR position file, kept loadable by Apache Flume, and flumen's identity next to it.
//
//   <positionFile>         Flume's format exactly: [{"inode":N,"pos":N,"file":"/path"}, ...]
//                          (Flume 1.11's loader throws on any other key), so a user can go back
//                          to Flume, or come from it, and keep their positions.
//   <positionFile>.flumen  {"version":1,"files":[{"inode":N,"pos":N,"file":"/path","dev":N,
//                          "fingerprint":"<16 hex>","fingerprintLength":N}, ...]}: the device
//                          and the FNV-1a of the file's first bytes, which let flumen recognise
//                          a renamed file and tell a reused inode from the file it remembers.
//
// The Flume file decides which files and positions there are; an identity from the sidecar is
// used for an entry only when the sidecar has the same inode, file and pos (so positions that
// Flume moved on, while it ran in between, are taken with Flume's own rule: same inode and
// path). flumen before this split wrote dev/fingerprint into the Flume file itself: those are
// read too, and the next save writes the two files (migration).
// Both are written atomically (temp file, fsync, rename, fsync of the directory), the sidecar
// first. The same entry encoding is what a durable channel keeps as TAILDIR's marker.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
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
  // Loaded from the Flume file with no identity of ours at that position: another writer (Flume,
  // run in between) moved it on after flumen last wrote it.
  bool moved_by_another_writer = false;
};

struct LoadedPositions {
  std::vector<PositionEntry> entries;
  bool old_format = false;  // dev/fingerprint were inside the Flume file (flumen's older format)
  std::string sidecar_problem;  // the sidecar could not be read: identities are missing
};

std::string identity_path(const std::string& position_path);

// A missing file is an empty list; a Flume file that does not parse is an error (never a silent
// restart from zero). A broken sidecar only costs the identities (said in sidecar_problem).
Result<LoadedPositions> load_positions(const std::string& path);
// With sync false the new files replace the old ones atomically but are not fsynced: enough for
// a process crash (kill -9), not for a power loss.
Status save_positions(const std::string& path, const std::vector<PositionEntry>& entries,
                      bool sync = true);

// One entry as a JSON object with every field (the sidecar's and the channel marker's format).
std::string encode_entry(const PositionEntry& e);
std::optional<PositionEntry> decode_entry(std::string_view json);

// FNV-1a 64 of bytes, the file fingerprint.
uint64_t fingerprint_of(const char* data, size_t n);

}  // namespace flumen::plugins
