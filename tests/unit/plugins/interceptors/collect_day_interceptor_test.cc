#include "plugins/interceptors/collect_day_interceptor.h"

#include <doctest/doctest.h>
#include <stdlib.h>
#include <time.h>

#include "agent/pipeline/registry.h"
#include "tests/unit/support/linked_registry.h"

namespace flumen::plugins {
namespace {

// Sets TZ for the scope of a test (the interceptor uses the agent's local date, as the book's
// Java code does with SimpleDateFormat's default zone).
struct ScopedTz {
  explicit ScopedTz(const char* tz) {
    const char* old = getenv("TZ");
    had_ = old != nullptr;
    if (had_) old_ = old;
    setenv("TZ", tz, 1);
    tzset();
  }
  ~ScopedTz() {
    if (had_)
      setenv("TZ", old_.c_str(), 1);
    else
      unsetenv("TZ");
    tzset();
  }
  bool had_;
  std::string old_;
};

TEST_CASE("collect_day appends the local collection date to every body") {
  ScopedTz tz("Asia/Seoul");
  // 2016-01-01 15:30 UTC is already 2016-01-02 00:30 in Seoul.
  const auto t = std::chrono::system_clock::time_point(std::chrono::seconds(1451662200));
  CollectDayInterceptor interceptor({}, [t] { return t; });
  EventBatch b;
  b.add("20160101000000,A0001,81", {{"logType", "car-batch-log"}});
  b.add("");
  interceptor.intercept(b);
  CHECK(b.body(0) == "20160101000000,A0001,81,20160102");
  CHECK(b.body(1) == ",20160102");
  CHECK(b.header(0, "logType") == std::optional<std::string_view>("car-batch-log"));
}

TEST_CASE("the book's class name builds the collect_day interceptor") {
  const auto* def =
      linked_registry().find(pipeline::PluginKind::kInterceptor,
                             "com.wikibook.bigdata.smartcar.flume.CollectDayInterceptor$Builder");
  REQUIRE(def != nullptr);
  CHECK(def->name == "collect_day");
}

}  // namespace
}  // namespace flumen::plugins
