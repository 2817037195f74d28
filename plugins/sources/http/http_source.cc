#include "plugins/sources/http/http_source.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "agent/pipeline/channel_processor.h"

namespace flumen::plugins {

namespace {

net::HttpResponse text(int status, const std::string& body) {
  net::HttpResponse r = net::HttpResponse::error(status, false);
  r.body = body + "\n";
  return r;
}

std::string url_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() &&
               std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

HttpSource::HttpSource(std::string name, HttpSourceOptions options)
    : Source(std::move(name)), options_(std::move(options)), loop_("http") {
  std::string h = config::to_lower(options_.handler);
  blob_ = h == "blob" || h.find("blobhandler") != std::string::npos;
  auto it = options_.handler_keys.find("maxBlobLength");
  if (it != options_.handler_keys.end())
    max_blob_ = config::parse_int(it->second).value_or(max_blob_);
}

HttpSource::~HttpSource() {
  do_stop();
}

Status HttpSource::do_start() {
  return loop_.start([this]() -> Status {
    net::ListenerLimits limits = net::to_limits(options_, 0);  // HttpServer sets the buffer
    auto tls = net::tls_listener_context(options_);
    if (!tls) return tls.status();
    net::ServerCounters sc = net::make_server_counters(metrics(), counters().open_connection);
    if (tls.value()) net::add_tls_counters(sc, metrics());
    server_ = std::make_unique<net::HttpServer>(
        loop_.loop(), "http source " + name(), static_cast<size_t>(options_.max_request_bytes),
        [this](const net::HttpRequest& req) { return handle(req); }, limits, sc);
    Status s = server_->listen(options_.bind, static_cast<int>(options_.port), tls.value());
    if (!s) {
      server_.reset();
      return s;
    }
    spdlog::info("http source {} listening on {}:{}{}", name(), options_.bind,
                 server_->bound_port(), options_.ssl ? " (TLS)" : "");
    return Status::ok();
  });
}

void HttpSource::do_stop() {
  loop_.stop([this] { server_.reset(); });
}

net::HttpResponse HttpSource::handle(const net::HttpRequest& req) {
  if (req.method != HTTP_POST) {
    net::HttpResponse r = net::HttpResponse::error(405, false);
    r.extra_headers = "Allow: POST\r\n";
    return r;
  }
  EventBatch batch;
  if (blob_) {
    if (static_cast<int64_t>(req.body.size()) > max_blob_)
      return text(413, "body of " + std::to_string(req.body.size()) +
                           " bytes exceeds handler.maxBlobLength");
    std::vector<std::pair<std::string, std::string>> owned;
    std::string_view q = req.query;
    while (!q.empty()) {
      size_t amp = q.find('&');
      std::string_view param = q.substr(0, amp);
      q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
      size_t eq = param.find('=');
      owned.emplace_back(url_decode(param.substr(0, eq)),
                         eq == std::string_view::npos ? "" : url_decode(param.substr(eq + 1)));
    }
    size_t i = batch.add(req.body);
    for (const auto& [k, v] : owned)
      batch.set_header(i, k, v);
  } else {
    nlohmann::json j = nlohmann::json::parse(req.body, nullptr, false);
    if (j.is_discarded())
      return text(400, "malformed JSON: expected [{\"headers\":{...},\"body\":\"...\"}]");
    if (!j.is_array()) return text(400, "expected a JSON array of events");
    for (size_t n = 0; n < j.size(); ++n) {
      const auto& e = j[n];
      if (!e.is_object()) return text(400, "event " + std::to_string(n) + " is not an object");
      std::string body;
      if (e.contains("body")) {
        if (!e["body"].is_string())
          return text(400, "event " + std::to_string(n) + ": body must be a string");
        body = e["body"].get<std::string>();
      }
      size_t i = batch.add(body);
      if (e.contains("headers")) {
        if (!e["headers"].is_object())
          return text(400, "event " + std::to_string(n) + ": headers must be an object");
        for (const auto& [k, v] : e["headers"].items()) {
          if (!v.is_string())
            return text(400,
                        "event " + std::to_string(n) + ": header '" + k + "' must be a string");
          batch.set_header(i, k, v.get<std::string>());
        }
      }
    }
  }
  if (batch.empty()) return text(200, "0 events");
  Status s = processor().process_batch(batch);
  if (s.is_ok()) return text(200, std::to_string(batch.size()) + " events");
  if (s.code() == ErrorCode::kChannelFull || s.code() == ErrorCode::kUnavailable ||
      s.code() == ErrorCode::kIo) {
    net::HttpResponse r = text(503, s.message());
    r.extra_headers = "Retry-After: 1\r\n";
    return r;
  }
  return text(400, s.message());
}

}  // namespace flumen::plugins
