#include "agent/metrics/rates.h"

#include <doctest/doctest.h>

#include <chrono>

using flumen::metrics::ComponentSnapshot;
using flumen::metrics::MetricKind;
using flumen::metrics::RateTracker;
using flumen::util::ManualClock;
using namespace std::chrono_literals;

namespace {

std::vector<ComponentSnapshot> source_with(double received, double open_connections = 3) {
  ComponentSnapshot s;
  s.type = "SOURCE";
  s.name = "r1";
  s.values = {{"EventReceivedCount", MetricKind::kCounter, received, true},
              {"OpenConnectionCount", MetricKind::kGauge, open_connections, true}};
  return {s};
}

double value(const std::vector<ComponentSnapshot>& snaps, const std::string& name) {
  for (const auto& v : snaps.at(0).values)
    if (v.name == name) return v.value;
  FAIL("no value " << name);
  return 0;
}

bool has(const std::vector<ComponentSnapshot>& snaps, const std::string& name) {
  for (const auto& v : snaps.at(0).values)
    if (v.name == name) return true;
  return false;
}

}  // namespace

TEST_SUITE("metrics rates") {
  TEST_CASE("rates appear next to counters only, named without the Count suffix") {
    ManualClock clock;
    RateTracker rates(clock);
    auto snaps = source_with(0);
    rates.annotate(snaps);
    CHECK(has(snaps, "EventReceivedOneMinuteRate"));
    CHECK(has(snaps, "EventReceivedFiveMinuteRate"));
    CHECK_FALSE(has(snaps, "OpenConnectionOneMinuteRate"));  // a gauge has no rate
    CHECK(value(snaps, "EventReceivedOneMinuteRate") == 0);  // first reading: a baseline
    CHECK(flumen::metrics::rate_base_name("EventReadFail") == "EventReadFail");
  }

  TEST_CASE("a steady flow shows its rate at the first tick and keeps it") {
    ManualClock clock;
    RateTracker rates(clock);
    double total = 0;
    auto snaps = source_with(total);
    rates.annotate(snaps);
    for (int i = 0; i < 30; ++i) {
      clock.advance(5s);
      total += 500;  // 100 events/s
      snaps = source_with(total);
      rates.annotate(snaps);
      CHECK(value(snaps, "EventReceivedOneMinuteRate") == doctest::Approx(100.0));
      CHECK(value(snaps, "EventReceivedFiveMinuteRate") == doctest::Approx(100.0));
    }
  }

  TEST_CASE("after a stop the one-minute rate falls faster than the five-minute one") {
    ManualClock clock;
    RateTracker rates(clock);
    auto snaps = source_with(0);
    rates.annotate(snaps);
    clock.advance(5s);
    snaps = source_with(500);
    rates.annotate(snaps);
    clock.advance(60s);  // nothing more; scraped once a minute later
    snaps = source_with(500);
    rates.annotate(snaps);
    double m1 = value(snaps, "EventReceivedOneMinuteRate");
    double m5 = value(snaps, "EventReceivedFiveMinuteRate");
    // Dropwizard's EWMA after 12 idle ticks: 100 * e^(-1) and 100 * e^(-1/5).
    CHECK(m1 == doctest::Approx(36.79).epsilon(0.01));
    CHECK(m5 == doctest::Approx(81.87).epsilon(0.01));
  }

  TEST_CASE(
      "scrapes within one tick change nothing; a burst is spread over the ticks between "
      "scrapes") {
    ManualClock clock;
    RateTracker rates(clock);
    auto snaps = source_with(0);
    rates.annotate(snaps);
    clock.advance(2s);
    snaps = source_with(1000);
    rates.annotate(snaps);
    CHECK(value(snaps, "EventReceivedOneMinuteRate") == 0);  // not a whole tick yet
    clock.advance(8s);                                       // two ticks since the baseline
    snaps = source_with(1000);
    rates.annotate(snaps);
    CHECK(value(snaps, "EventReceivedOneMinuteRate") == doctest::Approx(100.0));
  }

  TEST_CASE("a counter that went down (rebuilt by a reload) starts over") {
    ManualClock clock;
    RateTracker rates(clock);
    auto snaps = source_with(10000);
    rates.annotate(snaps);
    clock.advance(5s);
    snaps = source_with(10500);
    rates.annotate(snaps);
    CHECK(value(snaps, "EventReceivedOneMinuteRate") == doctest::Approx(100.0));
    clock.advance(5s);
    snaps = source_with(50);
    rates.annotate(snaps);
    CHECK(value(snaps, "EventReceivedOneMinuteRate") == 0);
    CHECK(value(snaps, "EventReceivedOneMinuteRate") >= 0);
  }
}
