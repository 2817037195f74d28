#include "plugins/sinks/logger/logger_sink.h"

#include <spdlog/spdlog.h>

namespace flumen::plugins {

const config::PropertyTable<LoggerSinkOptions>& logger_sink_table() {
  using T = LoggerSinkOptions;
  static const auto table = config::PropertyTable<T>()
                                .integer("maxBytesToLog", &T::max_bytes_to_log, "16", 0, 1 << 20,
                                         "Body bytes shown per event.")
                                .integer("batchSize", &T::batch_size, "100", 1, 1'000'000,
                                         "Events taken per transaction.");
  return table;
}

std::string LoggerSink::describe(const EventBatch& batch, size_t i, size_t max_bytes) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out = "Event: { headers:{";
  for (size_t h = 0; h < batch.header_count(i); ++h) {
    auto [k, v] = batch.header_at(i, h);
    if (h) out += ", ";
    out.append(k).append("=").append(v);
  }
  out += "} body: ";
  std::string_view body = batch.body(i);
  size_t n = std::min(body.size(), max_bytes);
  std::string text;
  for (size_t b = 0; b < n; ++b) {
    auto c = static_cast<unsigned char>(body[b]);
    out += kHex[c >> 4];
    out += kHex[c & 15];
    out += ' ';
    text += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '.';
  }
  out += text;
  if (body.size() > n) out += "... (" + std::to_string(body.size()) + " bytes)";
  out += " }";
  return out;
}

pipeline::DeliveryResult LoggerSink::deliver(const EventBatch& batch) {
  for (size_t i = 0; i < batch.size(); ++i)
    spdlog::info("{}", describe(batch, i, static_cast<size_t>(options_.max_bytes_to_log)));
  return pipeline::DeliveryResult::delivered();
}

}  // namespace flumen::plugins
