#include "plugins/sources/taildir/file_head.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace flumen::plugins {

namespace {

std::string read_at(int fd, uint64_t at, size_t n) {
  std::string out(n, '\0');
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::pread(fd, out.data() + got, n - got, static_cast<off_t>(at + got));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += static_cast<size_t>(r);
  }
  out.resize(got);
  return out;
}

}  // namespace

std::string read_head(int fd, size_t n) {
  return read_at(fd, 0, n);
}

bool starts_with_head(int fd, std::string_view head) {
  if (head.empty()) return true;
  return read_head(fd, head.size()) == head;
}

bool same_bytes_before(int a, int b, uint64_t end, uint64_t from) {
  if (end <= from) return true;
  const size_t n = static_cast<size_t>(std::min<uint64_t>(end - from, 4096));
  std::string x = read_at(a, end - n, n);
  return x.size() == n && read_at(b, end - n, n) == x;
}

uint64_t first_difference(int a, int b, uint64_t from, uint64_t end) {
  constexpr size_t kChunk = 64 * 1024;
  for (uint64_t at = from; at < end;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(end - at, kChunk));
    const std::string x = read_at(a, at, n);
    const std::string y = read_at(b, at, n);
    const size_t common = std::min(x.size(), y.size());
    const auto diff =
        std::mismatch(x.begin(), x.begin() + static_cast<ptrdiff_t>(common), y.begin());
    const auto same = static_cast<size_t>(diff.first - x.begin());
    if (same < n) return at + same;  // they differ there, or one of them ends there
    at += n;
  }
  return std::max(from, end);
}

uint64_t line_start(int fd, uint64_t at, uint64_t floor) {
  constexpr size_t kChunk = 4096;
  while (at > floor) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(at - floor, kChunk));
    const std::string x = read_at(fd, at - n, n);
    if (x.size() != n) return floor;
    const size_t nl = x.rfind('\n');
    if (nl != std::string::npos) return at - n + nl + 1;
    at -= n;
  }
  return floor;
}

std::optional<uint64_t> copy_parts_at(int copy, int original, uint64_t from, uint64_t end) {
  if (copy < 0 || original < 0 || end <= from) return std::nullopt;
  const uint64_t parted = first_difference(copy, original, from, end);
  if (parted >= end) return std::nullopt;
  return line_start(copy, parted, from);
}

CopyVerdict compare_heads(std::string_view candidate, std::string_view known, size_t full,
                          bool known_was_truncated) {
  if (known.empty()) return CopyVerdict::kNotACopy;  // nothing read of it: nothing to repeat
  if (candidate.size() < known.size())
    return known.substr(0, candidate.size()) == candidate ? CopyVerdict::kUndecided
                                                          : CopyVerdict::kNotACopy;
  if (candidate.substr(0, known.size()) != known) return CopyVerdict::kNotACopy;
  if (known.size() >= full || known_was_truncated) return CopyVerdict::kCopy;
  return CopyVerdict::kUndecided;
}

}  // namespace flumen::plugins
