#include "agent/metrics/http_endpoint.h"

#include <string_view>

#include "agent/metrics/operator_pages.h"
#include "agent/metrics/rates.h"
#include "agent/metrics/status_pages.h"

namespace flumen::metrics {

namespace {

constexpr const char* kIndexPage =
    "<!DOCTYPE html>\n<html><head><title>flumen</title></head><body>\n"
    "<h1>flumen metrics</h1>\n<ul>\n"
    "<li><a href=\"/metrics\">/metrics</a> (Flume JSON)</li>\n"
    "<li><a href=\"/metrics?format=prometheus\">/metrics?format=prometheus</a> "
    "(Prometheus text format)</li>\n"
    "<li><a href=\"/health\">/health</a> (200 when every component runs, 503 otherwise)</li>\n"
    "</ul>\n</body></html>\n";

net::HttpResponse route(const net::HttpRequest& req, const std::string& agent_name,
                        const HttpEndpoint::SnapshotFn& snapshot, RateTracker& rates,
                        MetricsMode mode, OperatorPages* pages) {
  using Response = net::HttpResponse;
  const http_method method = req.method;
  if (method == HTTP_TRACE || method == HTTP_OPTIONS) return net::HttpResponse::error(403, false);
  if (method != HTTP_GET && method != HTTP_HEAD) {
    Response r = net::HttpResponse::error(405, false);
    r.extra_headers = "Allow: GET, HEAD\r\n";
    return r;
  }
  std::string_view path = req.path;
  std::string_view query = req.query;

  if (pages)
    if (auto page = pages->handle(req)) return std::move(*page);
  if (path == "/") {
    Response r;
    r.content_type = "text/html; charset=utf-8";
    r.body = kIndexPage;
    return r;
  }
  if (is_status_path(path))
    return *status_page(path, snapshot ? snapshot() : std::vector<ComponentSnapshot>{});
  if (path != "/metrics" && path != "/metrics/") return net::HttpResponse::error(404, false);

  enum {
    kJson,
    kFlumenText,
    kFlumeText
  } format = mode == MetricsMode::kFlumePrometheus ? kFlumeText : kJson;
  // A Prometheus scrape (its Accept prefers OpenMetrics or text/plain to JSON) gets the text
  // format without ?format=prometheus; curl and browsers still get Flume's JSON.
  if (format == kJson && accepts_prometheus(req.header("Accept"))) format = kFlumenText;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view param = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (param.rfind("format=", 0) != 0) continue;
    std::string_view fmt = param.substr(7);
    if (fmt == "prometheus" || fmt == "text") {
      format = kFlumenText;
    } else if (fmt == "json") {
      format = kJson;
    } else {
      Response r = net::HttpResponse::error(400, false);
      r.body = "unknown format; use format=json or format=prometheus\n";
      return r;
    }
  }

  std::vector<ComponentSnapshot> snaps = snapshot ? snapshot() : std::vector<ComponentSnapshot>{};
  Response r;
  if (format == kFlumenText) {
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = format_prometheus(snaps, agent_name);
  } else if (format == kFlumeText) {
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = format_flume_prometheus(snaps);
  } else {
    r.content_type = "application/json";
    rates.annotate(snaps);
    r.body = format_flume_json(snaps);
  }
  return r;
}

}  // namespace

HttpEndpoint::HttpEndpoint(uv_loop_t* loop, std::string agent_name, SnapshotFn snapshot,
                           MetricsMode mode)
    : server_(std::make_unique<net::HttpServer>(
          loop, "metrics http", 64 * 1024,
          [agent = std::move(agent_name), snapshot = std::move(snapshot),
           rates = std::make_shared<RateTracker>(), mode](const net::HttpRequest& req) {
            return route(req, agent, snapshot, *rates, mode, nullptr);
          })) {}

HttpEndpoint::HttpEndpoint(uv_loop_t* loop, std::string agent_name,
                           std::shared_ptr<MetricsRegistry> registry, MetricsMode mode)
    : pages_(std::make_unique<OperatorPages>(loop, registry)),
      server_(std::make_unique<net::HttpServer>(
          loop, "metrics http", 64 * 1024,
          [agent = std::move(agent_name), registry, pages = pages_.get(),
           rates = std::make_shared<RateTracker>(), mode](const net::HttpRequest& req) {
            return route(
                req, agent, [&registry] { return registry->snapshot(); }, *rates, mode, pages);
          })) {}

HttpEndpoint::~HttpEndpoint() = default;

Status HttpEndpoint::listen(const std::string& host, int port,
                            std::shared_ptr<const net::TlsContext> tls) {
  return server_->listen(host, port, std::move(tls));
}

int HttpEndpoint::bound_port() const {
  return server_->bound_port();
}

void HttpEndpoint::close() {
  server_->close();
}

}  // namespace flumen::metrics
