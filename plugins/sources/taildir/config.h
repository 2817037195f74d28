#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "agent/config/property_table.h"

namespace flumen::plugins {

struct TaildirSourceOptions {
  std::vector<std::string> filegroups;
  std::map<std::string, std::string> filegroup_paths;  // group -> "/dir/regex-on-file-name"
  std::string position_file;
  std::map<std::string, std::string> headers;  // "<group>.<key>" -> value
  bool file_header = false;
  std::string file_header_key = "file";
  bool byte_offset_header = false;
  bool skip_to_end = false;
  int64_t idle_timeout_ms = 120000;
  int64_t write_pos_interval_ms = 3000;
  int64_t batch_size = 100;
  int64_t max_batch_count = INT64_MAX;
  int64_t backoff_sleep_increment_ms = 1000;
  int64_t max_backoff_sleep_ms = 5000;
  bool cache_pattern_matching = true;
  int64_t max_line_length = 1 << 20;
  int64_t fingerprint_bytes = 1024;
  int64_t rotated_grace_ms = 5000;
};

const config::PropertyTable<TaildirSourceOptions>& taildir_source_table();
void validate(const TaildirSourceOptions& o, const config::ComponentEntries& where,
              config::Diagnostics& diags);

}  // namespace flumen::plugins
