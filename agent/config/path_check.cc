#include "agent/config/path_check.h"

#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace flumen::config {

namespace {

std::optional<std::string> writable_dir(const std::filesystem::path& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return dir.string() + ": " + std::strerror(errno);
  if (!S_ISDIR(st.st_mode)) return dir.string() + " is not a directory";
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    return "no permission to write in " + dir.string() + " (" + std::strerror(errno) + ")";
  struct statvfs fs {};
  if (::statvfs(dir.c_str(), &fs) == 0 && (fs.f_flag & ST_RDONLY) != 0)
    return dir.string() + " is on a read-only filesystem";
  return std::nullopt;
}

}  // namespace

std::optional<std::string> check_writable(std::string_view text, PathUse use) {
  if (use == PathUse::kNone || text.empty()) return std::nullopt;
  std::string s(text);
  if (s.rfind("~/", 0) == 0) {
    const char* home = std::getenv("HOME");
    s = std::string(home ? home : ".") + s.substr(1);
  }
  std::filesystem::path p = std::filesystem::absolute(std::filesystem::path(s)).lexically_normal();
  struct stat st {};
  if (::stat(p.c_str(), &st) == 0) {
    if (use == PathUse::kWritableDir) return writable_dir(p);
    if (S_ISDIR(st.st_mode)) return p.string() + " is a directory, not a file";
    if (::access(p.c_str(), W_OK) != 0)
      return "no permission to write " + p.string() + " (" + std::strerror(errno) + ")";
    return writable_dir(p.parent_path());  // rewritten by rename beside it
  }
  // Missing: created with its missing parents, in the nearest directory that exists.
  std::filesystem::path up = p.parent_path();
  while (!up.empty() && ::stat(up.c_str(), &st) != 0) {
    if (errno != ENOENT && errno != ENOTDIR) return up.string() + ": " + std::strerror(errno);
    if (up == up.root_path()) break;
    up = up.parent_path();
  }
  if (auto why = writable_dir(up)) return "cannot create " + p.string() + ": " + *why;
  return std::nullopt;
}

}  // namespace flumen::config
