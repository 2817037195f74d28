#include "agent/metrics/operator_pages.h"

#include <charconv>
#include <nlohmann/json.hpp>

#include "agent/metrics/live_page.h"

namespace flumen::metrics {

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hex_digit(s[i + 1]) >= 0 &&
               hex_digit(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_digit(s[i + 1]) * 16 + hex_digit(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

net::HttpResponse json_response(int status, const nlohmann::ordered_json& body) {
  net::HttpResponse r;
  r.status = status;
  r.content_type = "application/json";
  // Event bodies are bytes: invalid UTF-8 is replaced rather than failing the answer.
  r.body = body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
  return r;
}

net::HttpResponse error_json(int status, const std::string& message) {
  return json_response(status, {{"error", message}});
}

std::optional<uint64_t> parse_u64(const std::optional<std::string>& s) {
  if (!s || s->empty()) return std::nullopt;
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
  if (ec != std::errc() || end != s->data() + s->size()) return std::nullopt;
  return v;
}

// "SINK.k1", or "k1" when only one component has that name.
std::shared_ptr<ComponentMetrics> find_component(MetricsRegistry& registry, const std::string& key,
                                                 std::string& error, int& status) {
  if (size_t dot = key.find('.'); dot != std::string::npos) {
    if (auto m = registry.find(key.substr(0, dot), key.substr(dot + 1))) return m;
  }
  std::shared_ptr<ComponentMetrics> found;
  std::string candidates;
  for (const auto& snap : registry.snapshot()) {
    if (snap.name != key) continue;
    candidates += (candidates.empty() ? "" : ", ") + snap.type + "." + snap.name;
    if (!found) found = registry.find(snap.type, snap.name);
  }
  if (candidates.find(',') != std::string::npos) {
    status = 400;
    error = "several components are named " + key + ": " + candidates + "; name one";
    return nullptr;
  }
  if (!found) {
    status = 404;
    error = "no component " + key;
  }
  return found;
}

net::HttpResponse tap_page(const net::HttpRequest& req, MetricsRegistry& registry) {
  auto component = query_param(req.query, "component");
  if (!component || component->empty())
    return error_json(400, "name the component: /tap?component=SINK.k1&n=10");
  size_t n = 10;
  if (auto v = query_param(req.query, "n")) {
    auto parsed = parse_u64(v);
    if (!parsed || *parsed < 1 || *parsed > Tap::kMaxCapacity)
      return error_json(400, "n must be 1..1000");
    n = static_cast<size_t>(*parsed);
  }
  std::optional<uint64_t> since;
  if (auto v = query_param(req.query, "since")) {
    since = parse_u64(v);
    if (!since) return error_json(400, "since must be a sequence number from a previous answer");
  }
  std::string error;
  int status = 404;
  auto m = find_component(registry, *component, error, status);
  if (!m) return error_json(status, error);
  if (m->type() == "SINKGROUP")
    return error_json(400, "a sink group passes no events itself: tap one of its sinks");
  Tap::Read r = m->tap().read(since, n, n);
  nlohmann::ordered_json body;
  body["component"] = m->type() + "." + m->name();
  body["next"] = r.next;
  body["missed"] = r.missed;
  body["events"] = nlohmann::ordered_json::array();
  for (const auto& e : r.events) {
    nlohmann::ordered_json headers = nlohmann::ordered_json::object();
    for (const auto& [k, v] : e.headers)
      headers[k] = v;
    body["events"].push_back({{"seq", e.seq},
                              {"time", e.time_ms},
                              {"headers", std::move(headers)},
                              {"body", e.body},
                              {"bodySize", e.body_size}});
  }
  return json_response(200, body);
}

}  // namespace

OperatorPages::OperatorPages(uv_loop_t* loop, std::shared_ptr<MetricsRegistry> registry)
    : registry_(std::move(registry)), timer_(new uv_timer_t) {
  uv_timer_init(loop, timer_);
  timer_->data = this;
  uv_timer_start(timer_, on_tick, 0, 1000);
}

OperatorPages::~OperatorPages() {
  uv_timer_stop(timer_);
  timer_->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(timer_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
}

void OperatorPages::on_tick(uv_timer_t* timer) {
  auto* self = static_cast<OperatorPages*>(timer->data);
  if (self) self->history_.sample(self->registry_->snapshot(), LiveHistory::Clock::now());
}

std::optional<net::HttpResponse> OperatorPages::handle(const net::HttpRequest& req) {
  if (req.path == "/live" || req.path == "/live/") {
    const auto now = LiveHistory::Clock::now();
    std::vector<ComponentSnapshot> snaps = registry_->snapshot();
    net::HttpResponse r;
    r.content_type = "application/json";
    r.extra_headers = "Cache-Control: no-store\r\n";
    r.body = live_json(snaps, history_.rates(snaps, now), now);
    return r;
  }
  return operator_page(req, *registry_);
}

std::optional<std::string> query_param(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view param = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    size_t eq = param.find('=');
    if (percent_decode(param.substr(0, eq)) != key) continue;
    return eq == std::string_view::npos ? std::string() : percent_decode(param.substr(eq + 1));
  }
  return std::nullopt;
}

std::optional<net::HttpResponse> operator_page(const net::HttpRequest& req,
                                               MetricsRegistry& registry) {
  const std::string_view path = req.path;
  if (path == "/" || path == "/index.html") {
    net::HttpResponse r;
    r.content_type = "text/html; charset=utf-8";
    r.body = live_page_html();
    return r;
  }
  if (path == "/topology" || path == "/topology/") {
    std::string json = registry.topology_json();
    if (json.empty()) return error_json(404, "no pipeline topology here");
    net::HttpResponse r;
    r.content_type = "application/json";
    r.body = std::move(json);
    return r;
  }
  if (path == "/tap" || path == "/tap/") return tap_page(req, registry);
  return std::nullopt;
}

}  // namespace flumen::metrics
