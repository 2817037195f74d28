// libFuzzer target for the netcat source's framing (plugins/sources/netcat/line_cutter.h): the
// input is delivered in chunks whose sizes its first bytes choose, as a connection receives it
// (what a cut did not consume comes back with the next chunk), then the stream ends. Besides
// crashes and undefined behaviour under ASan/UBSan, the lines and failures it cuts must equal a
// plain split of the whole input on newlines: no line lost, doubled, cut short or over the
// limit, whatever the chunking and batch size.
// Build and run: scripts/fuzz.sh 60 netcat_lines_fuzz
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "plugins/sources/netcat/line_cutter.h"

using flumen::plugins::LineCutter;

namespace {

// "!" for an overlong line, else the line.
std::vector<std::string> reference(const std::string& all, size_t max_line) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < all.size()) {
    size_t nl = all.find('\n', pos);
    const size_t end = nl == std::string::npos ? all.size() : nl;
    const std::string line = all.substr(pos, end - pos);
    out.push_back(line.size() + 1 > max_line ? "!" : line);
    pos = end + 1;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const size_t max_line = 1 + data[0] % 32;
  const size_t max_lines = 1 + data[1] % 8;
  const size_t chunk = 1 + data[2] % 16;
  const std::string all(reinterpret_cast<const char*>(data) + 3, size - 3);
  LineCutter cutter(max_line, max_lines);
  std::vector<LineCutter::Piece> pieces;
  std::vector<std::string> got;
  std::string held;  // received, not consumed yet
  size_t fed = 0;
  while (true) {
    const bool eof = fed >= all.size();
    if (!eof) {
      held += all.substr(fed, chunk);
      fed += chunk;
    }
    size_t pos = 0;
    while (true) {
      const size_t next = cutter.cut(held, pos, eof && fed >= all.size(), pieces);
      for (const auto& p : pieces) {
        if (!p.overlong &&
            (p.line.size() + 1 > max_line || p.line.find('\n') != std::string_view::npos))
          std::abort();  // a line over the limit, or with its newline
        got.push_back(p.overlong ? "!" : std::string(p.line));
      }
      if (next < pos || next > held.size()) std::abort();
      if (next == pos) break;
      pos = next;
    }
    held.erase(0, pos);
    if (held.size() > max_line) std::abort();  // more than one line's worth held
    if (eof) break;
  }
  if (!held.empty() || got != reference(all, max_line)) std::abort();
  return 0;
}
