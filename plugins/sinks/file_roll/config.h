#pragma once
#include <cstdint>
#include <string>

#include "agent/config/property_table.h"

namespace flumen::plugins {

struct FileRollSinkOptions {
  std::string directory;
  int64_t roll_interval_s = 30;
  std::string serializer = "text";
  bool append_newline = true;
  int64_t batch_size = 100;
  std::string path_manager = "default";
  std::string prefix;
  std::string extension;
  bool fsync = true;
  int64_t minimum_free_space = 1 << 20;
};

const config::PropertyTable<FileRollSinkOptions>& file_roll_sink_table();

}  // namespace flumen::plugins
