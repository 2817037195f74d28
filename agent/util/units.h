#pragma once
// The one parser of durations and sizes as users write them, for command-line options and the
// property tables alike, so "2ms" never means two seconds anywhere and "abc" is an error with
// the value in it, not an abort.
//
//   durations: a number with an optional unit: ms, s, m (minutes), h, d; "1.5s", "250ms", "2m".
//              A bare number takes the caller's unit (seconds for --duration, milliseconds for
//              Flume's *Timeout keys).
//   sizes:     a number with an optional unit: b, k/kb/kib, m/mb/mib, g/gb/gib, t/tb/tib, in any
//              case; the units are powers of 1024, as log4j's MaxFileSize and Flume's sizes.
//              A bare number is bytes.
// Negative values, NaN, trailing garbage and results that overflow int64 are errors.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "agent/util/result.h"

namespace flumen::util {

enum class DurationUnit { kMilliseconds, kSeconds };

Result<std::chrono::milliseconds> parse_duration(std::string_view text,
                                                 DurationUnit bare = DurationUnit::kSeconds);
Result<int64_t> parse_size(std::string_view text);

}  // namespace flumen::util
