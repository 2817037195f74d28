#pragma once
// Replaces a small file as a whole: written to <path>.tmp, then renamed over <path>, so a reader
// (or a restart after a crash) sees the old content or the new, never a mix. With `sync`, the
// data and the rename itself are fsynced before it returns (the directory too): the new content
// survives a power loss.
#include <string>
#include <string_view>

#include "agent/util/result.h"

namespace flumen {

Status write_file_atomically(const std::string& path, std::string_view text, bool sync);

}  // namespace flumen
