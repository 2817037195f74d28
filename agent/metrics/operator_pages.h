#pragma once
// The operator's pages on an agent's metrics endpoint, beside /metrics and /health; they read the
// registry itself, not only its snapshots:
//   GET /topology  the running pipeline as a graph (runtime/topology_json.h); 404 without one.
//   GET /tap?component=SINK.k1&n=10[&since=SEQ]
//                  attaches a tap to the component (tap.h) and answers the events it holds after
//                  SEQ (none on a first read, without since):
//                  {"component":"SINK.k1","next":SEQ,"missed":N,
//                   "events":[{"seq":..,"time":ms,"headers":{..},"body":"..","bodySize":N}]}.
//                  component is TYPE.name or a name that only one component has; 404 when no
//                  component matches, 400 when several do or n is not 1..1000.
// Loop thread of the endpoint only.

#include <optional>

#include "agent/metrics/component_metrics.h"
#include "agent/net/http_server.h"

namespace flumen::metrics {

// Answers the paths above; nullopt for any other path.
std::optional<net::HttpResponse> operator_page(const net::HttpRequest& req,
                                               MetricsRegistry& registry);

// The value of `key` in a query string ("a=1&b=x%20y"), percent-decoded; nullopt when absent.
std::optional<std::string> query_param(std::string_view query, std::string_view key);

}  // namespace flumen::metrics
