#include "plugins/sinks/file_roll/config.h"

namespace flumen::plugins {

const config::PropertyTable<FileRollSinkOptions>& file_roll_sink_table() {
  using T = FileRollSinkOptions;
  static const auto table =
      config::PropertyTable<T>()
          .string("sink.directory", &T::directory, "", "Directory the files are written to.")
          .required()
          .writable_dir()
          .integer("sink.rollInterval", &T::roll_interval_s, "30", 0, 365LL * 86400,
                   "Seconds before a new file is started; 0 = write one file.")
          .one_of("sink.serializer", &T::serializer, "TEXT", {"TEXT", "header_and_text"},
                  "TEXT writes the body; header_and_text writes {k=v, ...} then the body.")
          .boolean("sink.serializer.appendNewline", &T::append_newline, "true",
                   "Write a newline after each event.")
          .integer("sink.batchSize", &T::batch_size, "100", 1, 1'000'000,
                   "Events taken per transaction.")
          .one_of("sink.pathManager", &T::path_manager, "DEFAULT", {"DEFAULT", "ROLLTIME"},
                  "DEFAULT names files <prefix><startMillis>-<n>; ROLLTIME "
                  "<prefix><yyyyMMddHHmmss>-<n>.")
          .string("sink.pathManager.prefix", &T::prefix, "", "File name prefix.")
          .string("sink.pathManager.extension", &T::extension, "",
                  "File name extension (without the dot).")
          .boolean("sink.fsync", &T::fsync, "true",
                   "flumen: fsync each batch before it is committed (Flume only flushes); up to 16 "
                   "consecutive batches share one fdatasync.")
          .integer("sink.minimumFreeSpace", &T::minimum_free_space, "1048576", 0, INT64_MAX,
                   "flumen: bytes that must stay free on the disk; a batch that would leave "
                   "less is retried later (a file channel on the same disk keeps room to "
                   "commit).");
  return table;
}

}  // namespace flumen::plugins
