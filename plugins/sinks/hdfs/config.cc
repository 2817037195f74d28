#include "plugins/sinks/hdfs/config.h"

#include "plugins/sinks/hdfs/bucket_path.h"

namespace flumen::plugins {

std::string local_directory(const std::string& path) {
  constexpr std::string_view kFileScheme = "file://";
  if (path.rfind(kFileScheme, 0) == 0) return path.substr(kFileScheme.size());
  return path;
}

const config::PropertyTable<HdfsSinkOptions>& hdfs_sink_table() {
  using T = HdfsSinkOptions;
  static const auto table =
      config::PropertyTable<T>()
          .string("hdfs.path", &T::path, "",
                  "Local directory (a path, or file:///path), with escapes (%Y %m %d %H ... "
                  "%{header} %[localhost]), e.g. /data/cars/%Y%m%d.")
          .required()
          .string("hdfs.filePrefix", &T::file_prefix, "FlumeData",
                  "File name prefix (escapes allowed).")
          .string("hdfs.fileSuffix", &T::file_suffix, "", "File name suffix, e.g. .log.")
          .string("hdfs.inUsePrefix", &T::in_use_prefix, "", "Prefix of a file while it is open.")
          .string("hdfs.inUseSuffix", &T::in_use_suffix, ".tmp",
                  "Suffix of a file while it is open; removed by a rename when it is closed.")
          .boolean("hdfs.emptyInUseSuffix", &T::empty_in_use_suffix, "false",
                   "Write open files under their final name.")
          .integer("hdfs.rollInterval", &T::roll_interval_s, "30", 0, INT64_MAX,
                   "Seconds before a file is closed; 0 = no time-based roll.")
          .integer("hdfs.rollSize", &T::roll_size, "1024", 0, INT64_MAX,
                   "Bytes before a file is closed; 0 = no size-based roll.")
          .integer("hdfs.rollCount", &T::roll_count, "10", 0, INT64_MAX,
                   "Events before a file is closed; 0 = no count-based roll.")
          .integer("hdfs.idleTimeout", &T::idle_timeout_s, "0", 0, INT64_MAX,
                   "Seconds without writes before a file is closed; 0 = never.")
          .integer("hdfs.batchSize", &T::batch_size, "100", 1, 1'000'000,
                   "Events taken per transaction.")
          .one_of("hdfs.codeC", &T::codec, "", {"", "gzip", "zstd"},
                  "Compression with fileType CompressedStream (each batch a complete gzip member "
                  "or zstd frame, so a crash leaves a readable file).")
          .one_of("hdfs.fileType", &T::file_type, "DataStream",
                  {"DataStream", "CompressedStream", "SequenceFile"},
                  "DataStream (plain) or CompressedStream; SequenceFile is a Hadoop format and "
                  "refused. flumen's default is DataStream.")
          .integer("hdfs.maxOpenFiles", &T::max_open_files, "5000", 1, 1'000'000,
                   "Open files at most; the least recently written is closed first.")
          .one_of("hdfs.writeFormat", &T::write_format, "Text", {"Text", "Writable"},
                  "Accepted for Flume compatibility (SequenceFile only).")
          .boolean("hdfs.round", &T::round, "false", "Round the event time down for the path.")
          .integer("hdfs.roundValue", &T::round_value, "1", 1, 1'000'000,
                   "Round the roundUnit field of the local time (second, minute: up to 60; hour: "
                   "up to 24) down to a multiple of this.")
          .one_of("hdfs.roundUnit", &T::round_unit, "second", {"second", "minute", "hour"},
                  "Unit of roundValue.")
          .string(
              "hdfs.timeZone", &T::time_zone, "",
              "Zone of the path's time: empty (local), UTC, a fixed offset such as +09:00, or an "
              "IANA name such as Asia/Seoul.")
          .boolean("hdfs.useLocalTimeStamp", &T::use_local_time_stamp, "false",
                   "Use the time of writing instead of the event's timestamp header.")
          .one_of("serializer", &T::serializer, "TEXT", {"TEXT", "header_and_text"},
                  "TEXT writes the body; header_and_text writes {k=v, ...} then the body.")
          .boolean("serializer.appendNewline", &T::append_newline, "true",
                   "Write a newline after each event.")
          .boolean("hdfs.fsync", &T::fsync, "true",
                   "flumen: sync the batch's data before the take commits.")
          .integer("hdfs.minimumFreeSpace", &T::minimum_free_space, "1048576", 0, INT64_MAX,
                   "flumen: bytes that must stay free on the disk; a batch that would leave "
                   "less is retried later (a file channel on the same disk keeps room to "
                   "commit).")
          .integer("hdfs.closeTries", &T::close_tries, "0", 0, INT64_MAX,
                   "Accepted for Flume compatibility; local closes do not need retries.")
          .integer("hdfs.retryInterval", &T::retry_interval_s, "180", 0, INT64_MAX,
                   "Accepted for Flume compatibility.")
          .integer("hdfs.callTimeout", &T::call_timeout_ms, "30000", 0, INT64_MAX,
                   "Accepted for Flume compatibility.")
          .integer("hdfs.threadsPoolSize", &T::threads_pool_size, "10", 1, INT64_MAX,
                   "Accepted for Flume compatibility.")
          .integer("hdfs.rollTimerPoolSize", &T::roll_timer_pool_size, "1", 1, INT64_MAX,
                   "Accepted for Flume compatibility.");
  return table;
}

void validate(const HdfsSinkOptions& o, const config::ComponentEntries& where,
              config::Diagnostics& diags) {
  auto at = [&](const std::string& key) {
    for (const auto& e : where.entries)
      if (e.key == key) return e.where;
    return where.where;
  };
  const std::string path = local_directory(o.path);
  if (o.path.find("://") != std::string::npos && path == o.path)
    diags.error(at("hdfs.path"), where.key_prefix + "hdfs.path: '" + o.path +
                                     "' is a remote URI; flumen writes local files: give a local "
                                     "directory (ship to HDFS with a separate uploader)");
  else if (path.empty() || path[0] != '/')
    diags.error(at("hdfs.path"), where.key_prefix + "hdfs.path must be an absolute directory");
  else if (path == o.path)
    diags.warning(at("hdfs.path"),
                  where.key_prefix + "hdfs.path: '" + o.path +
                      "' has no scheme: Flume writes it to HDFS (fs.defaultFS), flumen writes it "
                      "to this local directory (write file://" +
                      o.path + " to say so)");
  std::string error, warning;
  if (!BucketPath::compile(path, error, &warning))
    diags.error(at("hdfs.path"), where.key_prefix + "hdfs.path: " + error);
  else if (!warning.empty())
    diags.warning(at("hdfs.path"), where.key_prefix + "hdfs.path: " + warning);
  warning.clear();
  if (!BucketPath::compile(o.file_prefix, error, &warning))
    diags.error(at("hdfs.filePrefix"), where.key_prefix + "hdfs.filePrefix: " + error);
  else if (!warning.empty())
    diags.warning(at("hdfs.filePrefix"), where.key_prefix + "hdfs.filePrefix: " + warning);
  if (o.round && o.round_value > max_round_value(o.round_unit))
    diags.error(at("hdfs.roundValue"),
                where.key_prefix + "hdfs.roundValue " + std::to_string(o.round_value) +
                    " is above " + std::to_string(max_round_value(o.round_unit)) +
                    " for roundUnit " + o.round_unit + " (Flume rounds the " + o.round_unit +
                    " field of the local time and refuses it)");
  if (!TimeZoneSpec::parse(o.time_zone))
    diags.error(at("hdfs.timeZone"),
                where.key_prefix + "hdfs.timeZone: '" + o.time_zone +
                    "' is not a known time zone (use empty for local time, UTC, an offset like "
                    "+09:00, or an IANA name like Asia/Seoul)");
  if (o.file_type == "sequencefile")
    diags.error(at("hdfs.fileType"), where.key_prefix +
                                         "hdfs.fileType: SequenceFile is a Hadoop format flumen "
                                         "does not write; use DataStream or CompressedStream");
  if (o.file_type == "compressedstream" && o.codec.empty())
    diags.error(at("hdfs.fileType"), where.key_prefix +
                                         "hdfs.fileType CompressedStream needs hdfs.codeC (gzip "
                                         "or zstd)");
}

}  // namespace flumen::plugins
