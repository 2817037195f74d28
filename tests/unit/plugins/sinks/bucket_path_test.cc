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
  CHECK(round_down(1795482245678, 10, "minute") == 1795482000000);
  CHECK(round_down(1795482245678, 1, "hour") == 1795482000000);
  std::string error;
  CHECK_FALSE(BucketPath::compile("/x/%Q", error).has_value());
  CHECK(error.find("unknown escape %Q") != std::string::npos);
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
