#include "plugins/sources/netcat/line_cutter.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace flumen::plugins {
namespace {

// What a cut gave, as text: "line" for a line, "!" for an overlong one.
std::vector<std::string> shown(const std::vector<LineCutter::Piece>& pieces) {
  std::vector<std::string> out;
  for (const auto& p : pieces)
    out.push_back(p.overlong ? "!" : std::string(p.line));
  return out;
}

using Lines = std::vector<std::string>;

TEST_CASE("netcat lines: complete lines are cut, a partial one waits for its newline") {
  LineCutter cut(16, 100);
  std::vector<LineCutter::Piece> pieces;
  const std::string data = "one\ntwo\nthr";
  size_t pos = cut.cut(data, 0, false, pieces);
  CHECK(shown(pieces) == Lines{"one", "two"});
  CHECK(pos == 8);
  const std::string more = "three\n";
  pos = cut.cut(more, 0, false, pieces);  // the layer gives back the unconsumed bytes too
  CHECK(shown(pieces) == Lines{"three"});
  CHECK(pos == more.size());
}

TEST_CASE("netcat lines: the last line of a closed stream needs no newline") {
  LineCutter cut(16, 100);
  std::vector<LineCutter::Piece> pieces;
  CHECK(cut.cut("a\nlast", 0, true, pieces) == 6);
  CHECK(shown(pieces) == Lines{"a", "last"});
}

TEST_CASE("netcat lines: max-line-length counts the newline; longer is one failure") {
  LineCutter cut(5, 100);
  std::vector<LineCutter::Piece> pieces;
  cut.cut("abcd\nabcde\nok\n", 0, false, pieces);
  CHECK(shown(pieces) == Lines{"abcd", "!", "ok"});
}

TEST_CASE("netcat lines: an overlong line arriving in pieces fails once, its rest skipped") {
  LineCutter cut(4, 100);
  std::vector<LineCutter::Piece> pieces;
  CHECK(cut.cut("abcdefg", 0, false, pieces) == 7);  // nothing held: it cannot become a line
  CHECK(shown(pieces) == Lines{"!"});
  CHECK(cut.discarding());
  CHECK(cut.cut("hijk", 0, false, pieces) == 4);
  CHECK(pieces.empty());
  CHECK(cut.cut("lm\nok\n", 0, false, pieces) == 6);
  CHECK(shown(pieces) == Lines{"ok"});
  CHECK_FALSE(cut.discarding());
}

TEST_CASE("netcat lines: at most max_lines lines per cut, the rest on the next") {
  LineCutter cut(16, 2);
  std::vector<LineCutter::Piece> pieces;
  const std::string data = "1\n2\n3\n";
  size_t pos = cut.cut(data, 0, false, pieces);
  CHECK(shown(pieces) == Lines{"1", "2"});
  pos = cut.cut(data, pos, false, pieces);
  CHECK(shown(pieces) == Lines{"3"});
  CHECK(pos == data.size());
}

}  // namespace
}  // namespace flumen::plugins
