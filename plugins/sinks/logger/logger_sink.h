#pragma once
// logger: logs each event at INFO as its headers and the first maxBytesToLog bytes of the body,
// printable bytes as text and the rest as hex escapes (Flume prints a hex dump).

#include "agent/config/property_table.h"
#include "agent/pipeline/sink.h"

namespace flumen::plugins {

struct LoggerSinkOptions {
  int64_t max_bytes_to_log = 16;
  int64_t batch_size = 100;
};
const config::PropertyTable<LoggerSinkOptions>& logger_sink_table();

class LoggerSink : public pipeline::Sink {
 public:
  LoggerSink(std::string name, LoggerSinkOptions o) : Sink(std::move(name)), options_(o) {}
  size_t batch_size() const override { return static_cast<size_t>(options_.batch_size); }
  pipeline::DeliveryResult deliver(const EventBatch& batch) override;

  // "Event: { headers:{k=v} body: 68 65 6C 6C 6F  hello }" as Flume's EventHelper prints it.
  static std::string describe(const EventBatch& batch, size_t i, size_t max_bytes);

 private:
  LoggerSinkOptions options_;
};

}  // namespace flumen::plugins
