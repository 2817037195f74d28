#pragma once
// The smart-car log simulator: the book's two generators (../shared/research/smartcar.md),
// deterministic with a seed.
//  - Status log: one file per simulated day, 13 comma-separated fields, one line per car every
//    4 simulated seconds from 000000 to the book's 240000, sticky faults; written under
//    <out>/.staging and renamed into <out> when complete (spooldir never sees half a file).
//  - Driving log: 8 fields, one line per driver every 2 simulated seconds, paced in real time
//    (10 lines/s per driver, --speedup or --rate to go faster), the book's share of aggressive
//    drivers, and rotation modes (none, rename at size/age, copytruncate) as real loggers do.

#include <cstdint>
#include <functional>
#include <string>

#include "agent/util/result.h"

namespace flumen::sim {

struct Summary {
  uint64_t lines = 0;
  uint64_t bytes = 0;
  uint64_t files = 0;
  uint64_t malformed = 0;
};

struct StatusOptions {
  std::string date = "20160101";  // yyyyMMdd
  int cars = 100;
  uint64_t seed = 1;
  std::string out_dir;
  bool header = false;  // the book's per-car header lines
  double faults = 0;    // share of malformed lines, 0..1
};

struct DriveOptions {
  std::string date = "20160101";
  int drivers = 100;
  uint64_t seed = 1;
  std::string out_file;
  double duration_s = 0;        // wall-clock limit; 0 = until the simulated day ends
  double speedup = 1;           // 1 = the book's 10 lines/s per driver
  double rate = 0;              // total lines/s; overrides speedup; < 0 = as fast as possible
  std::string rotate = "none";  // none | rename | copytruncate
  uint64_t rotate_bytes = 0;    // rotate when the file reaches this size (0 = no)
  double rotate_seconds = 0;    // rotate when the file is this old (0 = no)
  bool header = false;
  double faults = 0;
};

using Progress = std::function<void(const Summary&)>;

// Both return what was written; errors are I/O failures with the path.
Result<Summary> write_status_day(const StatusOptions& o, const Progress& progress = {});
Result<Summary> run_driving_log(const DriveOptions& o, const Progress& progress = {});

// One status line / driving line for tests and tools: the generators' own formatting.
bool is_status_line(const std::string& line);
bool is_driving_line(const std::string& line);

}  // namespace flumen::sim
