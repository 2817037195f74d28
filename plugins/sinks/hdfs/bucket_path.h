#pragma once
// Flume's BucketPath escapes, compiled once and expanded per event:
//   %{header}                the value of a header (a name of letters, digits, _ . -)
//   %[localhost] %[IP] %[FQDN]
//   %t the timestamp as given (the header's text, unrounded), %s seconds, %%  a percent sign,
//   %Y %y %m %n %d %e %D %H %k %I %l %M %S %j %a %A %b %B %c %p %z
// Time escapes use the event's `timestamp` header (ms) unless useLocalTimeStamp, rounded down
// when round is on (round_down below), in the configured zone (local, UTC or a fixed offset, or
// an IANA zone name). Any other %<letter, digit or _> expands to nothing, as in Flume (compile
// reports it in `warning`); a % before anything else is itself.
//
// expand_path (the hdfs sink) is Flume's escapeString made safe for a path: a missing header
// expands to nothing (an empty segment, like Flume), and a header value can never leave the
// directory: '/' and NUL in a value become '_', and a value that is "." or ".." becomes "_" or
// "__". expand (kafka.topic) leaves values as they are and reports a missing header.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/event/event_batch.h"

namespace flumen::plugins {

struct TimeZoneSpec {
  bool local = true;
  int offset_seconds = 0;      // a fixed offset, when !local and no zone
  const void* zone = nullptr;  // an IANA zone (date::time_zone) from the system's tzdata
  // "" (local), "UTC", "+09:00", "-0530", or an IANA name such as "Asia/Seoul".
  static std::optional<TimeZoneSpec> parse(const std::string& text);
  // Seconds east of UTC at the instant `secs` (zone rules include daylight saving time).
  int offset_at(int64_t secs) const;
};

class BucketPath {
 public:
  // Returns nullopt with `error` set for a malformed pattern (an unclosed %{ or %[, an unknown
  // %[name]). `warning`, when given, is set for escapes Flume expands to nothing.
  static std::optional<BucketPath> compile(const std::string& pattern, std::string& error,
                                           std::string* warning = nullptr);

  bool needs_time() const { return needs_time_; }
  // Appends the expansion to `out`. False when a needed header is missing (`missing` names it).
  bool expand(const EventBatch& batch, size_t event, int64_t millis, const TimeZoneSpec& tz,
              std::string& out, std::string& missing) const;
  // Appends the expansion for a path to `out` (see above). `time_text` is what %t writes.
  void expand_path(const EventBatch& batch, size_t event, int64_t millis,
                   std::string_view time_text, const TimeZoneSpec& tz, std::string& out) const;

 private:
  struct Token {
    char kind;  // 'L' literal, 'H' header, 'T' time code, 'N' host name, 'I' ip, 'F' fqdn
    std::string text;
  };
  bool expand_tokens(const EventBatch& batch, size_t event, int64_t millis,
                     std::string_view time_text, const TimeZoneSpec& tz, bool for_path,
                     std::string& out, std::string* missing) const;
  std::vector<Token> tokens_;
  bool needs_time_ = false;
};

// Flume's hdfs.round: in the zone's local time, the unit's field (second of the minute, minute
// of the hour, hour of the day) is rounded down to a multiple of `value` and the smaller fields
// are cleared (unit: second | minute | hour).
int64_t round_down(int64_t millis, int64_t value, const std::string& unit, const TimeZoneSpec& tz);
// The largest roundValue Flume accepts for a unit (60 for second and minute, 24 for hour).
int64_t max_round_value(const std::string& unit);

}  // namespace flumen::plugins
