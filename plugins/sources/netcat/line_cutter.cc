#include "plugins/sources/netcat/line_cutter.h"

namespace flumen::plugins {

size_t LineCutter::cut(std::string_view data, size_t pos, bool eof, std::vector<Piece>& out) {
  out.clear();
  size_t lines = 0;
  while (lines < max_lines_ && pos < data.size()) {
    const size_t nl = data.find('\n', pos);
    if (discarding_) {
      if (nl == std::string_view::npos) return data.size();
      discarding_ = false;
      pos = nl + 1;
      continue;
    }
    const size_t len = (nl == std::string_view::npos ? data.size() : nl) - pos;
    if (len + 1 > max_line_) {
      out.push_back({{}, true});
      if (nl == std::string_view::npos) {
        discarding_ = true;
        return data.size();
      }
      pos = nl + 1;
      continue;
    }
    if (nl == std::string_view::npos) {
      if (!eof) break;  // wait for the rest of the line
      out.push_back({data.substr(pos, len), false});
      return data.size();
    }
    out.push_back({data.substr(pos, len), false});
    ++lines;
    pos = nl + 1;
  }
  return pos;
}

}  // namespace flumen::plugins
