#pragma once
#include <cstdint>
#include <string>

#include "agent/config/property_table.h"

namespace flumen::plugins {

struct ExecSourceOptions {
  std::string command;
  std::string shell;
  bool restart = false;
  int64_t restart_throttle_ms = 10000;
  bool log_stderr = false;
  int64_t batch_size = 20;
  int64_t batch_timeout_ms = 3000;
  std::string charset = "utf-8";
  int64_t max_line_length = 1 << 20;
};
const config::PropertyTable<ExecSourceOptions>& exec_source_table();

}  // namespace flumen::plugins
