#include "agent/metrics/metrics_format.h"

#include <doctest/doctest.h>

namespace flumen::metrics {
namespace {

ComponentSnapshot channel(const std::string& name, double size, double puts) {
  ComponentSnapshot s;
  s.type = "CHANNEL";
  s.name = name;
  s.values = {{"ChannelSize", MetricKind::kGauge, size, true},
              {"ChannelCapacity", MetricKind::kGauge, 100, true},
              {"EventPutAttemptCount", MetricKind::kCounter, puts, true},
              {"ChannelFillPercentage", MetricKind::kGauge, 1.0, false},
              {"StartTime", MetricKind::kGauge, 1700000000000.0, true}};
  return s;
}

TEST_CASE("Flume's Prometheus text: Flume_ names, _total counters, component labels") {
  std::string text = format_flume_prometheus({channel("memChannel", 1, 2), channel("c2", 0, 7)});
  INFO(text);
  // The lines Flume's own TestPrometheusMetricsServer looks for.
  CHECK(text.find("Flume_ChannelSize{component=\"memChannel\",} 1.0\n") != std::string::npos);
  CHECK(text.find("Flume_ChannelCapacity{component=\"memChannel\",} 100.0\n") != std::string::npos);
  CHECK(text.find("Flume_EventPutAttemptCount_total{component=\"memChannel\",} 2.0\n") !=
        std::string::npos);
  CHECK(text.find("Flume_EventPutAttemptCount_total{component=\"c2\",} 7.0\n") !=
        std::string::npos);
  CHECK(text.find("# TYPE Flume_EventPutAttemptCount_total counter\n") != std::string::npos);
  CHECK(text.find("# HELP Flume_EventPutAttemptCount_total Flume_EventPutAttemptCount\n") !=
        std::string::npos);
  CHECK(text.find("# TYPE Flume_ChannelSize gauge\n") != std::string::npos);
  // One family per name, attributes without a setter in Flume's counters left out.
  CHECK(text.find("# TYPE Flume_ChannelSize gauge", text.find("# TYPE Flume_ChannelSize") + 1) ==
        std::string::npos);
  CHECK(text.find("FillPercentage") == std::string::npos);
  CHECK(text.find("StartTime") == std::string::npos);
}

TEST_CASE("a scrape's Accept header picks Prometheus text or JSON") {
  CHECK(
      accepts_prometheus("application/openmetrics-text;version=1.0.0,application/"
                         "openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,"
                         "*/*;q=0.1"));
  CHECK(accepts_prometheus("text/plain"));
  CHECK_FALSE(accepts_prometheus("application/json, text/plain"));
  CHECK_FALSE(accepts_prometheus("*/*"));
  CHECK_FALSE(accepts_prometheus(""));
}

}  // namespace
}  // namespace flumen::metrics
