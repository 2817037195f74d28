#include "plugins/sources/forward/config.h"

namespace flumen::plugins {

const config::PropertyTable<ForwardSourceOptions>& forward_source_table() {
  using T = ForwardSourceOptions;
  static const auto table =
      config::PropertyTable<T>()
          .string("bind", &T::bind, "", "Address to listen on.")
          .required()
          .integer("port", &T::port, "", 0, 65535, "TCP port (0 = any free port).")
          .required()
          .integer("threads", &T::threads, "1", 1, 64,
                   "Flume's worker thread count; accepted for compatibility: one event loop "
                   "serves every connection (decoding is not the bottleneck, the channel is).")
          .string("token", &T::token, "",
                  "Shared secret the sending sink must present; empty accepts any sender.")
          .integer("max-frame-size", &T::max_frame_size, "16777216", 65536, 256 << 20,
                   "flumen: largest frame accepted, in bytes; a bigger one closes the "
                   "connection.")
          .one_of("compression-type", &T::compression_type, "none",
                  {"none", "deflate", "zstd", "lz4"},
                  "Accepted for Flume compatibility: every batch names its own codec and the "
                  "source decodes none, zstd and lz4 whatever this says.")
          .integer("idle-timeout", &T::idle_timeout_s, "60", 1, 86400,
                   "flumen: seconds of silence (no batch, no ping) after which a connection is "
                   "closed.")
          .integer("frame-timeout", &T::frame_timeout_s, "30", 1, 3600,
                   "flumen: seconds a started frame may take to arrive completely (slow senders "
                   "cannot hold buffers forever).");
  return table;
}

}  // namespace flumen::plugins
