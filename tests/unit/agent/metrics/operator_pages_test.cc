#include "agent/metrics/operator_pages.h"

#include <doctest/doctest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

namespace flumen::metrics {
namespace {

net::HttpRequest get(const std::string& path, const std::string& query = "") {
  net::HttpRequest r;
  r.method = HTTP_GET;
  r.path = path;
  r.query = query;
  r.url = query.empty() ? path : path + "?" + query;
  return r;
}

TEST_CASE("query_param: finds a key, decodes percent escapes, absent is nullopt") {
  CHECK(query_param("a=1&component=SINK.k%31&n=", "component") == "SINK.k1");
  CHECK(query_param("a=1&n=", "n") == "");
  CHECK(query_param("a=1", "b") == std::nullopt);
  CHECK(query_param("x=a+b%2", "x") == "a b%2");
}

TEST_CASE("operator pages: /topology serves what the agent set, 404 before") {
  MetricsRegistry reg;
  CHECK(operator_page(get("/topology"), reg)->status == 404);
  reg.set_topology_json(R"({"agent":"a1","nodes":[],"edges":[]})");
  auto r = operator_page(get("/topology"), reg);
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->content_type == "application/json");
  CHECK(nlohmann::json::parse(r->body)["agent"] == "a1");
  CHECK_FALSE(operator_page(get("/metrics"), reg).has_value());
}

TEST_CASE("operator pages: /tap attaches to a component and returns what passes it") {
  MetricsRegistry reg;
  auto sink = reg.create("SINK", "k1");
  auto source = reg.create("SOURCE", "k1");  // same name, another kind
  reg.create("SINKGROUP", "g1");
  CHECK_FALSE(sink->tap().attached());

  auto first = operator_page(get("/tap", "component=SINK.k1&n=5"), reg);
  REQUIRE(first);
  CHECK(first->status == 200);
  auto j = nlohmann::json::parse(first->body);
  CHECK(j["component"] == "SINK.k1");
  CHECK(j["events"].empty());
  CHECK(sink->tap().attached());
  CHECK_FALSE(source->tap().attached());

  EventBatch b;
  b.add("hello", {{"host", "car-1"}});
  sink->tap().offer(b);
  auto next = operator_page(
      get("/tap", "component=SINK.k1&n=5&since=" + std::to_string(j["next"].get<uint64_t>())), reg);
  auto k = nlohmann::json::parse(next->body);
  REQUIRE(k["events"].size() == 1);
  CHECK(k["events"][0]["body"] == "hello");
  CHECK(k["events"][0]["headers"]["host"] == "car-1");
  CHECK(k["events"][0]["bodySize"] == 5);

  CHECK(operator_page(get("/tap", "component=k1"), reg)->status == 400);  // ambiguous
  CHECK(operator_page(get("/tap", "component=nope"), reg)->status == 404);
  CHECK(operator_page(get("/tap", "component=g1"), reg)->status == 400);  // a sink group
  CHECK(operator_page(get("/tap", "component=SINK.k1&n=0"), reg)->status == 400);
  CHECK(operator_page(get("/tap", "component=SINK.k1&since=x"), reg)->status == 400);
  CHECK(operator_page(get("/tap"), reg)->status == 400);
}

}  // namespace
}  // namespace flumen::metrics

namespace flumen::metrics {
namespace {

TEST_CASE("operator pages: / is the live page, /live the metrics with rates the agent measured") {
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  auto reg = std::make_shared<MetricsRegistry>();
  Counter& received = reg->create("SOURCE", "r1")->counter("EventReceivedCount");
  received.inc(7);
  {
    OperatorPages pages(&loop, reg);
    auto page = pages.handle(get("/"));
    REQUIRE(page);
    CHECK(page->content_type.rfind("text/html", 0) == 0);
    CHECK(page->body.find("fetch(\"/live\"") != std::string::npos);
    CHECK(page->body.find("fetch(\"/topology\"") != std::string::npos);
    CHECK(pages.handle(get("/topology"))->status == 404);  // served by the same object

    uv_run(&loop, UV_RUN_NOWAIT);  // the first reading, at once
    received.inc(100);
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    auto live = pages.handle(get("/live"));
    REQUIRE(live);
    auto j = nlohmann::json::parse(live->body);
    CHECK(j["time"].get<double>() > 0);
    CHECK(j["metrics"]["SOURCE.r1"]["EventReceivedCount"] == "107");
    const double r = j["rates"]["SOURCE.r1"]["EventReceivedCount"].get<double>();
    CHECK(r > 100 / 0.6);
    CHECK(r <= 100 / 0.4);
  }
  uv_run(&loop, UV_RUN_DEFAULT);  // the timer's close callback
  CHECK(uv_loop_close(&loop) == 0);
}

TEST_CASE("live history: rates over the window, none for a counter that went down") {
  using Clock = LiveHistory::Clock;
  auto snap = [](double v) {
    ComponentSnapshot s;
    s.type = "SINK";
    s.name = "k1";
    s.values = {{"EventDrainSuccessCount", MetricKind::kCounter, v, true},
                {"ChannelSize", MetricKind::kGauge, 5, true}};
    return std::vector<ComponentSnapshot>{s};
  };
  LiveHistory h(std::chrono::seconds(3));
  const auto t0 = Clock::now();
  CHECK(h.rates(snap(0), t0).empty());  // nothing read yet
  for (int i = 0; i <= 10; ++i)
    h.sample(snap(i * 50.0), t0 + std::chrono::seconds(i));
  auto r = h.rates(snap(550), t0 + std::chrono::seconds(11));
  CHECK(r["SINK.k1"]["EventDrainSuccessCount"].get<double>() == doctest::Approx(50));
  CHECK_FALSE(r["SINK.k1"].contains("ChannelSize"));                // gauges have no rate
  CHECK(h.rates(snap(10), t0 + std::chrono::seconds(11)).empty());  // reset by a reload

  // A component that started after the first reading is measured from its own first one.
  LiveHistory late(std::chrono::seconds(3));
  late.sample({}, t0);
  late.sample(snap(100), t0 + std::chrono::seconds(1));
  auto lr = late.rates(snap(300), t0 + std::chrono::seconds(2));
  CHECK(lr["SINK.k1"]["EventDrainSuccessCount"].get<double>() == doctest::Approx(200));
}

}  // namespace
}  // namespace flumen::metrics
