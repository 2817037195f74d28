#include "plugins/sources/taildir/file_head.h"

#include <unistd.h>

#include <cerrno>

namespace flumen::plugins {

std::string read_head(int fd, size_t n) {
  std::string head(n, '\0');
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::pread(fd, head.data() + got, n - got, static_cast<off_t>(got));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += static_cast<size_t>(r);
  }
  head.resize(got);
  return head;
}

bool starts_with_head(int fd, std::string_view head) {
  if (head.empty()) return true;
  return read_head(fd, head.size()) == head;
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
