#include "plugins/sinks/hdfs/bucket_path.h"

#include <doctest/doctest.h>

namespace flumen::plugins {
namespace {

TEST_CASE("bucket path escapes expand from the event time and headers") {
  std::string error;
  auto bp = BucketPath::compile("/data/%Y/%m/%d/%H%M%S/%{kind}-%y-%j-%s-%t", error);
  REQUIRE(bp.has_value());
  CHECK(bp->needs_time());
  EventBatch b;
  b.add("x", {{"kind", "status"}});
  std::string out, missing;
  auto utc = *TimeZoneSpec::parse("UTC");
  const int64_t ms = 1795482245678;  // 2026-11-24 01:04:05.678 UTC
  REQUIRE(bp->expand(b, 0, ms, utc, out, missing));
  CHECK(out == "/data/2026/11/24/010405/status-26-328-1795482245-1795482245678");
  out.clear();
  REQUIRE(bp->expand(b, 0, ms, *TimeZoneSpec::parse("+09:00"), out, missing));
  CHECK(out.rfind("/data/2026/11/24/100405/", 0) == 0);
  EventBatch none;
  none.add("y");
  out.clear();
  CHECK_FALSE(bp->expand(none, 0, ms, utc, out, missing));
  CHECK(missing == "kind");
}

TEST_CASE("bucket path rounding, errors and zones") {
  auto utc = *TimeZoneSpec::parse("UTC");
  CHECK(round_down(1795482245678, 10, "minute", utc) == 1795482000000);
  CHECK(round_down(1795482245678, 1, "hour", utc) == 1795482000000);
  std::string error;
  CHECK_FALSE(BucketPath::compile("/x/%{open", error).has_value());
  CHECK(TimeZoneSpec::parse("Etc/GMT-9")->offset_seconds == 9 * 3600);
  CHECK_FALSE(TimeZoneSpec::parse("Mars/Olympus_Mons").has_value());
  auto seoul = TimeZoneSpec::parse("Asia/Seoul");
  REQUIRE(seoul.has_value());
  CHECK(seoul->offset_at(1795482245) == 9 * 3600);
  auto la = TimeZoneSpec::parse("America/Los_Angeles");
  REQUIRE(la.has_value());
  CHECK(la->offset_at(1795482245) == -8 * 3600);  // November: standard time
  CHECK(la->offset_at(1783000000) == -7 * 3600);  // July 2026: daylight saving time
}

}  // namespace
}  // namespace flumen::plugins

namespace flumen::plugins {
namespace {

const int64_t k0104Utc = 1795482245678;  // 2026-11-24 01:04:05.678 UTC

std::string expand_path(const std::string& pattern, const EventBatch& b, int64_t ms,
                        const std::string& zone = "UTC", const std::string& time_text = "") {
  std::string error;
  auto bp = BucketPath::compile(pattern, error);
  REQUIRE(bp.has_value());
  std::string out;
  bp->expand_path(b, 0, ms, time_text.empty() ? std::to_string(ms) : time_text,
                  *TimeZoneSpec::parse(zone), out);
  return out;
}

TEST_CASE("bucket path: rounding happens in the zone's local time, like Flume") {
  // UTC+8, roundValue 24 hour: an event at 03:00 local belongs to that local day, not to the
  // previous UTC day.
  auto shanghai = *TimeZoneSpec::parse("+08:00");
  const int64_t local_0300 = 1795460400000;      // 2026-11-24 03:00 at UTC+8 (2026-11-23 19:00 UTC)
  const int64_t midnight_local = 1795449600000;  // 2026-11-24 00:00 at UTC+8
  CHECK(round_down(local_0300 + 1234, 24, "hour", shanghai) == midnight_local);
  EventBatch b;
  b.add("x");
  CHECK(expand_path("/d/%Y%m%d", b, round_down(local_0300, 24, "hour", shanghai), "+08:00") ==
        "/d/20261124");
  // Half-hour zones round the minute field of their own clock.
  auto india = *TimeZoneSpec::parse("+05:30");
  const int64_t r = round_down(k0104Utc, 15, "minute", india);  // 06:34:05 local -> 06:30
  CHECK(expand_path("/%H%M%S", b, r, "+05:30") == "/063000");
  // Flume rounds the field, not the epoch: 7 minutes from the top of each hour.
  CHECK(expand_path("/%H%M", b,
                    round_down(k0104Utc + 55 * 60'000, 7, "minute", *TimeZoneSpec::parse("UTC"))) ==
        "/0156");
  CHECK(max_round_value("hour") == 24);
  CHECK(max_round_value("minute") == 60);
}

TEST_CASE("bucket path: a missing header is an empty segment, %l %% %t as in Flume") {
  EventBatch b;
  b.add("x", {{"timestamp", "01795482245678"}});
  CHECK(expand_path("/d/%{nope}/x", b, k0104Utc) == "/d//x");
  CHECK(expand_path("/%l-%I-%k-%%-100%", b, k0104Utc + 12 * 3'600'000) == "/1-01-13-%-100%");
  // %t is the timestamp as given (unrounded), %s the rounded seconds.
  CHECK(expand_path("/%t/%s", b, k0104Utc - 5678, "UTC", "01795482245678") ==
        "/01795482245678/1795482240");
  CHECK(expand_path("/%c", b, k0104Utc) == "/Tue Nov 24 01:04:05 2026");
  std::string error, warning;
  auto bp = BucketPath::compile("/x/%Q%n", error, &warning);
  REQUIRE(bp.has_value());  // Flume expands unknown escapes to nothing
  CHECK(warning.find("is not a Flume escape") != std::string::npos);
  std::string out;
  bp->expand_path(b, 0, k0104Utc, "1", *TimeZoneSpec::parse("UTC"), out);
  CHECK(out == "/x/");
}

TEST_CASE("bucket path: header values cannot leave the directory") {
  EventBatch b;
  b.add("x", {{"h", "../../pwned"}, {"dot", ".."}, {"nul", std::string("a\0b", 3)}});
  CHECK(expand_path("/data/%{h}/f", b, k0104Utc) == "/data/.._.._pwned/f");
  CHECK(expand_path("/data/%{dot}/f", b, k0104Utc) == "/data/__/f");
  CHECK(expand_path("/data/%{nul}", b, k0104Utc) == "/data/a_b");
  // kafka.topic keeps values as they are and still reports a missing header.
  std::string error, out, missing;
  auto bp = BucketPath::compile("%{h}-%{none}", error);
  CHECK_FALSE(bp->expand(b, 0, k0104Utc, *TimeZoneSpec::parse("UTC"), out, missing));
  CHECK(missing == "none");
}

}  // namespace
}  // namespace flumen::plugins
