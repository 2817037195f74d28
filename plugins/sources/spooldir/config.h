#pragma once
#include <cstdint>
#include <string>

#include "agent/config/property_table.h"

namespace flumen::plugins {

struct SpoolDirSourceOptions {
  std::string spool_dir;
  std::string file_suffix = ".COMPLETED";
  std::string delete_policy = "never";
  bool file_header = false;
  std::string file_header_key = "file";
  bool basename_header = false;
  std::string basename_header_key = "basename";
  std::string include_pattern = "^.*$";
  std::string ignore_pattern = "^$";
  std::string tracker_dir = ".flumespool";
  std::string tracking_policy = "rename";
  std::string consume_order = "oldest";
  int64_t poll_delay_ms = 500;
  bool recursive = false;
  int64_t max_backoff_ms = 4000;
  int64_t batch_size = 100;
  std::string input_charset = "utf-8";
  std::string decode_error_policy = "fail";
  std::string deserializer = "line";
  int64_t max_line_length = 2048;
  std::string output_charset = "utf-8";
};

const config::PropertyTable<SpoolDirSourceOptions>& spooldir_source_table();
void validate(const SpoolDirSourceOptions& o, const config::ComponentEntries& where,
              config::Diagnostics& diags);

}  // namespace flumen::plugins
