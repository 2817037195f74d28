#pragma once
// The endpoint's pages beside /metrics: GET /health for service monitors (200 when every
// component runs, 503 with the failing ones, both as JSON; see health.h). Kept apart from the
// HTTP plumbing of http_endpoint.cc so pages can be added without touching the listener.
// Loop thread only.

#include <optional>
#include <string_view>
#include <vector>

#include "agent/metrics/component_metrics.h"
#include "agent/net/http_server.h"

namespace flumen::metrics {

// Answers the status paths (/health); nullopt for any other path.
std::optional<net::HttpResponse> status_page(std::string_view path,
                                             const std::vector<ComponentSnapshot>& snapshots);
bool is_status_path(std::string_view path);

}  // namespace flumen::metrics
