#include "agent/metrics/status_pages.h"

#include "agent/metrics/health.h"

namespace flumen::metrics {

bool is_status_path(std::string_view path) {
  return path == "/health" || path == "/health/";
}

std::optional<net::HttpResponse> status_page(std::string_view path,
                                             const std::vector<ComponentSnapshot>& snapshots) {
  if (path == "/health" || path == "/health/") {
    HealthReport report = assess_health(snapshots);
    net::HttpResponse r;
    r.status = report.healthy() ? 200 : 503;
    r.content_type = "application/json";
    r.body = format_health_json(report);
    return r;
  }
  return std::nullopt;
}

}  // namespace flumen::metrics
