#include <doctest/doctest.h>

#include "agent/runtime/agent_config.h"
#include "plugins/interceptors/header_interceptors.h"
#include "plugins/interceptors/regex_interceptors.h"
#include "tests/unit/support/linked_registry.h"

namespace flumen::plugins {
namespace {

EventBatch three() {
  EventBatch b;
  b.add("2026-11-24 10:15:30 car-07 ERROR brake", {{"timestamp", "1"}});
  b.add("2026-11-24 10:15:31 car-08 INFO ok");
  b.add("garbage");
  return b;
}

TEST_CASE("timestamp interceptor sets or preserves the header") {
  EventBatch b = three();
  TimestampInterceptor({"timestamp", true}).intercept(b);
  CHECK(b.header(0, "timestamp") == std::optional<std::string_view>("1"));
  auto ts = b.header(1, "timestamp");
  REQUIRE(ts.has_value());
  CHECK(std::stoll(std::string(*ts)) > 1'700'000'000'000LL);
  TimestampInterceptor({"timestamp", false}).intercept(b);
  CHECK(b.header(0, "timestamp") != std::optional<std::string_view>("1"));
}

TEST_CASE("static, host, uuid and remove_header interceptors") {
  EventBatch b = three();
  StaticInterceptor({"fleet", "cars", true}).intercept(b);
  CHECK(b.header(2, "fleet") == std::optional<std::string_view>("cars"));
  HostInterceptor({false, "host", false}).intercept(b);
  CHECK(b.header(0, "host").has_value());
  UuidInterceptor({"id", true, "car-"}).intercept(b);
  auto id = b.header(1, "id");
  REQUIRE(id.has_value());
  CHECK(id->size() == 4 + 36);
  CHECK(id->substr(4 + 14, 1) == "4");
  CHECK(*b.header(0, "id") != *b.header(1, "id"));
  RemoveHeaderInterceptorOptions ro;
  ro.with_name = "host";
  ro.from_list = "fleet , nothing";
  ro.matching = "time.*";
  RemoveHeaderInterceptor(ro).intercept(b);
  CHECK_FALSE(b.header(0, "host").has_value());
  CHECK_FALSE(b.header(0, "fleet").has_value());
  CHECK_FALSE(b.header(0, "timestamp").has_value());
  CHECK(b.header(0, "id").has_value());
}

TEST_CASE("regex_filter keeps or excludes by a match anywhere in the body") {
  EventBatch b = three();
  RegexFilterInterceptor({"ERROR|INFO", false}).intercept(b);
  CHECK(b.size() == 2);
  EventBatch c = three();
  RegexFilterInterceptor({"ERROR", true}).intercept(c);
  CHECK(c.size() == 2);
  CHECK(c.body(0).find("INFO") != std::string_view::npos);
}

TEST_CASE("regex_extractor with the default and the millis serializers") {
  RegexExtractorInterceptorOptions o;
  o.regex = "^(\\d+-\\d+-\\d+ \\d+:\\d+:\\d+) (car-\\d+) (\\w+)";
  o.serializers = {"t", "car", "level"};
  o.serializer_keys = {
      {"t.name", "timestamp"},
      {"t.type", "org.apache.flume.interceptor.RegexExtractorInterceptorMillisSerializer"},
      {"t.pattern", "yyyy-MM-dd HH:mm:ss"},
      {"car.name", "car"},
      {"level.name", "level"}};
  EventBatch b = three();
  RegexExtractorInterceptor(o).intercept(b);
  CHECK(b.header(0, "car") == std::optional<std::string_view>("car-07"));
  CHECK(b.header(1, "level") == std::optional<std::string_view>("INFO"));
  std::tm tm{};
  tm.tm_year = 126;
  tm.tm_mon = 10;
  tm.tm_mday = 24;
  tm.tm_hour = 10;
  tm.tm_min = 15;
  tm.tm_sec = 30;
  tm.tm_isdst = -1;
  CHECK(b.header(0, "timestamp") == std::optional<std::string_view>(std::to_string(
                                        static_cast<int64_t>(std::mktime(&tm)) * 1000)));
  CHECK_FALSE(b.header(2, "car").has_value());
  CHECK(parse_joda_millis("dd/MM/yyyy'T'HH:mm:ss.SSS", "01/02/2026T03:04:05.678").has_value());
  CHECK_FALSE(parse_joda_millis("yyyy-MM-dd", "2026-1x-01").has_value());
}

TEST_CASE("search_replace rewrites bodies with groups") {
  EventBatch b = three();
  SearchReplaceInterceptor({"car-(\\d+)", "vehicle#$1", "utf-8"}).intercept(b);
  CHECK(b.body(0) == "2026-11-24 10:15:30 vehicle#07 ERROR brake");
  CHECK(b.body(2) == "garbage");
}

TEST_CASE("a catastrophic pattern does not hang") {
  RegexFilterInterceptor f({"(a+)+$", false});
  EventBatch b;
  b.add(std::string(5000, 'a') + "b");
  f.intercept(b);  // match limit: counts as no match, returns promptly
  CHECK(b.size() == 0);
}

TEST_CASE("interceptors are configured from Flume confs, with class names and errors") {
  config::Diagnostics d;
  auto props = config::PropertiesFile::parse(R"(a1.sources = r1
a1.channels = c1
a1.sinks = k1
a1.sources.r1.type = seq
a1.sources.r1.channels = c1
a1.sources.r1.interceptors = ts f bad
a1.sources.r1.interceptors.ts.type = org.apache.flume.interceptor.TimestampInterceptor$Builder
a1.sources.r1.interceptors.f.type = regex_filter
a1.sources.r1.interceptors.f.regex = ([a-z
a1.sources.r1.interceptors.bad.type = com.example.MyInterceptor$Builder
a1.channels.c1.type = memory
a1.sinks.k1.type = null
a1.sinks.k1.channel = c1
)",
                                             "t.conf", d);
  auto cfg = runtime::build_agent_config(props, "a1", linked_registry(), d);
  CHECK_FALSE(cfg.has_value());
  std::string out = d.format();
  CHECK(out.find("t.conf:9: error: a1.sources.r1.interceptors.f.regex: invalid regex:") !=
        std::string::npos);
  CHECK(
      out.find("t.conf:10: error: unknown interceptor class 'com.example.MyInterceptor$Builder'") !=
      std::string::npos);
  CHECK(d.error_count() == 2);
}

}  // namespace
}  // namespace flumen::plugins
