#pragma once
// A tailed file's head: its first bytes (up to fingerprintBytes; all of them while the file is
// shorter) as they were when the source read them. It is what says that the bytes a read
// position counts are still the file's bytes:
//  - copytruncate keeps the inode and may write the file back to its old size or beyond before
//    the source looks again; sizes cannot tell, the head can (checked whenever the file changes);
//  - a rotated copy (cp f f.1) starts with the head of the file it was copied from, so it is
//    recognised and read only from where the original was, not a second time.
// Files whose heads are equal are indistinguishable by content: a truncated file written again
// with the very same first bytes is taken for the same file (as in Vector's checksum
// fingerprint); a larger fingerprintBytes narrows that.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace flumen::plugins {

// Up to n bytes from the start of the file open at fd (fewer if it is shorter; empty on error).
std::string read_head(int fd, size_t n);
// Whether the file open at fd still starts with `head`. A file now shorter than the head, or
// with other bytes there, was truncated (and perhaps written again) or replaced.
bool starts_with_head(int fd, std::string_view head);

// Whether the files open at a and b hold the same bytes in the last up-to-4 KB before `end`
// (above `from`, which the heads already compared); true when there is nothing to compare.
bool same_bytes_before(int a, int b, uint64_t end, uint64_t from);

// The first offset in [from, end) at which the files open at a and b differ (or one of them
// ends); end when they hold the same bytes there.
uint64_t first_difference(int a, int b, uint64_t from, uint64_t end);
// The start of the line holding offset `at` of the file open at fd: just after the last newline
// before it, and never before `floor` (the read position, where a line is known to start).
uint64_t line_start(int fd, uint64_t at, uint64_t floor);

// Where a file taken for a copy stops holding its original's bytes in [from, end): the start of
// the line where they part (never before `from`), or nothing when they agree there.
std::optional<uint64_t> copy_parts_at(int copy, int original, uint64_t from, uint64_t end);

enum class CopyVerdict {
  kNotACopy,
  kCopy,       // the candidate starts with the known head: a copy of that file
  kUndecided,  // too short to tell yet (a copy being written), or a short head that only counts
               // once the original was truncated (copytruncate)
};
// A new file's head (`candidate`, as on disk) against the head of a file read before (`known`,
// what was read of it). A full-length head (`full` bytes) identifies a copy on its own. A shorter
// known head (a small file, all of it read) is too easily shared by unrelated files (a CSV
// header line): it identifies a copy only when the known file was truncated
// (`known_was_truncated`), which is what copytruncate does right after the copy.
CopyVerdict compare_heads(std::string_view candidate, std::string_view known, size_t full,
                          bool known_was_truncated);

}  // namespace flumen::plugins
