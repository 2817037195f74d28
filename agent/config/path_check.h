#pragma once
// Whether a component will be able to write where its conf says: a file it creates or rewrites
// (a position file) or a directory it creates files in (a channel's data, a sink's output). Run
// at parse time, so `flumen check` fails exactly when the component would at start instead of
// the component warning every second at run time.
#include <optional>
#include <string>
#include <string_view>

namespace flumen::config {

enum class PathUse { kNone, kWritableFile, kWritableDir };

// nullopt when the path can be written (it exists writable, or the nearest existing ancestor is
// a directory it can be created in); else what stands in the way. `~/` is the home directory.
std::optional<std::string> check_writable(std::string_view path, PathUse use);

}  // namespace flumen::config
