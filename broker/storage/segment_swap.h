#pragma once
// Swapping cleaned segments into a partition's directory so that a crash (kill -9, power loss)
// at any point leaves either the old segments or the cleaned one, never both and never neither.
//
// The cleaner writes <B>.log.cleaned, <B>.index.cleaned and <B>.timeindex.cleaned (B: the base
// offset of the first segment it replaces) and fsyncs them. Then, on the log's owner thread:
//   1. cleaner-swap := "B E\n" (E: the end of the replaced range), written to a temporary file,
//      fsynced, renamed, directory fsynced. This is the commit point.
//   2. the old segments with base offsets in (B, E) are deleted (their three files each),
//   3. each <B>.<ext>.cleaned is renamed over <B>.<ext> (rename replaces the old B atomically),
//   4. the directory is fsynced, cleaner-swap deleted, the directory fsynced again (a stale
//      cleaner-swap must never meet the .cleaned files of a later clean).
// Recovery (when the log opens) runs steps 2-4 again if cleaner-swap exists, as each is
// idempotent; .cleaned files without it are an unfinished clean and are deleted.
//
// Threads: the log's owner only (the cleaner thread only writes the .cleaned files).
#include <cstdint>
#include <limits>
#include <string>

#include "agent/util/result.h"

namespace flumen::broker {

inline constexpr const char* kSwapManifest = "cleaner-swap";

// <dir>/<base, 20 digits><ext> (ext ".log", ".index", ".timeindex", optionally + ".cleaned").
std::string segment_file(const std::string& dir, int64_t base, const char* ext);

// Steps 1-4. `max_steps` stops after that many file operations of steps 2-4 (tests: a crash
// there); the default runs them all.
Status commit_swap(const std::string& dir, int64_t base, int64_t end,
                   size_t max_steps = std::numeric_limits<size_t>::max());
// Steps 2-4 for a cleaner-swap left by a crash; nothing when there is none.
Status finish_swap(const std::string& dir, size_t max_steps = std::numeric_limits<size_t>::max());
// Deletes every .cleaned file of the directory (an abandoned or unfinished clean).
void discard_cleaned(const std::string& dir);

}  // namespace flumen::broker
