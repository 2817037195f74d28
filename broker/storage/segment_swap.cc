#include "broker/storage/segment_swap.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>

#include "agent/util/atomic_file.h"

namespace flumen::broker {

namespace fs = std::filesystem;

namespace {

constexpr const char* kExtensions[] = {".log", ".index", ".timeindex"};

Status sync_dir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return make_error(ErrorCode::kIo, "cannot open " + dir + ": " + std::strerror(errno));
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0)
    return make_error(ErrorCode::kIo, "cannot sync " + dir + ": " + std::strerror(errno));
  return Status::ok();
}

bool read_manifest(const std::string& dir, int64_t& base, int64_t& end) {
  FILE* f = std::fopen((dir + "/" + kSwapManifest).c_str(), "r");
  if (!f) return false;
  long long b = 0, e = 0;
  const bool ok = std::fscanf(f, "%lld %lld", &b, &e) == 2 && b <= e;
  std::fclose(f);
  base = b;
  end = e;
  return ok;
}

}  // namespace

std::string segment_file(const std::string& dir, int64_t base, const char* ext) {
  char b[32];
  std::snprintf(b, sizeof b, "%020lld", static_cast<long long>(base));
  return dir + "/" + b + ext;
}

Status commit_swap(const std::string& dir, int64_t base, int64_t end, size_t max_steps) {
  const std::string text = std::to_string(base) + " " + std::to_string(end) + "\n";
  if (Status s = write_file_atomically(dir + "/" + kSwapManifest, text, true); !s) return s;
  return finish_swap(dir, max_steps);
}

Status finish_swap(const std::string& dir, size_t max_steps) {
  int64_t base = 0, end = 0;
  const std::string manifest = dir + "/" + kSwapManifest;
  if (!read_manifest(dir, base, end)) {
    // Absent, or torn before its rename (write_file_atomically): there is no committed swap.
    ::unlink(manifest.c_str());
    return Status::ok();
  }
  size_t steps = 0;
  auto step = [&] { return steps++ < max_steps; };
  // Step 2: the replaced segments after the first.
  std::vector<int64_t> replaced;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), last; !ec && it != last; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    int64_t b = 0;
    const char* digits = name.data();
    if (name.size() != 24 || !name.ends_with(".log") ||
        std::from_chars(digits, digits + 20, b).ptr != digits + 20)
      continue;
    if (b > base && b < end) replaced.push_back(b);
  }
  if (ec) return make_error(ErrorCode::kIo, "cannot list " + dir + ": " + ec.message());
  for (int64_t b : replaced)
    for (const char* ext : kExtensions) {
      if (!step()) return Status::ok();
      ::unlink(segment_file(dir, b, ext).c_str());
    }
  // Step 3: the cleaned files over the first (the log last: while it is .cleaned the manifest
  // is still needed, and a reader never meets a new log with an old index).
  for (const char* ext : {".index", ".timeindex", ".log"}) {
    const std::string cleaned = segment_file(dir, base, ext) + ".cleaned";
    if (::access(cleaned.c_str(), F_OK) != 0) continue;
    if (!step()) return Status::ok();
    if (::rename(cleaned.c_str(), segment_file(dir, base, ext).c_str()) != 0)
      return make_error(ErrorCode::kIo, "cannot rename " + cleaned + ": " + std::strerror(errno));
  }
  // Step 4.
  if (!step()) return Status::ok();
  if (Status s = sync_dir(dir); !s) return s;
  if (!step()) return Status::ok();
  ::unlink(manifest.c_str());
  return sync_dir(dir);
}

void discard_cleaned(const std::string& dir) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().filename().string().ends_with(".cleaned")) fs::remove(e.path(), ec);
}

}  // namespace flumen::broker
