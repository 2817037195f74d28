#include "agent/metrics/operator_pages.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

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
