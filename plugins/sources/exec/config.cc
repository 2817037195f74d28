#include "plugins/sources/exec/config.h"

namespace flumen::plugins {

const config::PropertyTable<ExecSourceOptions>& exec_source_table() {
  using T = ExecSourceOptions;
  static const auto table =
      config::PropertyTable<T>()
          .string("command", &T::command, "", "The command to run; each stdout line is an event.")
          .required()
          .string("shell", &T::shell, "",
                  "Shell to run the command with, e.g. \"/bin/sh -c\"; without it the command is "
                  "split on whitespace and run directly.")
          .boolean("restart", &T::restart, "false", "Run the command again when it exits.")
          .integer("restartThrottle", &T::restart_throttle_ms, "10000", 0, 86'400'000,
                   "Milliseconds to wait before a restart.")
          .boolean("logStdErr", &T::log_stderr, "false",
                   "Log the command's stderr lines (otherwise they are discarded).")
          .integer("batchSize", &T::batch_size, "20", 1, 1'000'000,
                   "Most lines put in one channel transaction.")
          .integer("batchTimeout", &T::batch_timeout_ms, "3000", 1, 86'400'000,
                   "Milliseconds before a partial batch is put anyway.")
          .one_of("charset", &T::charset, "UTF-8", {"UTF-8", "US-ASCII", "ISO-8859-1"},
                  "Declared encoding of the output; bytes are passed through unchanged.")
          .integer("maxLineLength", &T::max_line_length, "1048576", 1, 256 << 20,
                   "flumen: longer lines are split into several events (counted as "
                   "LinesSplitCount).");
  return table;
}

}  // namespace flumen::plugins
