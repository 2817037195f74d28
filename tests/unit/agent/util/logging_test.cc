#include "agent/util/logging.h"

#include <doctest/doctest.h>

using flumen::util::apply_flume_logging_properties;
using flumen::util::effective_level;
using flumen::util::LogOptions;
using flumen::util::parse_log_level;
namespace level = spdlog::level;

TEST_SUITE("util logging") {
  TEST_CASE("Flume's, log4j's and spdlog's level names in any case") {
    CHECK(parse_log_level("WARN") == level::warn);
    CHECK(parse_log_level("warning") == level::warn);
    CHECK(parse_log_level("Info") == level::info);
    CHECK(parse_log_level("DEBUG") == level::debug);
    CHECK(parse_log_level("ERROR") == level::err);
    CHECK(parse_log_level("TRACE") == level::trace);
    CHECK(parse_log_level("ALL") == level::trace);
    CHECK(parse_log_level("FATAL") == level::critical);
    CHECK(parse_log_level("OFF") == level::off);
    CHECK_FALSE(parse_log_level("verbose").has_value());
    CHECK_FALSE(parse_log_level("").has_value());
  }

  TEST_CASE("-v and -q move the level, within trace..fatal; off stays off") {
    LogOptions o;
    o.verbosity = 1;
    CHECK(effective_level(o).value() == level::debug);
    o.verbosity = 5;
    CHECK(effective_level(o).value() == level::trace);
    o.verbosity = -2;
    CHECK(effective_level(o).value() == level::err);
    o.verbosity = -9;
    CHECK(effective_level(o).value() == level::critical);
    o.level = "off";
    o.verbosity = 2;
    CHECK(effective_level(o).value() == level::off);
    o.level = "loud";
    auto bad = effective_level(o);
    REQUIRE_FALSE(bad.is_ok());
    CHECK(bad.error().message.find("'loud'") != std::string::npos);
  }

  TEST_CASE("-Dflume.root.logger sets the level and the appender") {
    auto o = apply_flume_logging_properties({}, {{"flume.root.logger", "DEBUG,console"}});
    REQUIRE(o.is_ok());
    CHECK(o.value().level == "DEBUG");
    CHECK(o.value().file.empty());

    o = apply_flume_logging_properties({}, {{"flume.root.logger", "WARN,LOGFILE"}});
    REQUIRE(o.is_ok());
    CHECK(o.value().file == "./logs/flume.log");

    o = apply_flume_logging_properties({}, {{"flume.root.logger", "INFO, LOGFILE"},
                                            {"flume.log.dir", "/var/log/flumen"},
                                            {"flume.log.file", "edge.log"}});
    REQUIRE(o.is_ok());
    CHECK(o.value().file == "/var/log/flumen/edge.log");
  }

  TEST_CASE("--log-level and --log-file on the command line win over the property") {
    LogOptions given;
    given.level = "error";
    given.level_given = true;
    given.file = "/tmp/x.log";
    auto o = apply_flume_logging_properties(given, {{"flume.root.logger", "DEBUG,LOGFILE"}});
    REQUIRE(o.is_ok());
    CHECK(o.value().level == "error");
    CHECK(o.value().file == "/tmp/x.log");
  }

  TEST_CASE("an unknown level or appender in the property is refused with the value") {
    auto o = apply_flume_logging_properties({}, {{"flume.root.logger", "LOUD,console"}});
    REQUIRE_FALSE(o.is_ok());
    CHECK(o.error().message.find("unknown level 'LOUD'") != std::string::npos);
    o = apply_flume_logging_properties({}, {{"flume.root.logger", "INFO,syslog"}});
    REQUIRE_FALSE(o.is_ok());
    CHECK(o.error().message.find("unknown appender 'syslog'") != std::string::npos);
  }
}
