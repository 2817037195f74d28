#pragma once
// The netcat source's framing: newline-terminated lines cut off the front of what a connection
// received, as Flume's NetcatSource reads them. A line longer than max-line-length (newline
// included) is one failure ("FAILED: Event exceeds the maximum length"), and the rest of it is
// skipped as it arrives, so a connection never holds more than one line's worth. Kept apart
// from the source so that a unit test and a fuzz target drive it without a pipeline.
#include <cstddef>
#include <string_view>
#include <vector>

namespace flumen::plugins {

class LineCutter {
 public:
  struct Piece {
    std::string_view line;  // without its newline; empty for an overlong line
    bool overlong = false;
  };

  LineCutter(size_t max_line, size_t max_lines) : max_line_(max_line), max_lines_(max_lines) {}

  // Cuts up to max_lines lines (and the overlong ones met on the way) from data[pos..] into
  // `out` (replaced), in the order they came. Returns where the next cut starts: a line without
  // its newline yet stays for the next call, unless `eof` (the stream's last line).
  size_t cut(std::string_view data, size_t pos, bool eof, std::vector<Piece>& out);

  // Whether the rest of an overlong line is being skipped; a caller that gives back what a cut
  // consumed (its batch was refused) puts back the state from before it.
  bool discarding() const { return discarding_; }
  void set_discarding(bool d) { discarding_ = d; }

 private:
  size_t max_line_;
  size_t max_lines_;
  bool discarding_ = false;
};

}  // namespace flumen::plugins
