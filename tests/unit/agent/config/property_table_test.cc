#include "agent/config/property_table.h"

#include <doctest/doctest.h>

namespace flumen::config {
namespace {

struct Opts {
  std::string host;
  int64_t port = 0;
  int64_t batch_size = 0;
  bool ack = false;
  double ratio = 0;
  std::string mode;
  std::vector<std::string> names;
  std::map<std::string, std::string> extra;
};

const PropertyTable<Opts>& table() {
  static const auto t = PropertyTable<Opts>()
                            .string("bind", &Opts::host, "", "address")
                            .required()
                            .integer("port", &Opts::port, "", 0, 65535, "port")
                            .required()
                            .integer("batchSize", &Opts::batch_size, "100", 1, 1000, "batch")
                            .alias("batch-size")
                            .boolean("ack", &Opts::ack, "true", "ack")
                            .decimal("ratio", &Opts::ratio, "0.5", 0, 1, "ratio")
                            .one_of("mode", &Opts::mode, "fast", {"fast", "Safe"}, "mode")
                            .list("names", &Opts::names, "a b", "names")
                            .map("extra.", &Opts::extra, "extra");
  return t;
}

ComponentEntries entries(std::vector<std::pair<std::string, std::string>> kv) {
  ComponentEntries e;
  e.description = "source 'r1' (type test)";
  e.key_prefix = "a1.sources.r1.";
  e.where = {"test.conf", 1};
  int line = 2;
  for (auto& [k, v] : kv)
    e.entries.push_back({k, v, {"test.conf", line++}});
  return e;
}

TEST_CASE("property table applies defaults and parses every type") {
  Opts o;
  Diagnostics d;
  CHECK(table().parse(o,
                      entries({{"bind", "0.0.0.0"},
                               {"port", "44444"},
                               {"mode", "SAFE"},
                               {"extra.x", "1"},
                               {"names", "  c1   c2 "}}),
                      d));
  CHECK_FALSE(d.has_errors());
  CHECK(o.host == "0.0.0.0");
  CHECK(o.port == 44444);
  CHECK(o.batch_size == 100);
  CHECK(o.ack);
  CHECK(o.ratio == doctest::Approx(0.5));
  CHECK(o.mode == "safe");
  CHECK(o.names == std::vector<std::string>{"c1", "c2"});
  CHECK(o.extra.at("x") == "1");
}

TEST_CASE("property table accepts aliases") {
  Opts o;
  Diagnostics d;
  CHECK(table().parse(o, entries({{"bind", "h"}, {"port", "1"}, {"batch-size", "7"}}), d));
  CHECK(o.batch_size == 7);
}

TEST_CASE("property table reports every problem with file:line") {
  Opts o;
  Diagnostics d;
  CHECK_FALSE(table().parse(o,
                            entries({{"batchsize", "10"},  // line 2: typo
                                     {"port", "seventy"},  // line 3
                                     {"ack", "yes"},       // line 4
                                     {"mode", "slow"},     // line 5
                                     {"ratio", "2"}}),     // line 6
                            d));
  std::string out = d.format();
  // An unknown key is what Flume ignores: a warning, with the nearest key.
  CHECK(out.find("test.conf:2: warning: unknown property 'a1.sources.r1.batchsize' for source "
                 "'r1' (type test); did you mean 'batchSize'? (ignored, as Flume ignores it)") !=
        std::string::npos);
  CHECK(out.find("test.conf:3: error: a1.sources.r1.port: expected an integer, got 'seventy'") !=
        std::string::npos);
  CHECK(out.find("test.conf:4: error: a1.sources.r1.ack: expected true or false") !=
        std::string::npos);
  CHECK(out.find("test.conf:5: error: a1.sources.r1.mode: expected one of fast | safe") !=
        std::string::npos);
  CHECK(out.find("test.conf:6: error: a1.sources.r1.ratio: must be in 0..1") != std::string::npos);
  CHECK(out.find("test.conf:1: error: source 'r1' (type test): missing required property "
                 "'a1.sources.r1.bind'") != std::string::npos);
  // A badly written port is also still missing: both are reported.
  CHECK(out.find("missing required property 'a1.sources.r1.port'") != std::string::npos);
  CHECK(d.error_count() == 6);
}

TEST_CASE("integer ranges are enforced") {
  Opts o;
  Diagnostics d;
  CHECK_FALSE(table().parse(o, entries({{"bind", "h"}, {"port", "70000"}}), d));
  CHECK(d.format().find("must be in 0..65535, got 70000") != std::string::npos);
}

TEST_CASE("value helpers") {
  CHECK(parse_int(" 42 ") == 42);
  CHECK(parse_int("+7") == 7);
  CHECK(parse_int("-3") == -3);
  CHECK_FALSE(parse_int("4x").has_value());
  CHECK_FALSE(parse_int("").has_value());
  CHECK(parse_bool("TRUE") == true);
  CHECK_FALSE(parse_bool("1").has_value());
  CHECK(split_words("\ta  b\n c ") == std::vector<std::string>{"a", "b", "c"});
}

}  // namespace
}  // namespace flumen::config
