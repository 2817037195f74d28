#include "plugins/channels/memory/config.h"

namespace flumen::plugins {

const config::PropertyTable<MemoryChannelOptions>& memory_channel_table() {
  using T = MemoryChannelOptions;
  static const auto table =
      config::PropertyTable<T>()
          .integer("capacity", &T::capacity, "100", 1, 1'000'000'000,
                   "Maximum number of events held (committed plus taken, not yet committed).")
          .integer("transactionCapacity", &T::transaction_capacity, "100", 1, 1'000'000'000,
                   "Maximum events in one put or take transaction.")
          .integer("byteCapacity", &T::byte_capacity, "0", 0, INT64_MAX,
                   "Maximum bytes of event bodies held; 0 = no byte limit (Flume's default is 80% "
                   "of the JVM heap; flumen has none).")
          .integer("byteCapacityBufferPercentage", &T::byte_capacity_buffer_percentage, "20", 0, 99,
                   "Share of byteCapacity kept free for headers.")
          .integer("keep-alive", &T::keep_alive_seconds, "3", 0, 3600,
                   "Seconds a put waits for free space before failing with channel full.");
  return table;
}

void validate(const MemoryChannelOptions& o, const config::ComponentEntries& where,
              config::Diagnostics& diags) {
  if (o.transaction_capacity > o.capacity)
    diags.error(where.where, where.description + ": transactionCapacity (" +
                                 std::to_string(o.transaction_capacity) +
                                 ") must not exceed capacity (" + std::to_string(o.capacity) + ")");
}

}  // namespace flumen::plugins
