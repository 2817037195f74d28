// The plugins of flumen-file-channel.so (RocksDB).
#include "plugins/channels/file/file_channel.h"
#include "plugins/registry.h"

namespace flumen::plugins {

void add_file_channel_plugins(pipeline::Registry& r) {
  r.add(pipeline::channel_plugin<FileChannel>(
      "file", {"org.apache.flume.channel.file.FileChannel"},
      "Durable channel in a RocksDB database: survives crashes.", file_channel_table()));
}

}  // namespace flumen::plugins
