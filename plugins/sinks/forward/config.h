#pragma once
#include <cstdint>
#include <string>

#include "agent/config/property_table.h"

namespace flumen::plugins {

struct ForwardSinkOptions {
  std::string hostname;
  int64_t port = 0;
  int64_t batch_size = 100;
  std::string compression_type = "none";
  int64_t compression_level = 0;
  int64_t connect_timeout_ms = 20000;
  int64_t request_timeout_ms = 20000;
  int64_t reset_connection_interval_s = 0;
  std::string token;
  int64_t keepalive_s = 10;
};
const config::PropertyTable<ForwardSinkOptions>& forward_sink_table();

}  // namespace flumen::plugins
