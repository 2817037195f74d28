#include "plugins/sources/spooldir/config.h"

#include "agent/util/regex.h"

namespace flumen::plugins {

const config::PropertyTable<SpoolDirSourceOptions>& spooldir_source_table() {
  using T = SpoolDirSourceOptions;
  static const auto table =
      config::PropertyTable<T>()
          .string("spoolDir", &T::spool_dir, "", "Directory whose files are ingested.")
          .required()
          .string("fileSuffix", &T::file_suffix, ".COMPLETED",
                  "Suffix appended to a file once it is fully ingested (trackingPolicy rename).")
          .one_of("deletePolicy", &T::delete_policy, "never", {"never", "immediate"},
                  "Delete a completed file instead of renaming it.")
          .boolean("fileHeader", &T::file_header, "false", "Put the file's path in a header.")
          .string("fileHeaderKey", &T::file_header_key, "file", "Header name for fileHeader.")
          .boolean("basenameHeader", &T::basename_header, "false",
                   "Put the file's name in a header.")
          .string("basenameHeaderKey", &T::basename_header_key, "basename",
                  "Header name for basenameHeader.")
          .string("includePattern", &T::include_pattern, "^.*$",
                  "Regex (Java syntax) file names must match to be ingested.")
          .string("ignorePattern", &T::ignore_pattern, "^$",
                  "Regex (Java syntax) of file names to leave alone; wins over includePattern.")
          .string("trackerDir", &T::tracker_dir, ".flumespool",
                  "Directory (relative to spoolDir unless absolute) for progress and, with "
                  "trackingPolicy tracker_dir, completion markers.")
          .one_of("trackingPolicy", &T::tracking_policy, "rename", {"rename", "tracker_dir"},
                  "How a completed file is marked: renamed with fileSuffix, or a marker in "
                  "trackerDir (the file is left untouched).")
          .one_of("consumeOrder", &T::consume_order, "oldest", {"oldest", "youngest", "random"},
                  "Which file is ingested next, by modification time.")
          .integer("pollDelay", &T::poll_delay_ms, "500", 1, INT64_MAX,
                   "Milliseconds between looks for new files.")
          .boolean("recursiveDirectorySearch", &T::recursive, "false",
                   "Also ingest files in subdirectories.")
          .integer("maxBackoff", &T::max_backoff_ms, "4000", 1, INT64_MAX,
                   "Longest wait in milliseconds before retrying a batch the channel refused.")
          .integer("batchSize", &T::batch_size, "100", 1, 1'000'000,
                   "Most events per channel transaction.")
          .one_of("inputCharset", &T::input_charset, "UTF-8", {"UTF-8", "US-ASCII", "ISO-8859-1"},
                  "Encoding of the files; UTF-8 input is checked per decodeErrorPolicy, others "
                  "pass through as bytes.")
          .one_of("decodeErrorPolicy", &T::decode_error_policy, "FAIL",
                  {"FAIL", "REPLACE", "IGNORE"},
                  "Invalid UTF-8: FAIL moves the file aside (and goes on with the next), REPLACE "
                  "writes U+FFFD, IGNORE drops the bytes.")
          .one_of("deserializer", &T::deserializer, "LINE", {"LINE"}, "One event per line.")
          .integer("deserializer.maxLineLength", &T::max_line_length, "2048", 1, 256 << 20,
                   "Longest event in bytes; a longer line is split into several events.")
          .one_of("deserializer.outputCharset", &T::output_charset, "UTF-8", {"UTF-8"},
                  "Encoding of event bodies.");
  return table;
}

void validate(const SpoolDirSourceOptions& o, const config::ComponentEntries& where,
              config::Diagnostics& diags) {
  for (const auto& [key, pattern] :
       {std::pair{"includePattern", o.include_pattern}, {"ignorePattern", o.ignore_pattern}}) {
    std::string error;
    if (!Regex::compile(pattern, error)) {
      config::Location at = where.where;
      for (const auto& e : where.entries)
        if (e.key == key) at = e.where;
      diags.error(at, where.key_prefix + key + ": invalid regex: " + error);
    }
  }
}

}  // namespace flumen::plugins
