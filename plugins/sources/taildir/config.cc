#include "plugins/sources/taildir/config.h"

#include <algorithm>

#include "agent/util/regex.h"

namespace flumen::plugins {

const config::PropertyTable<TaildirSourceOptions>& taildir_source_table() {
  using T = TaildirSourceOptions;
  static const auto table =
      config::PropertyTable<T>()
          .list("filegroups", &T::filegroups, "", "Names of the file groups.")
          .required()
          .map("filegroups.", &T::filegroup_paths,
               "filegroups.<group> = /absolute/dir/<regex on the file name> (Java syntax).")
          .string("positionFile", &T::position_file, "~/.flume/taildir_position.json",
                  "JSON file of read positions in Flume's format (inode, pos, file: Flume can "
                  "read it back), with flumen's file identities beside it in <positionFile>"
                  ".flumen; written atomically. With a durable channel the positions committed "
                  "with the events decide at restart, this file serves Flume's tools.")
          .writable_file()

          .map("headers.", &T::headers, "headers.<group>.<key> = value added to each event.")
          .boolean("fileHeader", &T::file_header, "false",
                   "Put the file's absolute path in a header.")
          .string("fileHeaderKey", &T::file_header_key, "file", "Header name for fileHeader.")
          .boolean("byteOffsetHeader", &T::byte_offset_header, "false",
                   "Put the line's byte offset in the header `byteoffset`.")
          .boolean("skipToEnd", &T::skip_to_end, "false",
                   "At startup, start files without a saved position at their end.")
          .integer("idleTimeout", &T::idle_timeout_ms, "120000", 0, INT64_MAX,
                   "Milliseconds without growth before a file is closed (reopened on growth) "
                   "and an unterminated last line is emitted (counted).")
          .integer("writePosInterval", &T::write_pos_interval_ms, "3000", 0, INT64_MAX,
                   "Milliseconds between writes of the position file; 0 = after every committed "
                   "batch, so a crash re-reads at most one batch (synced to disk once a second). "
                   "With a durable channel a crash re-reads nothing whatever the interval.")
          .integer("batchSize", &T::batch_size, "100", 1, 1'000'000,
                   "Most lines per channel transaction.")
          .integer("maxBatchCount", &T::max_batch_count, "9223372036854775807", 1, INT64_MAX,
                   "Batches read from one file before the next file gets a turn.")
          .integer("backoffSleepIncrement", &T::backoff_sleep_increment_ms, "1000", 1, INT64_MAX,
                   "Milliseconds added to the poll interval each time nothing new is found "
                   "(change notifications wake the source earlier).")
          .integer("maxBackoffSleep", &T::max_backoff_sleep_ms, "5000", 1, INT64_MAX,
                   "Longest poll interval in milliseconds.")
          .boolean("cachePatternMatching", &T::cache_pattern_matching, "true",
                   "Re-list a directory only when its mtime changed.")
          .integer("maxLineLength", &T::max_line_length, "1048576", 16, 256 << 20,
                   "flumen: longer lines are split into several events (counted).")
          .integer("fingerprintBytes", &T::fingerprint_bytes, "1024", 16, 1 << 20,
                   "flumen: bytes at the head of a file that identify it together with its "
                   "inode: a truncated or replaced file (its head changed, even at the same "
                   "size) is read again from 0, and a copy of a tailed file is read only past "
                   "where the original was.")
          .integer("rotatedFileGrace", &T::rotated_grace_ms, "5000", 0, INT64_MAX,
                   "flumen: milliseconds a rotated or deleted file stays open after its end is "
                   "reached, for writers that flush after the rename; also the longest a new "
                   "file that may be a copy still being written waits before it is read.");
  return table;
}

void validate(const TaildirSourceOptions& o, const config::ComponentEntries& where,
              config::Diagnostics& diags) {
  auto location_of = [&](const std::string& key) {
    for (const auto& e : where.entries)
      if (e.key == key) return e.where;
    return where.where;
  };
  for (const auto& g : o.filegroups) {
    auto it = o.filegroup_paths.find(g);
    if (it == o.filegroup_paths.end()) {
      diags.error(location_of("filegroups"), where.description + ": file group '" + g +
                                                 "' has no path (set " + where.key_prefix +
                                                 "filegroups." + g + ")");
      continue;
    }
    const std::string& path = it->second;
    size_t slash = path.rfind('/');
    if (path.empty() || path[0] != '/' || slash == std::string::npos || slash + 1 == path.size()) {
      diags.error(location_of("filegroups." + g),
                  where.key_prefix + "filegroups." + g +
                      ": expected /absolute/directory/<regex on file names>, got '" + path + "'");
      continue;
    }
    std::string error;
    if (!Regex::compile(path.substr(slash + 1), error))
      diags.error(location_of("filegroups." + g),
                  where.key_prefix + "filegroups." + g + ": invalid regex: " + error);
  }
  for (const auto& [g, path] : o.filegroup_paths)
    if (std::find(o.filegroups.begin(), o.filegroups.end(), g) == o.filegroups.end())
      diags.error(location_of("filegroups." + g), where.description + ": file group '" + g +
                                                      "' is not listed in " + where.key_prefix +
                                                      "filegroups");
  for (const auto& [k, v] : o.headers) {
    size_t dot = k.find('.');
    std::string g = k.substr(0, dot);
    if (dot == std::string::npos ||
        std::find(o.filegroups.begin(), o.filegroups.end(), g) == o.filegroups.end())
      diags.error(location_of("headers." + k),
                  where.key_prefix + "headers." + k + ": expected headers.<listed group>.<key>");
  }
}

}  // namespace flumen::plugins
