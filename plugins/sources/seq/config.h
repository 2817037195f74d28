#pragma once
#include <cstdint>

#include "agent/config/property_table.h"

namespace flumen::plugins {

struct SeqSourceOptions {
  int64_t batch_size = 1;
  int64_t total_events = INT64_MAX;
  int64_t body_size = 0;
};

const config::PropertyTable<SeqSourceOptions>& seq_source_table();

}  // namespace flumen::plugins
