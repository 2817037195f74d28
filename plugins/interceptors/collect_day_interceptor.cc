#include "plugins/interceptors/collect_day_interceptor.h"

#include <time.h>

namespace flumen::plugins {

const config::PropertyTable<CollectDayInterceptorOptions>& collect_day_interceptor_table() {
  static const config::PropertyTable<CollectDayInterceptorOptions> table;
  return table;
}

std::string collect_day_suffix(std::chrono::system_clock::time_point t) {
  time_t secs = std::chrono::system_clock::to_time_t(t);
  struct tm local {};
  localtime_r(&secs, &local);
  char buf[16];
  size_t n = strftime(buf, sizeof buf, ",%Y%m%d", &local);
  return std::string(buf, n);
}

void CollectDayInterceptor::intercept(EventBatch& batch) {
  if (batch.empty()) return;
  // One date per batch: the book reads the clock per event, and a batch is collected at once.
  const std::string suffix = collect_day_suffix(now_());
  for (size_t i = 0; i < batch.size(); ++i) {
    body_.assign(batch.body(i));
    body_ += suffix;
    batch.set_body(i, body_);
  }
}

}  // namespace flumen::plugins
