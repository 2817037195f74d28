#pragma once
#include <cstdint>

#include "agent/config/property_table.h"

namespace flumen::plugins {

struct MemoryChannelOptions {
  int64_t capacity = 100;
  int64_t transaction_capacity = 100;
  int64_t byte_capacity = 0;
  int64_t byte_capacity_buffer_percentage = 20;
  int64_t keep_alive_seconds = 3;

  // Bytes of bodies the channel may hold: byteCapacity less the buffer share kept for headers,
  // as Flume computes it; 0 = no byte limit.
  int64_t effective_byte_limit() const {
    return byte_capacity <= 0 ? 0 : byte_capacity * (100 - byte_capacity_buffer_percentage) / 100;
  }
};

const config::PropertyTable<MemoryChannelOptions>& memory_channel_table();
void validate(const MemoryChannelOptions& o, const config::ComponentEntries& where,
              config::Diagnostics& diags);

}  // namespace flumen::plugins
