#pragma once
// The operator's pages on an agent's metrics endpoint, beside /metrics and /health; they read the
// registry itself, not only its snapshots:
//   GET /          the live page (live_page.h): the pipeline as a graph with live rates.
//   GET /live      {"time": server ms, "metrics": /metrics' JSON, "rates": {"SOURCE.r1":
//                  {"EventAcceptedCount": 80.2, ...}}}: what the live page polls, the rates over
//                  the last 3 s (live_history.h).
//   GET /topology  the running pipeline as a graph (runtime/topology_json.h); 404 without one.
//   GET /tap?component=SINK.k1&n=10[&since=SEQ]
//                  attaches a tap to the component (tap.h) and answers the events it holds after
//                  SEQ (none on a first read, without since):
//                  {"component":"SINK.k1","next":SEQ,"missed":N,
//                   "events":[{"seq":..,"time":ms,"headers":{..},"body":"..","bodySize":N}]}.
//                  component is TYPE.name or a name that only one component has; 404 when no
//                  component matches, 400 when several do or n is not 1..1000.
// Loop thread of the endpoint only.

#include <uv.h>

#include <memory>
#include <optional>

#include "agent/metrics/component_metrics.h"
#include "agent/metrics/live_history.h"
#include "agent/net/http_server.h"

namespace flumen::metrics {

// The pages above for one agent's endpoint; reads the registry once a second for /live's rates.
class OperatorPages {
 public:
  // Starts the once-a-second timer on `loop`. Loop thread only, like everything here.
  OperatorPages(uv_loop_t* loop, std::shared_ptr<MetricsRegistry> registry);
  ~OperatorPages();  // closes the timer (the loop frees it)
  OperatorPages(const OperatorPages&) = delete;
  OperatorPages& operator=(const OperatorPages&) = delete;

  // Answers the paths above; nullopt for any other path.
  std::optional<net::HttpResponse> handle(const net::HttpRequest& req);

 private:
  static void on_tick(uv_timer_t* timer);

  std::shared_ptr<MetricsRegistry> registry_;
  LiveHistory history_;
  uv_timer_t* timer_;
};

// Every path above but /live (which needs the history); nullopt for any other path.
std::optional<net::HttpResponse> operator_page(const net::HttpRequest& req,
                                               MetricsRegistry& registry);

// The value of `key` in a query string ("a=1&b=x%20y"), percent-decoded; nullopt when absent.
std::optional<std::string> query_param(std::string_view query, std::string_view key);

}  // namespace flumen::metrics
