#include "plugins/sources/seq/config.h"

namespace flumen::plugins {

const config::PropertyTable<SeqSourceOptions>& seq_source_table() {
  using T = SeqSourceOptions;
  static const auto table =
      config::PropertyTable<T>()
          .integer("batchSize", &T::batch_size, "1", 1, 1'000'000, "Events per batch.")
          .integer("totalEvents", &T::total_events, "9223372036854775807", 0, INT64_MAX,
                   "Events to generate before the source goes idle.")
          .integer("bodySize", &T::body_size, "0", 0, 1 << 20,
                   "flumen: pad each body with '.' to this many bytes (0 = the number only); "
                   "for benchmarks.");
  return table;
}

}  // namespace flumen::plugins
