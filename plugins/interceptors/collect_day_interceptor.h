#pragma once
// collect_day: the smart-car book's CollectDayInterceptor (com.wikibook.bigdata.smartcar.flume.
// CollectDayInterceptor$Builder), built in so the book's CH04 conf runs as printed. It appends
// ",<yyyyMMdd>" of the agent's local date at collection time to every event body, which gives
// the status lines their 14th field (the Hive table ignores it; the HDFS path uses its own
// %Y%m%d from the timestamp header). The book's interceptor has no configuration.

#include <chrono>
#include <functional>
#include <string>

#include "agent/config/property_table.h"
#include "agent/pipeline/interceptor.h"

namespace flumen::plugins {

struct CollectDayInterceptorOptions {};
const config::PropertyTable<CollectDayInterceptorOptions>& collect_day_interceptor_table();

class CollectDayInterceptor : public pipeline::Interceptor {
 public:
  using WallClock = std::function<std::chrono::system_clock::time_point()>;
  explicit CollectDayInterceptor(
      const CollectDayInterceptorOptions&,
      WallClock now = [] { return std::chrono::system_clock::now(); })
      : now_(std::move(now)) {}
  void intercept(EventBatch& batch) override;

 private:
  WallClock now_;
  std::string body_;  // reused between events
};

// ",yyyyMMdd" of `t` in the process's local time zone (TZ).
std::string collect_day_suffix(std::chrono::system_clock::time_point t);

}  // namespace flumen::plugins
