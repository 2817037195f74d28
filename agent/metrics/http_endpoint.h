#pragma once
// The metrics HTTP endpoint: GET /metrics returns Flume's flat JSON
// ({"SOURCE.r1": {"Type":"SOURCE", "EventReceivedCount":"5", ...}, ...}; every value a string, as
// Flume prints JMX attributes); GET /metrics?format=prometheus returns Prometheus text exposition
// format 0.0.4; the JSON also carries each counter's one- and five-minute rates (rates.h).
// GET /health answers service monitors (status_pages.h). With a registry, "/" is the live page
// and /topology, /tap answer too (operator_pages.h); without, "/" returns a short HTML page
// linking the others. Other paths 404; methods other than GET/HEAD 405 (TRACE/OPTIONS 403 as Flume
// does). Requests are parsed with http_parser (libhttp-parser), never by hand. Runs on a libuv loop
// owned by the caller (loop thread only).

#include <uv.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "agent/metrics/component_metrics.h"
#include "agent/metrics/metrics_format.h"
#include "agent/net/http_server.h"
#include "agent/util/result.h"

namespace flumen::metrics {

class OperatorPages;

// What GET /metrics serves without ?format=: Flume's JSON (-Dflume.monitoring.type=http, and
// flumen's --metrics-port) or Flume's Prometheus text (-Dflume.monitoring.type=prometheus).
// ?format=json and ?format=prometheus (flumen's flumen_* names) pick explicitly.
enum class MetricsMode { kFlumeJson, kFlumePrometheus };

class HttpEndpoint {
 public:
  using SnapshotFn = std::function<std::vector<ComponentSnapshot>()>;

  HttpEndpoint(uv_loop_t* loop, std::string agent_name, SnapshotFn snapshot,
               MetricsMode mode = MetricsMode::kFlumeJson);
  // An agent's endpoint: /metrics from the registry's snapshots, and the operator's pages
  // (operator_pages.h: the live page, /topology, /tap) that read the registry itself.
  HttpEndpoint(uv_loop_t* loop, std::string agent_name, std::shared_ptr<MetricsRegistry> registry,
               MetricsMode mode = MetricsMode::kFlumeJson);
  ~HttpEndpoint();  // closes the listener and all connections (must run on the loop thread)

  // Binds and listens. port 0 picks a free port; bound_port() tells which.
  // With `tls` (a server context, optionally verifying client certificates) it serves HTTPS.
  Status listen(const std::string& host, int port,
                std::shared_ptr<const net::TlsContext> tls = nullptr);
  int bound_port() const;
  void close();  // stop accepting and close connections; handles are freed by the loop

 private:
  std::unique_ptr<OperatorPages> pages_;  // with a registry; outlives server_'s requests
  std::unique_ptr<net::HttpServer> server_;
};

}  // namespace flumen::metrics
