#include "agent/metrics/status_pages.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "agent/metrics/health.h"

using flumen::metrics::ComponentSnapshot;
using flumen::metrics::MetricKind;
using flumen::metrics::status_page;

namespace {

ComponentSnapshot component(std::string type, std::string name, double start, double stop) {
  ComponentSnapshot s;
  s.type = std::move(type);
  s.name = std::move(name);
  s.values = {{"StartTime", MetricKind::kGauge, start, true},
              {"StopTime", MetricKind::kGauge, stop, true}};
  return s;
}

ComponentSnapshot sink(std::string state, double failures) {
  ComponentSnapshot s = component("SINK", "k1", 1000, 0);
  s.labels = {{"State", std::move(state)}};
  s.values.push_back({"ConsecutiveFailures", MetricKind::kGauge, failures, true});
  return s;
}

nlohmann::json body_of(const flumen::net::HttpResponse& r) {
  return nlohmann::json::parse(r.body);
}

}  // namespace

TEST_SUITE("metrics status pages") {
  TEST_CASE("/health is 200 while every component runs") {
    auto r = status_page("/health", {component("SOURCE", "r1", 1000, 0),
                                     component("CHANNEL", "c1", 1000, 0), sink("idle", 0)});
    REQUIRE(r.has_value());
    CHECK(r->status == 200);
    CHECK(r->content_type == "application/json");
    auto j = body_of(*r);
    CHECK(j["status"] == "ok");
    CHECK(j["components"] == 3);
    CHECK(j["failing"].empty());
  }

  TEST_CASE("/health is 503 and names a sink in back-off and a stopped component") {
    auto r = status_page("/health/", {component("SOURCE", "r1", 1000, 2000),
                                      sink("backoff (3 failures, next try in 800 ms)", 3),
                                      component("CHANNEL", "c1", 3000, 2000)});
    REQUIRE(r.has_value());
    CHECK(r->status == 503);
    auto j = body_of(*r);
    CHECK(j["status"] == "failing");
    REQUIRE(j["failing"].size() == 2);
    CHECK(j["failing"][0]["component"] == "SOURCE.r1");
    CHECK(j["failing"][0]["reason"] == "stopped");
    CHECK(j["failing"][1]["component"] == "SINK.k1");
    CHECK(j["failing"][1]["reason"] == "backoff (3 failures, next try in 800 ms)");
  }

  TEST_CASE("a failing delivery counts before the back-off state shows") {
    auto report = flumen::metrics::assess_health({sink("delivering", 1)});
    REQUIRE(report.failing.size() == 1);
    CHECK(report.failing[0].reason == "failing (1 consecutive failures)");
  }

  TEST_CASE("a sink group: its runner in back-off fails, a penalised member only degrades") {
    ComponentSnapshot g = component("SINKGROUP", "g1", 1000, 0);
    g.labels = {{"ProcessorType", "failover"},
                {"State", "active=k2 penalised:k1=4000ms"},
                {"RunnerState", "delivering"}};
    auto report = flumen::metrics::assess_health({g});
    CHECK(report.healthy());
    REQUIRE(report.degraded.size() == 1);
    CHECK(report.degraded[0].component == "SINKGROUP.g1");

    g.labels[2].second = "backoff (2 failures, next try in 100 ms)";
    report = flumen::metrics::assess_health({g});
    CHECK_FALSE(report.healthy());
    REQUIRE(report.failing.size() == 1);
    CHECK(report.failing[0].component == "SINKGROUP.g1");
  }

  TEST_CASE("other paths are not status pages") {
    CHECK_FALSE(status_page("/metrics", {}).has_value());
    CHECK_FALSE(status_page("/healthz", {}).has_value());
  }
}
