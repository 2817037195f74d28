#include "plugins/sinks/null/null_sink.h"

namespace flumen::plugins {

const config::PropertyTable<NullSinkOptions>& null_sink_table() {
  using T = NullSinkOptions;
  static const auto table = config::PropertyTable<T>().integer(
      "batchSize", &T::batch_size, "100", 1, 1'000'000, "Events taken per transaction.");
  return table;
}

}  // namespace flumen::plugins
