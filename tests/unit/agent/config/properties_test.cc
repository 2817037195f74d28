#include "agent/config/properties.h"

#include <doctest/doctest.h>

namespace flumen::config {
namespace {

struct Parsed {
  PropertiesFile file;
  Diagnostics diags;
  std::string value(const std::string& key) const {
    const PropertyEntry* e = file.find(key);
    return e ? e->value : "<missing>";
  }
  int line(const std::string& key) const {
    const PropertyEntry* e = file.find(key);
    return e ? e->where.line : -1;
  }
};

Parsed parse(std::string_view text) {
  Parsed p;
  p.file = PropertiesFile::parse(text, "f.conf", p.diags);
  return p;
}

TEST_CASE("separators: =, : and whitespace, with whitespace around them") {
  auto p = parse("a=1\nb : 2\nc 3\n  d\t=\t4  \ne:=5\nf\n");
  CHECK(p.value("a") == "1");
  CHECK(p.value("b") == "2");
  CHECK(p.value("c") == "3");
  CHECK(p.value("d") == "4");
  CHECK(p.value("e") == "=5");  // only the first separator is consumed
  CHECK(p.value("f") == "");
  CHECK_FALSE(p.diags.has_errors());
}

TEST_CASE("comments start a line with # or !; later # is part of the value") {
  auto p = parse("# comment = 1\n   ! another\nkey = value # not a comment\n\n");
  CHECK(p.file.entries().size() == 1);
  CHECK(p.value("key") == "value # not a comment");
  CHECK(p.line("key") == 3);
}

TEST_CASE("continuation lines") {
  auto p = parse(
      "a1.sources = r1 \\\n"
      "             r2\n"
      "even = ends with two \\\\\n"
      "next = 1\n"
      "odd = x\\\\\\\n"
      "  y\n"
      "cont = a\\\n"
      "# not a comment\n"
      "after = 2\n");
  CHECK(p.value("a1.sources") == "r1 r2");
  CHECK(p.value("even") == "ends with two \\");
  CHECK(p.value("next") == "1");
  CHECK(p.line("next") == 4);
  CHECK(p.value("odd") == "x\\y");
  CHECK(p.value("cont") == "a# not a comment");  // a continued line is never a comment
  CHECK(p.line("after") == 9);
}

TEST_CASE("escapes in keys and values") {
  auto p = parse(
      "tab = a\\tb\n"
      "nl = a\\nb\n"
      "uni = caf\\u00e9 \\u20ac\n"
      "key\\ with\\ spaces = v\n"
      "k\\=eq\\:colon = w\n"
      "hash = \\#x\n"
      "emoji = \\ud83d\\ude00\n");
  CHECK(p.value("tab") == "a\tb");
  CHECK(p.value("nl") == "a\nb");
  CHECK(p.value("uni") == "caf\xc3\xa9 \xe2\x82\xac");
  CHECK(p.value("key with spaces") == "v");
  CHECK(p.value("k=eq:colon") == "w");
  CHECK(p.value("hash") == "#x");
  CHECK(p.value("emoji") == "\xf0\x9f\x98\x80");
}

TEST_CASE("a malformed \\u escape is an error with its line") {
  auto p = parse("ok = 1\nbad = \\u12g4\nshort = \\u12\n");
  CHECK(p.diags.error_count() == 2);
  CHECK(p.diags.format().find("f.conf:2: error: malformed \\uxxxx escape") != std::string::npos);
  CHECK(p.diags.format().find("f.conf:3: error: malformed \\uxxxx escape") != std::string::npos);
  CHECK(p.value("ok") == "1");
}

TEST_CASE("CRLF and CR line ends") {
  auto p = parse("a = 1\r\nb = 2\rc = 3\r\n");
  CHECK(p.value("a") == "1");
  CHECK(p.value("b") == "2");
  CHECK(p.value("c") == "3");
  CHECK(p.line("c") == 3);
}

TEST_CASE("a duplicate key keeps the last value and warns naming both lines") {
  auto p = parse("a = 1\nb = 2\na = 3\n");
  CHECK(p.value("a") == "3");
  CHECK(p.line("a") == 3);
  CHECK_FALSE(p.diags.has_errors());
  CHECK(p.diags.format() ==
        "f.conf:3: warning: duplicate key 'a' (first at line 1); the value from line 3 is used\n");
}

TEST_CASE("merge: later files override without a warning") {
  Diagnostics d;
  auto a = PropertiesFile::parse("x = 1\ny = 2\n", "a.conf", d);
  auto b = PropertiesFile::parse("y = 3\nz = 4\n", "b.conf", d);
  a.merge(b);
  CHECK(a.find("y")->value == "3");
  CHECK(a.find("y")->where.file == "b.conf");
  CHECK(a.find("z")->value == "4");
  CHECK(d.all().empty());
}

TEST_CASE("substitution") {
  auto env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "HOME_DIR") return std::string("/home/car");
    if (name == "ONLY_ENV") return std::string("from-env");
    return std::nullopt;
  };
  std::map<std::string, std::string> sys = {{"flume.port", "41414"}};
  SUBCASE("env, sys, bare keys and chains") {
    auto p = parse(
        "dir = ${env:HOME_DIR}/logs\n"
        "port = ${sys:flume.port}\n"
        "base = ${dir}/spool\n"
        "deeper = ${base}/in\n"
        "fallback = ${ONLY_ENV}\n"
        "literal = $${env:HOME_DIR}\n"
        "unclosed = ${oops\n");
    p.file.substitute(env, sys, p.diags);
    CHECK_FALSE(p.diags.has_errors());
    CHECK(p.value("dir") == "/home/car/logs");
    CHECK(p.value("port") == "41414");
    CHECK(p.value("base") == "/home/car/logs/spool");
    CHECK(p.value("deeper") == "/home/car/logs/spool/in");
    CHECK(p.value("fallback") == "from-env");
    CHECK(p.value("literal") == "${env:HOME_DIR}");
    CHECK(p.value("unclosed") == "${oops");
  }
  SUBCASE("a default after :- is used when the variable is not set, as in Flume") {
    auto p = parse(
        "port = ${env:NOPE:-44444}\n"
        "dir = ${env:HOME_DIR:-/tmp}/logs\n"
        "empty = ${env:NOPE:-}\n");
    p.file.substitute(env, sys, p.diags);
    CHECK_FALSE(p.diags.has_errors());
    CHECK(p.value("port") == "44444");
    CHECK(p.value("dir") == "/home/car/logs");
    CHECK(p.value("empty") == "");
  }
  SUBCASE("unresolved variables and cycles are errors at the referencing line") {
    auto p = parse("a = ${env:NOPE}\nb = ${sys:nope}\nc = ${nothing}\nx = ${y}\ny = ${x}\n");
    p.file.substitute(env, sys, p.diags);
    std::string out = p.diags.format();
    CHECK(out.find("f.conf:1: error: unresolved variable ${env:NOPE}") != std::string::npos);
    CHECK(out.find("f.conf:2: error: unresolved variable ${sys:nope}") != std::string::npos);
    CHECK(out.find("f.conf:3: error: unresolved variable ${nothing}: not a key, an environment "
                   "variable or a -D property") != std::string::npos);
    CHECK(out.find("circular substitution: x -> y -> x") != std::string::npos);
  }
}

TEST_CASE("edit distance and nearest") {
  CHECK(edit_distance("kitten", "sitting") == 3);
  CHECK(edit_distance("", "abc") == 3);
  CHECK(nearest("batchsize", {"batchSize", "capacity"}) == "batchSize");
  CHECK(nearest("chanel", {"channel", "channels"}) == "channel");
  CHECK(nearest("zzzzzz", {"batchSize", "capacity"}) == "");
}

TEST_CASE("load reports an unreadable file") {
  Diagnostics d;
  auto f = PropertiesFile::load("/nonexistent/flumen.conf", d);
  CHECK_FALSE(f.has_value());
  CHECK(d.format().find("/nonexistent/flumen.conf: error: cannot read config file: No such file") !=
        std::string::npos);
}

}  // namespace
}  // namespace flumen::config

namespace flumen::config {
namespace {

TEST_CASE("an unknown escape before a letter is read as Java does, with a warning") {
  Diagnostics d;
  auto p = PropertiesFile::parse("re = /logs/app\\d+\\.log\nok = c:\\\\temp\n", "f.conf", d);
  CHECK(p.find("re")->value == "/logs/appd+.log");
  CHECK(p.find("ok")->value == "c:\\temp");
  CHECK(d.error_count() == 0);
  CHECK(d.format() ==
        "f.conf:1: warning: '\\d' in the value of 're' is read as 'd' (Java properties escape); "
        "write '\\\\d' for a backslash, e.g. in a regex\n");
}

}  // namespace
}  // namespace flumen::config
