#pragma once
#include <cstdint>
#include <string>

#include "agent/config/property_table.h"

namespace flumen::plugins {

struct HdfsSinkOptions {
  std::string path;
  std::string file_prefix = "FlumeData";
  std::string file_suffix;
  std::string in_use_prefix;
  std::string in_use_suffix = ".tmp";
  bool empty_in_use_suffix = false;
  int64_t roll_interval_s = 30;
  int64_t roll_size = 1024;
  int64_t roll_count = 10;
  int64_t idle_timeout_s = 0;
  int64_t batch_size = 100;
  std::string codec;
  std::string file_type = "datastream";
  int64_t max_open_files = 5000;
  std::string write_format = "text";
  bool round = false;
  int64_t round_value = 1;
  std::string round_unit = "second";
  std::string time_zone;
  bool use_local_time_stamp = false;
  std::string serializer = "text";
  bool append_newline = true;
  bool fsync = true;
  int64_t minimum_free_space = 1 << 20;
  int64_t close_tries = 0;
  int64_t retry_interval_s = 180;
  int64_t call_timeout_ms = 30000;
  int64_t threads_pool_size = 10;
  int64_t roll_timer_pool_size = 1;
};

const config::PropertyTable<HdfsSinkOptions>& hdfs_sink_table();
// hdfs.path without its file:// scheme, if it has one.
std::string local_directory(const std::string& path);
void validate(const HdfsSinkOptions& o, const config::ComponentEntries& where,
              config::Diagnostics& diags);

}  // namespace flumen::plugins
