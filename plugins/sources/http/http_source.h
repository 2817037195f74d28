#pragma once
// http: a POST endpoint whose requests become events (Flume's HTTPSource). One request is one
// channel transaction: 200 once committed, 400 with a message for a malformed request, 503 when
// the channel is full (the client retries), 413 for an oversized body. JSONHandler takes
// [{"headers":{...},"body":"..."}, ...]; BlobHandler makes the whole body one event with the
// query parameters as headers. Runs on its own libuv loop thread.

#include <memory>

#include "agent/net/http_server.h"
#include "agent/pipeline/source.h"
#include "agent/runtime/loop_thread.h"
#include "plugins/sources/http/config.h"

namespace flumen::plugins {

class HttpSource : public pipeline::Source {
 public:
  HttpSource(std::string name, HttpSourceOptions options);
  ~HttpSource() override;

 protected:
  Status do_start() override;
  void do_stop() override;

 private:
  net::HttpResponse handle(const net::HttpRequest& req);

  HttpSourceOptions options_;
  bool blob_ = false;
  int64_t max_blob_ = 100'000'000;
  runtime::LoopThread loop_;
  std::unique_ptr<net::HttpServer> server_;
};

}  // namespace flumen::plugins
